// SPDX-License-Identifier: GPL-2.0
/* xlb doctor --backend VIP: this host as a backend of a balancer that
 * tunnels to it (VIPs local, decap attached, rp_filter, ARP). */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cli/doctor.h"
#include "core/addr.h"
#include "dp/attach.h"

static bool addr_equal(const struct sockaddr *sa, const union xlb_addr *a,
		       __u8 family)
{
	if (family == XLB_FAMILY_V4 && sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       a->v4;
	if (family == XLB_FAMILY_V6 && sa->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
			       a->v6, 16);
	return false;
}

/* Names of the interfaces running xlb_decap, space separated. */
static void find_decap(const struct if_nameindex *ifs, char *on, size_t len,
		       char *modes, size_t mlen)
{
	on[0] = modes[0] = '\0';
	for (const struct if_nameindex *i = ifs; i->if_index; i++) {
		struct xdp_state st;

		if (xdp_query(i->if_index, &st) || strcmp(st.name, "xlb_decap"))
			continue;
		snprintf(on + strlen(on), len - strlen(on), "%s%s",
			 on[0] ? " " : "", i->if_name);
		snprintf(modes + strlen(modes), mlen - strlen(modes),
			 "%s%s %s id %u", modes[0] ? ", " : "", i->if_name,
			 xdp_attached_name(st.mode), st.prog_id);
	}
}

static bool word_in(const char *word, const char *list)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* Each VIP must be a local address, best on lo. Returns whether one is
 * IPv4 (ARP then matters). */
static bool check_vips(struct doctor *d, const struct ifaddrs *ifa,
		       char **vips, int nvips)
{
	char what[96], fix[256];
	bool any_v4 = false;

	for (int v = 0; v < nvips; v++) {
		const char *on = NULL;
		union xlb_addr a;
		__u8 fam;

		snprintf(what, sizeof(what), "vip %s", vips[v]);
		if (xlb_addr_parse(vips[v], &a, &fam)) {
			report(d, V_FAIL, what, NULL, "not an IP address");
			continue;
		}
		any_v4 |= fam == XLB_FAMILY_V4;
		for (const struct ifaddrs *i = ifa; i && !on; i = i->ifa_next)
			if (i->ifa_addr && addr_equal(i->ifa_addr, &a, fam))
				on = i->ifa_name;
		snprintf(fix, sizeof(fix), "ip addr add %s/%d dev lo", vips[v],
			 fam == XLB_FAMILY_V4 ? 32 : 128);
		if (!on)
			report(d, V_FAIL, what, fix, "VIP %s is not a local "
			       "address: the stack drops the decapsulated "
			       "packets", vips[v]);
		else if (strcmp(on, "lo") && fam == XLB_FAMILY_V4)
			report(d, V_FAIL, what, fix, "VIP %s is on %s: this "
			       "host answers ARP for it there (whatever "
			       "arp_ignore) and steals the VIP from the "
			       "balancer; put it on lo instead", vips[v], on);
		else
			report(d, V_OK, what, NULL, "VIP %s is local (on %s)",
			       vips[v], on);
	}
	return any_v4;
}

/* The decap program on some interface; decap_on gets their names. */
static void check_decap(struct doctor *d, const struct if_nameindex *ifs,
			char *decap_on, size_t len)
{
	char modes[512];

	find_decap(ifs, decap_on, len, modes, sizeof(modes));
	if (decap_on[0])
		report(d, V_OK, "decap", NULL, "xlb_decap attached (%s)",
		       modes);
	else
		report(d, V_FAIL, "decap", "xlb decap attach dev IF addr "
		       "THIS_BACKENDS_ADDRESS",
		       "no interface runs xlb_decap: tunnelled packets from "
		       "the balancer are not unwrapped");
}

/* The larger of net.ipv4.conf.all.KEY and net.ipv4.conf.IFNAME.KEY,
 * which the kernel applies, and both. */
static int conf_max(const char *ifname, const char *key, int *all, int *own)
{
	*all = conf_value("ipv4", "all", key);
	*own = conf_value("ipv4", ifname, key);
	return *all > *own ? *all : *own;
}

static void check_rp_filter(struct doctor *d, const char *ifname)
{
	char what[96], fix[256];
	int all, own, eff = conf_max(ifname, "rp_filter", &all, &own);

	snprintf(what, sizeof(what), "rp_filter %s", ifname);
	snprintf(fix, sizeof(fix), "sysctl -w "
		 "net.ipv4.conf.all.rp_filter=%d "
		 "net.ipv4.conf.%s.rp_filter=%d (0 = off, "
		 "2 = loose)", all == 1 ? 2 : all,
		 ifname, own == 1 ? 2 : own);
	if (eff == 1)
		report(d, V_FAIL, what, fix, "strict reverse path filter "
		       "(all=%d, %s=%d): decapsulated packets from clients "
		       "whose route does not go out %s are dropped", all,
		       ifname, own, ifname);
	else
		report(d, V_OK, what, NULL, "%d (all=%d, %s=%d): "
		       "decapsulated packets pass", eff, all, ifname, own);
}

static void check_arp_ignore(struct doctor *d, const char *ifname)
{
	char what[96];
	int all, own, ign = conf_max(ifname, "arp_ignore", &all, &own);

	snprintf(what, sizeof(what), "arp_ignore %s", ifname);
	if (ign >= 1)
		report(d, V_OK, what, NULL, "%d: ARP for the VIP on lo is not "
		       "answered on %s", ign, ifname);
	else
		report(d, V_FAIL, what,
		       "sysctl -w net.ipv4.conf.all.arp_ignore=1",
		       "0 (all=%d, %s=%d): this host answers ARP for the VIP "
		       "on %s and steals its traffic from the balancer", all,
		       ifname, own, ifname);
}

static void check_arp_announce(struct doctor *d, const char *ifname)
{
	char what[96];
	int all, own, ann = conf_max(ifname, "arp_announce", &all, &own);

	snprintf(what, sizeof(what), "arp_announce %s", ifname);
	if (ann >= 2)
		report(d, V_OK, what, NULL, "%d: ARP requests from %s never "
		       "carry the VIP as sender", ann, ifname);
	else
		report(d, V_FAIL, what,
		       "sysctl -w net.ipv4.conf.all.arp_announce=2",
		       "%d (all=%d, %s=%d): ARP requests from %s may carry "
		       "the VIP as sender and teach neighbours the wrong MAC "
		       "for it", ann, all, ifname, own, ifname);
}

void check_backend(struct doctor *d, char **vips, int nvips)
{
	struct if_nameindex *ifs = if_nameindex();
	struct ifaddrs *ifa = NULL;
	char decap_on[256];
	bool any_v4;

	if (!ifs || getifaddrs(&ifa)) {
		report(d, V_FAIL, "interfaces", NULL, "cannot list them: %s",
		       strerror(errno));
		if (ifs)
			if_freenameindex(ifs);
		return;
	}
	any_v4 = check_vips(d, ifa, vips, nvips);
	check_decap(d, ifs, decap_on, sizeof(decap_on));
	/* rp_filter and ARP, per interface that carries traffic */
	for (const struct if_nameindex *i = ifs; i->if_index && any_v4; i++) {
		short flags;
		int mtu;

		if (!strcmp(i->if_name, "lo") ||
		    if_flags_mtu(i->if_name, &flags, &mtu) ||
		    !(flags & IFF_UP) || (flags & IFF_LOOPBACK))
			continue;
		/* rp_filter: only where decapsulated packets come in (every
		 * interface if no decap is attached yet) */
		if (!decap_on[0] || word_in(i->if_name, decap_on))
			check_rp_filter(d, i->if_name);
		if (flags & IFF_NOARP)
			continue;
		check_arp_ignore(d, i->if_name);
		check_arp_announce(d, i->if_name);
	}
	freeifaddrs(ifa);
	if_freenameindex(ifs);
}
