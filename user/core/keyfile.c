// SPDX-License-Identifier: GPL-2.0
/* Secrets read from root-only files: owner and mode checked on the file
 * opened (fstat), content hex, the buffers wiped after use. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/keyfile.h"

/* Longest file accepted: the hex of a 64-byte key and some blank space. */
#define KEYFILE_MAX 256

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The hex digits of buf[0..n-1], blank space around them, into key. */
static int parse_hex(const char *buf, size_t n, __u8 *key, size_t len)
{
	size_t i = 0, digits = 0;

	while (i < n && isspace((unsigned char)buf[i]))
		i++;
	for (; i < n && hexval(buf[i]) >= 0; i++, digits++) {
		if (digits >= 2 * len)
			return -EINVAL;
		if (digits % 2)
			key[digits / 2] |= (__u8)hexval(buf[i]);
		else
			key[digits / 2] = (__u8)(hexval(buf[i]) << 4);
	}
	while (i < n && isspace((unsigned char)buf[i]))
		i++;
	return i == n && digits == 2 * len ? 0 : -EINVAL;
}

int keyfile_read(const char *path, __u8 *key, size_t len, char *err,
		 size_t errlen)
{
	char buf[KEYFILE_MAX + 1];
	struct stat st;
	ssize_t n = 0;
	int fd, ret;

	memset(key, 0, len);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out;
	}
	ret = -EPERM;
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen, "%s: owned by uid %u, must be root's "
			 "(chown root: %s)", path, (unsigned int)st.st_uid,
			 path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "%s: mode %04o lets group or others at "
			 "the secret, must be 0600 or 0400 (chmod 600 %s)",
			 path, (unsigned int)(st.st_mode & 07777), path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto out;
	}
	ret = n > KEYFILE_MAX ? -EINVAL : parse_hex(buf, (size_t)n, key, len);
	if (ret)
		snprintf(err, errlen, "%s: must hold %zu hex digits (%zu "
			 "random bytes: openssl rand -hex %zu > %s)", path,
			 2 * len, len, len, path);
out:
	explicit_bzero(buf, sizeof(buf));
	if (ret)
		explicit_bzero(key, len);
	close(fd);
	return ret;
}
