/* SPDX-License-Identifier: GPL-2.0 */
/* Addresses: IPv4/IPv6 as the ABI holds them (parsing and printing), and
 * Unix socket paths. */
#ifndef XLB_ADDR_H
#define XLB_ADDR_H

#include <stddef.h>
#include <sys/un.h>
#include "xlb_abi.h"

/* Room for any address xlb_addr_str prints. */
#define XLB_ADDR_STRLEN 46

/* Parses "192.0.2.1" or "2001:db8::1"; returns 0 or -EINVAL. */
int xlb_addr_parse(const char *s, union xlb_addr *addr, __u8 *family);
/* Formats into buf (at least 46 bytes); returns buf. */
const char *xlb_addr_str(const union xlb_addr *addr, __u8 family, char *buf,
			 size_t len);

/* A Unix socket address for path; 0 or -ENAMETOOLONG. */
int unix_addr(const char *path, struct sockaddr_un *sun);

#endif /* XLB_ADDR_H */
