// SPDX-License-Identifier: GPL-2.0
/* Second chance on a backend: the decap's decision for GUE with a
 * candidate list, against real sockets of the test's namespace
 * (established, time-wait, request, listener only, an ACK with a SYN
 * cookie, none), the hop limit, SYNs, UDP and fragments, and the ways a
 * packet is sent on (the FIB's next hop on the ingress device or another,
 * the fallbacks, no route). Every packet arrives on xlbsc0 (forwarding on)
 * unless a case says otherwise. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "packet_test.h"

/* This host, the other candidates (neighbours on xlbsc0), and candidates
 * elsewhere: on xlbsc1 (a tx port), on xlbsc2 (not one), on xlbsc0 with no
 * neighbour entry, behind a blackhole route. */
#define SELF4 "192.0.2.130"
#define C4_1 "192.0.2.131"
#define C4_2 "192.0.2.132"
#define C4_3 "192.0.2.133"
#define C4_NONEIGH "192.0.2.134"
#define C4_DEV1 "192.0.2.145"
#define C4_DEV2 "192.0.2.161"
#define C4_BLACKHOLE "192.0.2.150"
#define SELF6 "2001:db8:5c::130"
#define C6_1 "2001:db8:5c::131"
#define C6_2 "2001:db8:5c::132"
#define C6_3 "2001:db8:5c::133"
#define BALANCER4 "192.0.2.241"
#define BALANCER6 "2001:db8:ff::1"

/* The VIPs and clients of the sockets: clients on lo connect for real;
 * raw clients send a SYN by hand, and what is sent back to them leaves
 * through a veth to nobody (where the SYN-ACK is caught). */
#define VIP4 "203.0.113.10"
#define VIP6 "2001:db8:100::10"
#define CLIENT4 "198.51.100.1"
#define CLIENT6 "2001:db8:c::1"
#define RAW4 "198.51.100.201"
#define RAW6 "2001:db8:c::201"
enum {
	PORT_EST = 80,		/* listener; established and time-wait */
	PORT_REQ = 81,		/* listener; a request socket */
	PORT_COOKIE = 82,	/* listener; SYN cookies sent */
	PORT_NONE = 83,		/* nothing */
	PORT_LISTEN = 84,	/* a listener that never saw a SYN */
};

static const __u8 mac_dev[4][6] = {
	{ 0x02, 0, 0, 0, 0x5c, 0xf0 }, { 0x02, 0, 0, 0, 0x5c, 0xf1 },
	{ 0x02, 0, 0, 0, 0x5c, 0xf2 }, { 0x02, 0, 0, 0, 0x5c, 0xf3 },
};
static const __u8 mac_gw_cfg[6] = { 0x02, 0, 0, 0, 0x5c, 0x99 };
static int ifx[4];		/* xlbsc0..3 */
static int if_dummy;		/* xlbscd: the raw clients' way */
static bool netns_ok;

enum sock_kind { K_NONE, K_EST, K_TW, K_REQ, K_LISTEN, K_COOKIE,
		 K_BAD_COOKIE };
/* How the packet leaves when it is sent on. */
enum via { VIA_FIB0, VIA_FIB1, VIA_SENDER, VIA_GW };

struct sc {
	enum sock_kind kind;
	__u8 family;		/* inner */
	__u8 flags;		/* inner TCP flags; 0 = PSH|ACK */
	bool udp, frag;
	struct gue_spec g;	/* the outer headers */
	enum via via;
	int ingress;		/* xlbsc index */
	bool gw;		/* a gateway MAC in the settings */
};

/* What the setup made for the current case. */
static const struct sc *cur;
static struct tflow cur_flow;
static __u32 cur_seq = 0x01020304, cur_ack = 0x0a0b0c0d;
static __u16 next_port = 41000;

static bool sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		printf("    `%s` failed (%d)\n", cmd, rc);
	return rc == 0;
}

static bool write_file(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fputs(val, f) >= 0;

	if (f && fclose(f))
		ok = false;
	if (!ok)
		printf("    writing %s: %s\n", path, strerror(errno));
	return ok;
}

static bool syncookies(const char *mode)
{
	return write_file("/proc/sys/net/ipv4/tcp_syncookies", mode);
}

