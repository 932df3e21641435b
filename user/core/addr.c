// SPDX-License-Identifier: GPL-2.0
/* IPv4/IPv6 address parsing and printing for ABI structs; Unix socket
 * addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/addr.h"

int xlb_addr_parse(const char *s, union xlb_addr *addr, __u8 *family)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, s, &addr->v4) == 1) {
		*family = XLB_FAMILY_V4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr->v6) == 1) {
		*family = XLB_FAMILY_V6;
		return 0;
	}
	return -EINVAL;
}

const char *xlb_addr_str(const union xlb_addr *addr, __u8 family, char *buf,
			 size_t len)
{
	int af = family == XLB_FAMILY_V6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, addr, buf, len))
		buf[0] = '\0';
	return buf;
}

int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}
