/* SPDX-License-Identifier: GPL-2.0 */
/* xlb doctor inside: the report every check makes, what both sides read
 * of the host, and the balancer's and the backend's checks. */
#ifndef XLB_CLI_DOCTOR_H
#define XLB_CLI_DOCTOR_H

#include <stdbool.h>
#include <json-c/json.h>

struct xlb_cfg;

enum verdict { V_OK, V_WARN, V_FAIL };

struct doctor {
	json_object *checks;	/* -j: the checks, printed at the end */
	unsigned int warned, failed;
};

/* Reports one check: what, its verdict, why, and how to fix it (or NULL). */
void report(struct doctor *d, enum verdict v, const char *what,
	    const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* An interface's sysctl value under net/FAMILY/conf ("ipv4", "ipv6");
 * -1 when unreadable. */
int conf_value(const char *family, const char *ifname, const char *key);
/* An interface's flags (IFF_*) and MTU; 0 or -errno. */
int if_flags_mtu(const char *ifname, short *flags, int *mtu);

/* The config's interfaces, XDP, MTU, agent and BGP. */
void check_balancer(struct doctor *d, const struct xlb_cfg *cfg, bool probe,
		    const char *pin_root);
/* This host as a backend of vips: VIPs local, decap, rp_filter, ARP. */
void check_backend(struct doctor *d, char **vips, int nvips);

#endif /* XLB_CLI_DOCTOR_H */
