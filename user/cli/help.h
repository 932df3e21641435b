/* SPDX-License-Identifier: GPL-2.0 */
/* xlb help [SUBCOMMAND]: the usage of every subcommand, or of one in
 * detail. */
#ifndef XLB_HELP_H
#define XLB_HELP_H

/* Prints the usage of the subcommand name (a unique prefix works);
 * 0, or -EINVAL with an error line for an unknown one. */
int help_subcommand(const char *name);

/* xlb help, xlb help SUBCOMMAND. */
int do_help(int argc, char **argv);

#endif /* XLB_HELP_H */
