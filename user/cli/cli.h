/* SPDX-License-Identifier: GPL-2.0 */
/* Client side of the xlb CLI: commands that talk to the agent. */
#ifndef XLB_CLI_H
#define XLB_CLI_H

int do_show(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_reload(int argc, char **argv);
int do_vip_add(int argc, char **argv);
int do_vip_del(int argc, char **argv);
int do_vip_list(int argc, char **argv);
int do_backend_verb(const char *verb, int argc, char **argv);
int do_table(int argc, char **argv);
int do_bgp(int argc, char **argv);

#endif /* XLB_CLI_H */