/* The neighbour entry of a candidate: 02:00:00:00:5c:<last byte>. */
static void neigh_mac(const char *a, __u8 *mac)
{
	union xlb_addr x;
	__u8 fam = addr(a, &x);

	memcpy(mac, mac_dev[0], 6);
	mac[5] = ((__u8 *)&x)[fam == XLB_FAMILY_V4 ? 3 : 15];
}

static bool add_neigh(const char *a, const char *dev)
{
	char cmd[200];
	__u8 m[6];

	neigh_mac(a, m);
	snprintf(cmd, sizeof(cmd),
		 "ip neigh replace %s dev %s nud permanent "
		 "lladdr %02x:%02x:%02x:%02x:%02x:%02x",
		 a, dev, m[0], m[1], m[2], m[3], m[4], m[5]);
	return sh(cmd);
}

static bool setup_netns(void)
{
	static const char *const devs[] = { "xlbsc0", "xlbsc1", "xlbsc2",
					    "xlbsc3" };
	static const char *const nets4[] = { "192.0.2.142/28",
					     "192.0.2.158/28",
					     "192.0.2.174/28",
					     "192.0.2.190/28" };
	const char *local[] = { SELF4, SELF6 };
	char cmd[256];
	bool ok = true;

	ok &= sh("ip link set lo up");
	for (int i = 0; i < 4 && ok; i++) {
		const __u8 *m = mac_dev[i];

		snprintf(cmd, sizeof(cmd),
			 "ip link add %s address %02x:%02x:%02x:%02x:%02x:%02x"
			 " type veth peer name %sp && ip link set %s up && "
			 "ip link set %sp up && ip addr add %s dev %s",
			 devs[i], m[0], m[1], m[2], m[3], m[4], m[5], devs[i],
			 devs[i], devs[i], nets4[i], devs[i]);
		ok &= sh(cmd);
		snprintf(cmd, sizeof(cmd),
			 "sysctl -qw net.ipv4.conf.%s.forwarding=%d "
			 "net.ipv6.conf.%s.forwarding=%d",
			 devs[i], i != 3, devs[i], i != 3);
		ok &= sh(cmd);
		ifx[i] = (int)if_nametoindex(devs[i]);
	}
	ok &= sh("ip -6 addr add 2001:db8:5c::fe/64 dev xlbsc0 nodad");
	ok &= sh("ip route add blackhole " C4_BLACKHOLE "/32");
	ok &= add_neigh(C4_1, "xlbsc0") && add_neigh(C4_2, "xlbsc0") &&
	      add_neigh(C4_3, "xlbsc0") && add_neigh(C6_1, "xlbsc0") &&
	      add_neigh(C6_2, "xlbsc0") && add_neigh(C6_3, "xlbsc0") &&
	      add_neigh(C4_DEV1, "xlbsc1") && add_neigh(C4_DEV2, "xlbsc2");

	/* the sockets' side */
	ok &= sh("ip addr add " VIP4 "/32 dev lo && "
		 "ip addr add " CLIENT4 "/32 dev lo && "
		 "ip -6 addr add " VIP6 "/128 dev lo nodad && "
		 "ip -6 addr add " CLIENT6 "/128 dev lo nodad");
	ok &= sh("ip link add xlbscd type veth peer name xlbscdp && "
		 "ip link set xlbscd up && ip link set xlbscdp up && "
		 "ip route add " RAW4 "/32 dev xlbscd && "
		 "ip -6 route add " RAW6 "/128 dev xlbscd && "
		 "ip neigh replace " RAW4 " dev xlbscd nud permanent "
		 "lladdr 02:00:00:00:5c:dd && "
		 "ip neigh replace " RAW6 " dev xlbscd nud permanent "
		 "lladdr 02:00:00:00:5c:dd");
	if_dummy = (int)if_nametoindex("xlbscd");

	for (int i = 0; i < 2; i++) {
		union xlb_addr a;
		__u8 fam = addr(local[i], &a);

		ok &= ASSERT_OK(decap_add_addr(dc, &a, fam), "decap_add_addr");
	}
	ok &= ASSERT_OK(decap_add_tx_port(dc, (__u32)ifx[0]), "tx port 0");
	ok &= ASSERT_OK(decap_add_tx_port(dc, (__u32)ifx[1]), "tx port 1");
	return ok && ifx[0] > 0 && ifx[3] > 0 && if_dummy > 0;
}

