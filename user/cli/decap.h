/* SPDX-License-Identifier: GPL-2.0 */
/* xlb decap attach|detach: the backend side's program on an interface. */
#ifndef XLB_CLI_DECAP_H
#define XLB_CLI_DECAP_H

int do_decap_attach(int argc, char **argv);
int do_decap_detach(int argc, char **argv);

#endif /* XLB_CLI_DECAP_H */
