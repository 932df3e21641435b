/* SPDX-License-Identifier: GPL-2.0 */
/* Secrets read from root-only files (the flow hash key). */
#ifndef XLB_KEYFILE_H
#define XLB_KEYFILE_H

#include <stddef.h>
#include <linux/types.h>

/*
 * Reads len bytes written as 2 * len hex digits (blank space around them
 * allowed, e.g. `openssl rand -hex 16 > FILE`) from path, which must be a
 * regular file owned by root and neither readable nor writable by group or
 * others. Returns 0, or -errno (-EPERM for the owner or mode, -EINVAL for
 * the content) with one line in err that names the file and the fix.
 */
int keyfile_read(const char *path, __u8 *key, size_t len, char *err,
		 size_t errlen);

#endif /* XLB_KEYFILE_H */