static void second_chance_init(void)
{
	netns_ok = setup_netns();
}

/* ---- sockets ---- */

static socklen_t sockaddr_of(int family, const char *a, __u16 port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, a, &s4->sin_addr);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	inet_pton(AF_INET6, a, &s6->sin6_addr);
	return sizeof(*s6);
}

/* The listener on the VIP's port, made once per family and port. */
static int listener(int family, __u16 port)
{
	static int fds[2][8];
	int *fd = &fds[family == AF_INET6][port - PORT_EST];
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (*fd > 0)
		return *fd;
	len = sockaddr_of(family, family == AF_INET ? VIP4 : VIP6, port, &ss);
	*fd = socket(family, SOCK_STREAM, 0);
	if (*fd < 0 ||
	    setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(*fd, (struct sockaddr *)&ss, len) || listen(*fd, 16)) {
		printf("    listener on port %u: %s\n", port, strerror(errno));
		return -1;
	}
	return *fd;
}

static __u16 local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET
			     ? ((struct sockaddr_in *)&ss)->sin_port
			     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Whether /proc/net/tcp{,6} shows the VIP side of (port, cport) in state
 * st, within two seconds. */
static bool wait_state(int family, __u16 port, __u16 cport, unsigned int st)
{
	const char *path = family == AF_INET ? "/proc/net/tcp"
					     : "/proc/net/tcp6";

	for (int tries = 0; tries < 200; tries++) {
		char line[512], la[64], ra[64];
		unsigned int lp, rp, s;
		FILE *f = fopen(path, "r");

		while (f && fgets(line, sizeof(line), f)) {
			if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x "
					 "%63[0-9A-Fa-f]:%x %x",
				   la, &lp, ra, &rp, &s) == 5 &&
			    lp == port && rp == cport && s == st) {
				fclose(f);
				return true;
			}
		}
		if (f)
			fclose(f);
		usleep(10000);
	}
	printf("    no socket %u <- %u in state %u\n", port, cport, st);
	return false;
}

/* A real connection from the client on lo to the VIP's PORT_EST; for
 * time_wait the VIP's side closes first and ends in time-wait. Sockets
 * that stay open are kept to the end of the run. */
static bool connect_vip(int family, bool time_wait)
{
	int l = listener(family, PORT_EST), c, s;
	struct sockaddr_storage ss;
	struct timeval tv = { .tv_sec = 2 };
	socklen_t len;
	char b;

	if (l < 0)
		return false;
	c = socket(family, SOCK_STREAM, 0);
	len = sockaddr_of(family, family == AF_INET ? CLIENT4 : CLIENT6, 0,
			  &ss);
	if (c < 0 || bind(c, (struct sockaddr *)&ss, len))
		return ASSERT_OK(-errno, "client bind");
	len = sockaddr_of(family, family == AF_INET ? VIP4 : VIP6, PORT_EST,
			  &ss);
	if (connect(c, (struct sockaddr *)&ss, len))
		return ASSERT_OK(-errno, "connect");
	s = accept(l, NULL, NULL);
	if (s < 0)
		return ASSERT_OK(-errno, "accept");
	cur_flow.sport = local_port(c);
	if (!time_wait)
		return wait_state(family, PORT_EST, cur_flow.sport, 1);
	close(s);
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (!ASSERT_EQ(read(c, &b, 1), 0, "client sees the VIP's FIN"))
		return false;
	close(c);
	return wait_state(family, PORT_EST, cur_flow.sport, 6);
}

/* A SYN from the raw client to the VIP's port, by hand (IP header
 * included); the answer is caught on xlbscd: *synack its
 * sequence number. */
