/* SPDX-License-Identifier: GPL-2.0 */
/* The CLI's commands, one entry point per object as bpftool's main.h, and
 * the command tables they dispatch with ("xlb OBJECT VERB ARGS", any
 * unique prefix of a word works). */
#ifndef XLB_CLI_H
#define XLB_CLI_H

#include <stddef.h>

struct cmd {
	const char *name;
	int (*handler)(int argc, char **argv);
};

/* The entry of a table of structs that begin with their name (ended by a
 * NULL name) that word names: exactly, or as the prefix of one. NULL with
 * errno ENOENT when none, EEXIST when the prefix is ambiguous. */
const void *cmd_find(const void *table, size_t size, const char *word);

/* Runs the command of cmds that argv[0] names with the words after it;
 * what names the word in the error when it is missing ("vip verb"). */
int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       const char *what);

int do_backend(int argc, char **argv);
int do_bgp(int argc, char **argv);
int do_decap(int argc, char **argv);
int do_doctor(int argc, char **argv);
int do_help(int argc, char **argv);
int do_reload(int argc, char **argv);
int do_show(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_table(int argc, char **argv);
int do_top(int argc, char **argv);
int do_vip(int argc, char **argv);

#endif /* XLB_CLI_H */
