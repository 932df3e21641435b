// SPDX-License-Identifier: GPL-2.0
/* What every xlb doctor check shares: the one report call (a line, or an
 * entry of the -j array), and what both sides read of the host. */
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/doctor.h"

static const char *const verdict_name[] = { "OK", "WARN", "FAIL" };

void report(struct doctor *d, enum verdict v, const char *what,
	    const char *fix, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (v == V_WARN)
		d->warned++;
	else if (v == V_FAIL)
		d->failed++;
	if (cli.json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "check",
				       json_object_new_string(what));
		json_object_object_add(o, "status",
				       json_object_new_string(verdict_name[v]));
		json_object_object_add(o, "message",
				       json_object_new_string(msg));
		if (fix)
			json_object_object_add(o, "fix",
					       json_object_new_string(fix));
		json_object_array_add(d->checks, o);
		return;
	}
	printf("%-4s %-22s %s%s%s\n", verdict_name[v], what, msg,
	       fix ? "; fix: " : "", fix ? fix : "");
}

/* An interface's sysctl value under net/FAMILY/conf ("ipv4", "ipv6");
 * -1 when unreadable. */
int conf_value(const char *family, const char *ifname, const char *key)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family,
		 ifname, key);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

int if_flags_mtu(const char *ifname, short *flags, int *mtu)
{
	struct ifreq ifr = {};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		err = -errno;
	*flags = ifr.ifr_flags;
	if (!err && ioctl(s, SIOCGIFMTU, &ifr))
		err = -errno;
	*mtu = ifr.ifr_mtu;
	close(s);
	return err;
}