static bool raw_syn(int family, __u16 port, __u32 *synack)
{
	struct sockaddr_storage ss;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = if_dummy };
	struct timespec start, now;
	static struct pkt p;
	union xlb_addr src, dst;
	int rs, ps;
	bool ok = false;

	ps = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (ps < 0 || bind(ps, (struct sockaddr *)&ll, sizeof(ll)))
		return ASSERT_OK(-errno, "packet socket");
	rs = socket(family, SOCK_RAW, IPPROTO_RAW);
	if (rs < 0) {
		close(ps);
		return ASSERT_OK(-errno, "raw socket");
	}
	pkt_init(&p);
	addr(family == AF_INET ? RAW4 : RAW6, &src);
	addr(family == AF_INET ? VIP4 : VIP6, &dst);
	if (family == AF_INET) {
		pkt_ipv4(&p, &(struct pkt_ip4){ .src = src.v4, .dst = dst.v4,
						.df = true });
	} else {
		struct pkt_ip6 h = { 0 };

		memcpy(h.src, src.v6, 16);
		memcpy(h.dst, dst.v6, 16);
		pkt_ipv6(&p, &h);
	}
	pkt_tcp(&p, cur_flow.sport, port, PKT_TCP_SYN);
	pkt_finish(&p);
	if (sendto(rs, p.buf, p.len, 0, (struct sockaddr *)&ss,
		   sockaddr_of(family, family == AF_INET ? VIP4 : VIP6, 0,
			       &ss)) != (ssize_t)p.len) {
		ASSERT_OK(-errno, "send the SYN");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		struct pollfd pfd = { .fd = ps, .events = POLLIN };
		__u8 b[256], *th;
		ssize_t n;

		if (poll(&pfd, 1, 100) == 1 &&
		    (n = recv(ps, b, sizeof(b), 0)) > 40) {
			if (b[0] >> 4 == 4 && b[9] == IPPROTO_TCP)
				th = b + (b[0] & 0xf) * 4;
			else if (b[0] >> 4 == 6 && b[6] == IPPROTO_TCP)
				th = b + 40;
			else
				continue;
			if (th + 20 > b + n || pkt_get16(th) != port ||
			    pkt_get16(th + 2) != cur_flow.sport ||
			    (th[13] & 0x12) != 0x12)
				continue;
			*synack = (__u32)pkt_get16(th + 4) << 16 |
				  pkt_get16(th + 6);
			ok = true;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < 3);
	ASSERT_TRUE(ok, "the VIP's SYN-ACK seen");
out:
	close(rs);
	close(ps);
	return ok;
}

/* Makes the socket the current case asks for; the inner flow's client
 * port and sequence numbers follow from it. */
static bool make_sockets(const struct sc *c)
{
	int family = c->family == XLB_FAMILY_V4 ? AF_INET : AF_INET6;
	__u32 synack;

	cur_flow.src = c->family == XLB_FAMILY_V4 ? CLIENT4 : CLIENT6;
	cur_flow.dst = c->family == XLB_FAMILY_V4 ? VIP4 : VIP6;
	cur_flow.proto = c->udp ? IPPROTO_UDP : IPPROTO_TCP;
	cur_flow.sport = next_port++;
	cur_seq = 0x01020304;
	cur_ack = 0x0a0b0c0d;
	switch (c->kind) {
	case K_NONE:
		cur_flow.dport = PORT_NONE;
		return true;
	case K_EST:
	case K_TW:
		cur_flow.dport = PORT_EST;
		return connect_vip(family, c->kind == K_TW);
	case K_LISTEN:
		cur_flow.dport = PORT_LISTEN;
		return listener(family, PORT_LISTEN) > 0;
	case K_REQ:
		/* no cookies: the SYN leaves a request socket behind */
		cur_flow.src = c->family == XLB_FAMILY_V4 ? RAW4 : RAW6;
		cur_flow.dport = PORT_REQ;
		return syncookies("0") && listener(family, PORT_REQ) > 0 &&
		       raw_syn(family, PORT_REQ, &synack) &&
		       wait_state(family, PORT_REQ, cur_flow.sport, 3);
	case K_COOKIE:
	case K_BAD_COOKIE:
		/* cookies always: nothing is kept, the SYN-ACK's sequence
		 * number is the cookie, the client's ACK acknowledges it */
		cur_flow.src = c->family == XLB_FAMILY_V4 ? RAW4 : RAW6;
		cur_flow.dport = PORT_COOKIE;
		if (!syncookies("2") || listener(family, PORT_COOKIE) < 0 ||
		    !raw_syn(family, PORT_COOKIE, &synack))
			return false;
		cur_seq = 0x01020304 + 1;	/* pkt_tcp's SYN + 1 */
		cur_ack = synack + 1;
		/* a wrong one: its low bits carry the MSS (+1 would only
		 * pick another MSS), so change the hash above them */
		if (c->kind == K_BAD_COOKIE)
			cur_ack += 0x100;
		return true;
	}
	return false;
}

