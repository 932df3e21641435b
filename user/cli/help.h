/* SPDX-License-Identifier: GPL-2.0 */
/* xlb help [SUBCOMMAND]: the usage of every subcommand, or of one in
 * detail. */
#ifndef XLB_HELP_H
#define XLB_HELP_H

/* xlb help, xlb help SUBCOMMAND. */
int do_help(int argc, char **argv);

#endif /* XLB_HELP_H */
