// SPDX-License-Identifier: GPL-2.0
/* Command tables, bpftool style: the command a word names, by its whole
 * name or any unique prefix of it. */
#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"

const void *cmd_find(const void *table, size_t size, const char *word)
{
	const char *found = NULL;

	for (const char *e = table; *(const char *const *)e; e += size) {
		const char *name = *(const char *const *)e;

		if (!strcmp(word, name))
			return e;
		if (*word && !strncmp(word, name, strlen(word))) {
			if (found) {
				errno = EEXIST;
				return NULL;
			}
			found = e;
		}
	}
	if (!found)
		errno = ENOENT;
	return found;
}

int cmd_select(const struct cmd *cmds, int argc, char **argv,
	       const char *what)
{
	const struct cmd *c;

	if (argc < 1)
		return cli_error("missing %s, see 'xlb help'", what);
	c = cmd_find(cmds, sizeof(*cmds), argv[0]);
	if (!c && errno == EEXIST)
		return cli_error("'%s' is ambiguous", argv[0]);
	if (!c)
		return cli_error("unknown command '%s', see 'xlb help'",
				 argv[0]);
	return c->handler(argc - 1, argv + 1);
}