static bool sc_setup(const struct sc *c)
{
	struct xlb_decap_config cfg = { .gue_port = htons(XLB_GUE_PORT_DEFAULT) };

	cur = c;
	if (!ASSERT_TRUE(netns_ok, "namespace devices and routes"))
		return false;
	run_ingress = ifx[c->ingress];
	if (c->gw) {
		memcpy(cfg.gw_mac, mac_gw_cfg, 6);
		if (!ASSERT_OK(decap_set_config(dc, &cfg), "decap_set_config"))
			return false;
	}
	return make_sockets(c);
}

/* ---- packets ---- */

static bool has_ack(const struct sc *c)
{
	return !c->flags || (c->flags & PKT_TCP_ACK);
}

/* The current case's packet, with the outer headers of g. */
static void build_sc(struct pkt *p, const struct gue_spec *g)
{
	struct shape s = { .tcp_flags = cur->flags, .no_df = cur->frag };

	pkt_init(p);
	push_gue(p, g);
	push_flow(p, &cur_flow, &s);
	for (int i = 0; i < p->n; i++) {
		__u8 *b = p->buf + p->l[i].off;

		if (p->l[i].type == PKT_L_TCP) {
			pkt_put32(b + 4, cur_seq);
			pkt_put32(b + 8, has_ack(cur) ? cur_ack : 0);
		}
		if (p->l[i].type == PKT_L_IPV4 && i > 1 && cur->frag)
			pkt_put16(b + 6, 0x2000);	/* MF, offset 0 */
	}
	pkt_finish(p);
}

static void in_sc(struct pkt *p)
{
	build_sc(p, &cur->g);
}

/* Sent on: the list moved on by one, from this host to the next
 * candidate, by the next hop the case names. */
static void ex_fwd(const struct pkt *in, struct pkt *out)
{
	struct gue_spec g = cur->g;
	__u8 dmac[6];

	(void)in;
	g.src = g.cands[g.next];
	g.next++;
	switch (cur->via) {
	case VIA_FIB0:
		neigh_mac(g.cands[g.next], dmac);
		g.dmac = dmac;
		g.smac = mac_dev[0];
		break;
	case VIA_FIB1:
		neigh_mac(g.cands[g.next], dmac);
		g.dmac = dmac;
		g.smac = mac_dev[1];
		break;
	case VIA_SENDER:
		g.dmac = mac_gw;	/* where it came from */
		g.smac = mac_backend;	/* the MAC it was sent to */
		break;
	case VIA_GW:
		g.dmac = mac_gw_cfg;
		g.smac = mac_backend;
		break;
	}
	build_sc(out, &g);
}

/* ---- the cases ---- */

#define G4(...)                                                                \
	{ .src = BALANCER4, .cands = { __VA_ARGS__ },                          \
	  .count = sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *) }
#define G6(...)                                                                \
	{ .src = BALANCER6, .cands = { __VA_ARGS__ },                          \
	  .count = sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *) }
#define AT(n) .next = (n)

/* One setup per case: it names the case's struct sc. */
#define SC(name, ...)                                                          \
	static const struct sc name = { __VA_ARGS__ };                        \
	static bool su_##name(void)                                            \
	{                                                                      \
		return sc_setup(&name);                                        \
	}

SC(est4, .kind = K_EST, .family = 4, .g = G4(SELF4, C4_1))
SC(est6, .kind = K_EST, .family = 6, .g = G6(SELF6, C6_1))
SC(est4in6, .kind = K_EST, .family = 4, .g = G6(SELF6, C6_1))
SC(est4_mid, .kind = K_EST, .family = 4,
   .g = { .src = BALANCER4, .cands = { C4_1, SELF4, C4_2 }, .count = 3,
	  AT(1) })
SC(tw4, .kind = K_TW, .family = 4, .g = G4(SELF4, C4_1))
SC(tw6, .kind = K_TW, .family = 6, .g = G6(SELF6, C6_1))
SC(req4, .kind = K_REQ, .family = 4, .g = G4(SELF4, C4_1))
SC(req6, .kind = K_REQ, .family = 6, .g = G6(SELF6, C6_1))
SC(listen4, .kind = K_LISTEN, .family = 4, .g = G4(SELF4, C4_1))
SC(listen6, .kind = K_LISTEN, .family = 6, .g = G6(SELF6, C6_1))
SC(cookie4, .kind = K_COOKIE, .family = 4, .g = G4(SELF4, C4_1))
SC(cookie6, .kind = K_COOKIE, .family = 6, .g = G6(SELF6, C6_1))
SC(badcookie4, .kind = K_BAD_COOKIE, .family = 4, .g = G4(SELF4, C4_1))
SC(badcookie6, .kind = K_BAD_COOKIE, .family = 6, .g = G6(SELF6, C6_1))
SC(none4, .kind = K_NONE, .family = 4, .g = G4(SELF4, C4_1))
SC(none6, .kind = K_NONE, .family = 6, .g = G6(SELF6, C6_1))
SC(none6in4, .kind = K_NONE, .family = 6, .g = G4(SELF4, C4_1))
SC(none4_last, .kind = K_NONE, .family = 4,
   .g = { .src = BALANCER4, .cands = { C4_1, SELF4 }, .count = 2, AT(1) })
SC(none4_mid, .kind = K_NONE, .family = 4,
   .g = { .src = BALANCER4, .cands = { C4_1, SELF4, C4_2 }, .count = 3,
	  AT(1) })
SC(none4_last3, .kind = K_NONE, .family = 4,
   .g = { .src = BALANCER4, .cands = { C4_1, C4_2, SELF4 }, .count = 3,
	  AT(2) })
SC(none6_4, .kind = K_NONE, .family = 6,
   .g = { .src = BALANCER6, .cands = { C6_1, C6_2, SELF6, C6_3 },
	  .count = 4, AT(2) })
SC(syn4, .kind = K_NONE, .family = 4, .flags = PKT_TCP_SYN,
   .g = G4(SELF4, C4_1))
SC(syn_listen6, .kind = K_LISTEN, .family = 6, .flags = PKT_TCP_SYN,
   .g = G6(SELF6, C6_1))
SC(rst4, .kind = K_NONE, .family = 4, .flags = PKT_TCP_RST,
   .g = G4(SELF4, C4_1))
SC(udp4, .kind = K_NONE, .family = 4, .udp = true, .g = G4(SELF4, C4_1))
SC(udp6, .kind = K_NONE, .family = 6, .udp = true, .g = G6(SELF6, C6_1))
SC(frag4, .kind = K_NONE, .family = 4, .frag = true, .g = G4(SELF4, C4_1))
SC(dev1, .kind = K_NONE, .family = 4, .via = VIA_FIB1,
   .g = G4(SELF4, C4_DEV1))
SC(dev2, .kind = K_NONE, .family = 4, .via = VIA_SENDER,
   .g = G4(SELF4, C4_DEV2))
SC(noneigh, .kind = K_NONE, .family = 4, .via = VIA_SENDER,
   .g = G4(SELF4, C4_NONEIGH))
SC(noneigh_gw, .kind = K_NONE, .family = 4, .via = VIA_GW, .gw = true,
   .g = G4(SELF4, C4_NONEIGH))
SC(nofwd, .kind = K_NONE, .family = 4, .via = VIA_SENDER, .ingress = 3,
   .g = G4(SELF4, C4_1))
SC(blackhole, .kind = K_NONE, .family = 4, .g = G4(SELF4, C4_BLACKHOLE))

#define LOCAL(n, s, r) DECAP_SU(n, s, in_sc, XDP_PASS, expect_decap, NULL, \
				{ r, 1 })
#define FWD(n, s, why, how, v)                                                 \
	DECAP_SU(n, s, in_sc, v, ex_fwd, NULL, { why, 1 }, { how, 1 })

static const struct test_case cases[] = {
	/* the socket decides */
	LOCAL("second chance ipv4: established socket, passed", su_est4,
	      XLB_DECAP_LOCAL_SOCKET),
	LOCAL("second chance ipv6: established socket, passed", su_est6,
	      XLB_DECAP_LOCAL_SOCKET),
	LOCAL("second chance 4-in-6: established socket, passed", su_est4in6,
	      XLB_DECAP_LOCAL_SOCKET),
	LOCAL("second chance: established, second of three, passed",
	      su_est4_mid, XLB_DECAP_LOCAL_SOCKET),
	LOCAL("second chance ipv4: time-wait socket, passed", su_tw4,
	      XLB_DECAP_LOCAL_TIME_WAIT),
	LOCAL("second chance ipv6: time-wait socket, passed", su_tw6,
	      XLB_DECAP_LOCAL_TIME_WAIT),
	LOCAL("second chance ipv4: request socket (SYN received), passed",
	      su_req4, XLB_DECAP_LOCAL_REQUEST),
	LOCAL("second chance ipv6: request socket (SYN received), passed",
	      su_req6, XLB_DECAP_LOCAL_REQUEST),
	FWD("second chance ipv4: listener only, sent on", su_listen4,
	    XLB_DECAP_FWD_LISTENER, XLB_DECAP_TX, XDP_TX),
	FWD("second chance ipv6: listener only, sent on", su_listen6,
	    XLB_DECAP_FWD_LISTENER, XLB_DECAP_TX, XDP_TX),
	LOCAL("second chance ipv4: ACK with the listener's SYN cookie, passed",
	      su_cookie4, XLB_DECAP_LOCAL_COOKIE),
	LOCAL("second chance ipv6: ACK with the listener's SYN cookie, passed",
	      su_cookie6, XLB_DECAP_LOCAL_COOKIE),
	FWD("second chance ipv4: listener sending cookies, wrong one: sent on",
	    su_badcookie4, XLB_DECAP_FWD_LISTENER, XLB_DECAP_TX, XDP_TX),
	FWD("second chance ipv6: listener sending cookies, wrong one: sent on",
	    su_badcookie6, XLB_DECAP_FWD_LISTENER, XLB_DECAP_TX, XDP_TX),
	FWD("second chance ipv4: no socket, sent on to the next candidate",
	    su_none4, XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX, XDP_TX),
	FWD("second chance ipv6: no socket, sent on to the next candidate",
	    su_none6, XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX, XDP_TX),
	FWD("second chance 6-in-4: no socket, sent on", su_none6in4,
	    XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX, XDP_TX),
	/* the list */
	LOCAL("second chance: no socket, last of two: passed (hop limit)",
	      su_none4_last, XLB_DECAP_LOCAL_LAST),
	FWD("second chance: no socket, second of three: on to the third",
	    su_none4_mid, XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX, XDP_TX),
	LOCAL("second chance: no socket, last of three: passed", su_none4_last3,
	      XLB_DECAP_LOCAL_LAST),
	FWD("second chance ipv6: third of four: on to the fourth", su_none6_4,
	    XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX, XDP_TX),
	/* what is never looked up */
	LOCAL("second chance: a SYN is never sent on", su_syn4,
	      XLB_DECAP_LOCAL_SYN),
	LOCAL("second chance ipv6: a SYN to a listener, passed",
	      su_syn_listen6, XLB_DECAP_LOCAL_SYN),
	FWD("second chance: a RST with no socket is sent on", su_rst4,
	    XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX, XDP_TX),
	LOCAL("second chance ipv4: UDP is always local", su_udp4,
	      XLB_DECAP_LOCAL_NOT_TCP),
	LOCAL("second chance ipv6: UDP is always local", su_udp6,
	      XLB_DECAP_LOCAL_NOT_TCP),
	LOCAL("second chance: an inner fragment stays here", su_frag4,
	      XLB_DECAP_LOCAL_NOT_TCP),
	/* how it is sent on */
	FWD("second chance: next hop on another device, redirected", su_dev1,
	    XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_REDIRECT, XDP_REDIRECT),
	FWD("second chance: next hop on a device not in tx ports: back to the "
	    "sender", su_dev2, XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX_FALLBACK,
	    XDP_TX),
	FWD("second chance: no neighbour entry: back to the sender",
	    su_noneigh, XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX_FALLBACK,
	    XDP_TX),
	FWD("second chance: no neighbour entry, gateway set: to the gateway",
	    su_noneigh_gw, XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX_FALLBACK,
	    XDP_TX),
	FWD("second chance: forwarding off on the device: back to the sender",
	    su_nofwd, XLB_DECAP_FWD_NO_SOCKET, XLB_DECAP_TX_FALLBACK, XDP_TX),
	DECAP_SU("second chance: blackhole route to the next one: dropped",
		 su_blackhole, in_sc, XDP_DROP, expect_any, NULL,
		 { XLB_DECAP_FWD_NO_SOCKET, 1 },
		 { XLB_DECAP_DROP_NO_ROUTE, 1 }),
};
CASES(cases, second_chance_init);
