// SPDX-License-Identifier: GPL-2.0
/* xlb-bench: per-packet cost of the data path from BPF_PROG_TEST_RUN. */

/*
 * Each case is a program and a frame, run with repeat=1 on a fresh copy of
 * the frame per call (with repeat>1 the kernel re-runs one buffer, which a
 * balancer has already encapsulated after the first run). Per round we time
 * N calls with CLOCK_MONOTONIC and sum the kernel's own duration per run;
 * every round runs every case, so the XDP_DROP floor shares the conditions.
 * The reason counters are checked after each round: a hit must have been
 * counted as a hit N times, a miss as a miss, and so on.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>

#include "bench/drop.skel.h"
#include "bench/hash.skel.h"
#include "core/addr.h"
#include "dp/decap.h"
#include "dp/maps.h"
#include "lib/hash.h"
#include "core/log.h"
#include "model/maglev.h"

#define HASH_SEED 0x5eed
#define TABLE_SIZE 65537
#define NR_BACKENDS 10 /* per VIP: ids 1..10 (IPv4), 11..20 (IPv6) */
#define VIP_PORT 80
#define FRAME_MAX 128
/* Cases interleave in blocks of this many calls (see measure()). */
#define BLOCK_CALLS 10000UL
#define MIN_FRAME 60 /* Ethernet minimum, without the FCS */
#define TCP_SYN 0x02
#define TCP_ACK 0x10

/* Generated client i: address 198.51.100.(i / FLOW_PORTS),
 * source port 1024 + i % FLOW_PORTS. */
#define FLOW_PORTS 64512UL
#define FLOW_MAX (256 * FLOW_PORTS)

struct bench_opts {
	unsigned long calls; /* calls per case per round */
	unsigned long rounds;
	unsigned long flow_entries;
	unsigned long established; /* flows behind the "1M" hit case */
	long cpu; /* CPU the timed loops run on; -1 = last */
	const char
		*only; /* run the cases whose name holds this (and the floor) */
	const char *other; /* -x: another balancer object, run beside ours */
};

/* The decap's cases (init_decap_cases), after the balancer's. */
#define NDECAP 4

/* A frame and where its headers are, for rewriting the client. */
struct frame {
	__u8 data[FRAME_MAX];
	__u32 len;
	__u32 l4; /* offset of the TCP/UDP header */
	__u8 family;
	__u8 proto;
};

struct bench_case {
	const char *name;
	struct frame frame;
	struct dataplane *dp; /* NULL: the floor program */
	struct decap *dc; /* a decap case: its program, reason a decap one */
	int prog_fd;
	__u32 retval; /* expected XDP verdict */
	int reason; /* counted once per call; -1 = none */
	bool fresh_table; /* new, empty flow table every round */
	bool keyed; /* a fresh table's balancer has the hash key */
	bool vary; /* client from the flow index per call */
	unsigned long next; /* next flow index */
	unsigned long *nextp; /* &next, or the base case's for a twin */
	struct bench_case *base; /* a twin (-x): the case it mirrors */
	struct bpf_object *obj; /* a twin's program */
	unsigned long cycle; /* flow indexes wrap here; 0 = never */
	double *wall; /* ns per call, per round */
	double *kern; /* kernel duration per run, per round */
	double wall_sum; /* this round so far, ns */
	double kern_sum;
	double ratio, ratio_min, ratio_max; /* kernel / floor, per round */
	double wratio; /* wall / floor, median of rounds */
	double diff; /* kernel - floor, median of rounds */
};

/* The flow tables the cases run on. */
struct table_info {
	bool percpu; /* per-CPU LRU lists (BPF_F_NO_COMMON_LRU) */
	unsigned long share; /* entries one CPU can hold */
	int possible; /* possible CPUs */
	unsigned long est_entries; /* table size of the hit-over-N case */
	unsigned long full; /* flows in the full table beforehand */
	int stats_before; /* kernel.bpf_stats_enabled at the start */
	int stats_after; /* ... and at the end */
	unsigned long long memlock; /* the flow table's memory, bytes */
};

static const struct xlb_config bench_config = {
	.hash_seed = HASH_SEED,
	.flags = XLB_CFG_NO_FIB,
	.gw_mac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01},
	.mtu = 1500,
};

/* The keyed cases' secret (SipHash-1-3): any key costs the same. */
static const struct xlb_hash_key bench_key = {
	.k0 = 0x0706050403020100ULL,
	.k1 = 0x0f0e0d0c0b0a0908ULL,
	.alg = XLB_HASH_SIPHASH13,
};

static const __u8 our_mac[ETH_ALEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const __u8 peer_mac[ETH_ALEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-n CALLS] [-r ROUNDS] [-f FLOW_ENTRIES] "
		"[-e ESTABLISHED] [-c CPU] [-o CASE] [-x OBJ]\n"
		"  -n  calls per case per round (default 1000000)\n"
		"  -r  rounds (default 5)\n"
		"  -f  flow table entries (default %u)\n"
		"  -e  established flows for the full-table hit case\n"
		"      (default: the flow table size)\n"
		"  -c  CPU to run the timed loops on (default: the last one)\n"
		"  -o  only the cases whose name contains this string (and\n"
		"      the floor), e.g. for profiling one path\n"
		"  -x  another build's balancer.bpf.o: every case runs with\n"
		"      it too, on the same maps, interleaved (before/after)\n",
		prog, XLB_DEFAULT_FLOW_ENTRIES);
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static __u32 csum_add(__u32 sum, const void *p, size_t len)
{
	const __u8 *b = p;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (__u32)b[len - 1] << 8;
	return sum;
}

static __be16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

/* RFC 1624 incremental update for 2-byte-aligned fields changing. */
static void csum_replace(__be16 *check, const void *from, const void *to,
			 size_t len)
{
	__u32 sum = (__u16)~ntohs(*check);
	const __u8 *f = from, *t = to;

	for (size_t i = 0; i < len; i += 2) {
		sum += (__u16) ~(f[i] << 8 | f[i + 1]);
		sum += (__u32)(t[i] << 8 | t[i + 1]);
	}
	*check = csum_fold(sum);
}

/* Ethernet + IPv4/IPv6 + TCP/UDP, zero payload up to the 60-byte minimum
 * frame, every checksum right. */
static void build_frame(struct frame *f, const char *src, const char *dst,
			__u8 proto, __u16 sport, __u16 dport, __u8 tcp_flags)
{
	__u32 l4_len = proto == IPPROTO_TCP ? sizeof(struct tcphdr)
					    : sizeof(struct udphdr);
	struct ethhdr *eth = (void *)f->data;
	union xlb_addr s, d;
	__u8 fam, fam2;
	__be16 *check;
	__u32 sum;
	__u8 *l4;

	memset(f, 0, sizeof(*f));
	if (xlb_addr_parse(src, &s, &fam) || xlb_addr_parse(dst, &d, &fam2) ||
	    fam != fam2)
		abort();
	memcpy(eth->h_dest, our_mac, ETH_ALEN);
	memcpy(eth->h_source, peer_mac, ETH_ALEN);
	f->family = fam;
	f->proto = proto;
	f->l4 = sizeof(*eth) + (fam == XLB_FAMILY_V4 ? sizeof(struct iphdr)
						     : sizeof(struct ipv6hdr));
	if (f->l4 + l4_len < MIN_FRAME)
		l4_len = MIN_FRAME - f->l4; /* TCP/UDP header + payload */
	if (fam == XLB_FAMILY_V4) {
		struct iphdr *ip = (void *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons(sizeof(*ip) + l4_len);
		ip->id = htons(1);
		ip->frag_off = htons(0x4000); /* DF */
		ip->ttl = 64;
		ip->protocol = proto;
		ip->saddr = s.v4;
		ip->daddr = d.v4;
		ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));
		sum = csum_add(0, &ip->saddr, 8);
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->payload_len = htons(l4_len);
		ip6->nexthdr = proto;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, s.v6, 16);
		memcpy(&ip6->daddr, d.v6, 16);
		sum = csum_add(0, &ip6->saddr, 32);
	}
	l4 = f->data + f->l4;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)l4;

		tcp->source = htons(sport);
		tcp->dest = htons(dport);
		tcp->seq = htonl(1);
		tcp->ack_seq = htonl(tcp_flags & TCP_ACK ? 1 : 0);
		tcp->doff = 5;
		l4[13] = tcp_flags; /* the flags byte, past doff */
		tcp->window = htons(65535);
		check = &tcp->check;
	} else {
		struct udphdr *udp = (void *)l4;

		udp->source = htons(sport);
		udp->dest = htons(dport);
		udp->len = htons(l4_len);
		check = &udp->check;
	}
	sum += proto + l4_len;
	*check = csum_fold(csum_add(sum, l4, l4_len));
	f->len = f->l4 + l4_len;
}

/* Makes a frame come from generated client i (checksums kept): its
 * address's last byte (IPv4, 198.51.100.x) or word (IPv6) and port. */
static void set_client(struct frame *f, unsigned long i)
{
	struct iphdr *ip = (void *)(f->data + sizeof(struct ethhdr));
	struct ipv6hdr *ip6 = (void *)ip;
	struct tcphdr *tcp = (void *)(f->data + f->l4);
	__be32 saddr = htonl(0xc6336400 | (__u32)(i / FLOW_PORTS));
	__be16 sport = htons((__u16)(1024 + i % FLOW_PORTS));

	if (f->family == XLB_FAMILY_V6) {
		saddr = htonl((__u32)(i / FLOW_PORTS));
		csum_replace(&tcp->check, &ip6->saddr.s6_addr32[3], &saddr, 4);
		ip6->saddr.s6_addr32[3] = saddr;
	} else {
		csum_replace(&ip->check, &ip->saddr, &saddr, 4);
		csum_replace(&tcp->check, &ip->saddr, &saddr, 4);
		ip->saddr = saddr;
	}
	csum_replace(&tcp->check, &tcp->source, &sport, 2);
	tcp->source = sport;
}

/* Stable Maglev identity of a backend, from its address. */
static __u64 backend_key(const struct xlb_backend *be)
{
	__u32 w[12] = {be->addr.v6[0], be->addr.v6[1], be->addr.v6[2],
		       be->addr.v6[3], be->family};

	return (__u64)xlb_jhash_12words(w, 1) << 32 | xlb_jhash_12words(w, 0);
}

static int add_vip(struct dataplane *dp, __u32 vip_id, const char *vip,
		   const char *backend_fmt, __u32 first_id, __u32 *table)
{
	struct maglev_backend mb[NR_BACKENDS];
	struct xlb_vip_info info = {.vip_id = vip_id};
	struct xlb_vip_key key = {.port = htons(VIP_PORT),
				  .proto = IPPROTO_TCP};
	char addr[XLB_ADDR_STRLEN];
	int err;

	if (xlb_addr_parse(vip, &key.addr, &key.family))
		return -EINVAL;
	for (__u32 i = 0; i < NR_BACKENDS; i++) {
		struct xlb_backend be = {};

		snprintf(addr, sizeof(addr), backend_fmt, i + 1);
		if (xlb_addr_parse(addr, &be.addr, &be.family))
			return -EINVAL;
		be.vip_id = vip_id;
		err = dataplane_set_backend(dp, first_id + i, &be);
		if (err)
			return err;
		mb[i] = (struct maglev_backend){.id = first_id + i,
						.weight = 1,
						.key = backend_key(&be)};
	}
	err = maglev_build(mb, NR_BACKENDS, HASH_SEED, table, TABLE_SIZE);
	if (!err)
		err = dataplane_set_table(dp, vip_id, table, TABLE_SIZE);
	if (!err)
		err = dataplane_set_vip(dp, &key, &info);
	return err;
}

/* The bench's own namespace: a veth with the backends behind it, for
 * the cases that ask the FIB for the next hop (as deployed: the agent
 * never sets XLB_CFG_NO_FIB). */
#define FIB_DEV "xlbb0"

static int run_cmd(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		fprintf(stderr, "`%s` failed (%d)\n", cmd, rc);
	return rc ? -EIO : 0;
}

static int setup_fib(void)
{
	char cmd[256];
	int err = 0;

	err |= run_cmd("ip link set lo up");
	err |= run_cmd("ip link add " FIB_DEV " type veth peer name " FIB_DEV
		       "p");
	err |= run_cmd("ip link set " FIB_DEV " up && ip link set " FIB_DEV
		       "p up");
	err |= run_cmd("ip addr add 192.0.2.254/24 dev " FIB_DEV);
	err |= run_cmd("ip -6 addr add 2001:db8:b::fe/64 dev " FIB_DEV
		       " nodad");
	err |= run_cmd("sysctl -qw net.ipv4.conf.all.forwarding=1 "
		       "net.ipv6.conf.all.forwarding=1");
	for (unsigned int i = 1; i <= NR_BACKENDS && !err; i++) {
		snprintf(cmd, sizeof(cmd),
			 "ip neigh replace 192.0.2.%u dev " FIB_DEV
			 " nud permanent lladdr 02:00:00:00:01:%02x && "
			 "ip neigh replace 2001:db8:b::%u dev " FIB_DEV
			 " nud permanent lladdr 02:00:00:00:02:%02x",
			 i, i, i, i);
		err |= run_cmd(cmd);
	}
	return err ? -EIO : 0;
}

/* A loaded balancer with the benchmark's configuration and a flow table
 * of the given size; fib: next hops from the FIB, redirected to FIB_DEV;
 * keyed: the flow hash keyed (bench_key), jhash with HASH_SEED if not. */
static struct dataplane *open_balancer(unsigned long entries, bool fib,
				       bool keyed)
{
	struct dataplane_opts dopts = {.flow_entries = entries};
	struct xlb_config cfg = bench_config;
	struct dataplane *dp;
	__u32 *table, ifindex;
	int err;

	table = calloc(TABLE_SIZE, sizeof(*table));
	if (!table)
		return NULL;
	dp = dataplane_open(&dopts);
	if (!dp) {
		err = -errno;
		goto out;
	}
	if (fib) {
		ifindex = if_nametoindex(FIB_DEV);
		cfg.flags &= ~XLB_CFG_NO_FIB;
		inet_pton(AF_INET, "192.0.2.254", &cfg.src4);
		inet_pton(AF_INET6, "2001:db8:b::fe", cfg.src6);
		err = ifindex ? dataplane_add_tx_port(dp, ifindex) : -ENODEV;
		if (err)
			goto out;
	}
	err = dataplane_set_config(dp, &cfg);
	if (!err && keyed)
		err = dataplane_set_hash_key(dp, &bench_key);
	if (!err)
		err = add_vip(dp, 0, "203.0.113.10", "192.0.2.%u", 1, table);
	if (!err)
		err = add_vip(dp, 1, "2001:db8:a::10", "2001:db8:b::%u",
			      1 + NR_BACKENDS, table);
out:
	free(table);
	if (err) {
		fprintf(stderr, "setting up the balancer: %s\n",
			strerror(-err));
		dataplane_close(dp);
		errno = -err;
		return NULL;
	}
	return dp;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* ---- the backend's decap: IPIP, GUE, second chance ---- */

/* This host's tunnel address, and the backend a GUE list names next. */
#define DECAP_SELF "192.0.2.100"
#define DECAP_NEXT "192.0.2.1"	/* a neighbour on FIB_DEV */
#define DECAP_PORT_NONE 81	/* nothing listens there */

/* A tunnel frame around inner (an Ethernet frame from build_frame):
 * outer IPv4 from the balancer to DECAP_SELF, then IPIP, or UDP to the
 * GUE port and GUE with ncands candidates (DECAP_SELF, DECAP_NEXT; none
 * below 2). Checksums right, the UDP one 0 (as GUE goes). */
static void build_tunnel(struct frame *f, const struct frame *inner, bool gue,
			 int ncands)
{
	__u32 ilen = inner->len - sizeof(struct ethhdr), hlen = 0, udp = 0;
	struct ethhdr *eth = (void *)f->data;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 *p = (__u8 *)(ip + 1);
	union xlb_addr a;
	__u8 fam;

	memset(f, 0, sizeof(*f));
	*eth = *(const struct ethhdr *)inner->data;
	eth->h_proto = htons(ETH_P_IP);
	if (gue) {
		struct udphdr *uh = (void *)p;

		if (ncands > 1)
			hlen = 1 + (__u32)ncands;	/* IPv4 addresses */
		udp = sizeof(struct udphdr) + 4 + hlen * 4;
		uh->source = htons(XLB_GUE_SPORT_BASE | 0x123);
		uh->dest = htons(XLB_GUE_PORT_DEFAULT);
		uh->len = htons(udp + ilen);
		p[8] = (__u8)hlen;
		p[9] = IPPROTO_IPIP;
		if (hlen) {
			p[12] = XLB_GUE_MAGIC;
			p[13] = 0;
			p[14] = (__u8)ncands;
			p[15] = XLB_FAMILY_V4;
			xlb_addr_parse(DECAP_SELF, &a, &fam);
			memcpy(p + 16, &a.v4, 4);
			xlb_addr_parse(DECAP_NEXT, &a, &fam);
			memcpy(p + 20, &a.v4, 4);
		}
	}
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + udp + ilen);
	ip->frag_off = htons(0x4000);
	ip->ttl = 64;
	ip->protocol = gue ? IPPROTO_UDP : IPPROTO_IPIP;
	inet_pton(AF_INET, "192.0.2.240", &ip->saddr);
	xlb_addr_parse(DECAP_SELF, &a, &fam);
	ip->daddr = a.v4;
	ip->check = csum_fold(csum_add(0, ip, sizeof(*ip)));
	memcpy(p + udp, inner->data + sizeof(struct ethhdr), ilen);
	f->len = sizeof(*eth) + sizeof(*ip) + udp + ilen;
	f->l4 = inner->l4 + (f->len - inner->len);
	f->family = XLB_FAMILY_V4;
	f->proto = inner->proto;
}

/* The decap's output: passed, the inner frame (same MACs); sent on, the
 * same frame readdressed to DECAP_NEXT, its MACs from the FIB. */
static int check_decap(const struct bench_case *c, const __u8 *out,
		       __u32 len)
{
	const struct iphdr *ip = (const void *)(out + sizeof(struct ethhdr));
	/* the headers before the inner IPv4 one's TCP, but Ethernet and it */
	__u32 outer = c->frame.l4 - sizeof(struct ethhdr) - sizeof(*ip);
	union xlb_addr next;
	__u8 fam;

	xlb_addr_parse(DECAP_NEXT, &next, &fam);
	if (c->retval == XDP_PASS ? len != c->frame.len - outer
				  : len != c->frame.len ||
					    ip->daddr != next.v4) {
		fprintf(stderr, "%s: output is not what the decap sends\n",
			c->name);
		return -EPROTO;
	}
	return 0;
}

/* An established connection in the bench's namespace, from the client
 * to the VIP (both on lo): the GUE local case's inner tuple. The
 * sockets stay open to the end. Returns the client's port, 0 on error. */
static __u16 decap_connection(void)
{
	struct sockaddr_in vip = {.sin_family = AF_INET,
				  .sin_port = htons(VIP_PORT)};
	struct sockaddr_in cl = {.sin_family = AF_INET};
	socklen_t len = sizeof(cl);
	int l, c, one = 1;

	if (run_cmd("ip addr add 203.0.113.10/32 dev lo && "
		    "ip addr add 198.51.100.1/32 dev lo"))
		return 0;
	inet_pton(AF_INET, "203.0.113.10", &vip.sin_addr);
	inet_pton(AF_INET, "198.51.100.1", &cl.sin_addr);
	l = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || c < 0 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&vip, sizeof(vip)) || listen(l, 4) ||
	    bind(c, (struct sockaddr *)&cl, sizeof(cl)) ||
	    connect(c, (struct sockaddr *)&vip, sizeof(vip)) ||
	    accept(l, NULL, NULL) < 0 ||
	    getsockname(c, (struct sockaddr *)&cl, &len)) {
		fprintf(stderr, "an established connection: %s\n",
			strerror(errno));
		return 0;
	}
	return ntohs(cl.sin_port);
}

/* The decap with this host's address and FIB_DEV to send on. */
static struct decap *open_decap(void)
{
	struct decap *dc = decap_open();
	union xlb_addr a;
	__u8 fam;
	int err;

	if (!dc)
		return NULL;
	xlb_addr_parse(DECAP_SELF, &a, &fam);
	err = decap_add_addr(dc, &a, fam);
	if (!err)
		err = decap_add_tx_port(dc, if_nametoindex(FIB_DEV));
	if (err) {
		decap_close(dc);
		errno = -err;
		return NULL;
	}
	return dc;
}

/* With -x DIR/balancer.bpf.o: DIR/decap.bpf.o, loaded on maps of its own
 * with this host's address. */
static struct decap *load_other_decap(const char *balancer,
				      struct bpf_object **obj)
{
	char path[PATH_MAX];
	const char *slash = strrchr(balancer, '/');
	struct bpf_program *prog;
	struct decap *dc;
	union xlb_addr a;
	__u8 fam;

	snprintf(path, sizeof(path), "%.*sdecap.bpf.o",
		 slash ? (int)(slash - balancer + 1) : 0, balancer);
	*obj = bpf_object__open_file(path, NULL);
	if (!*obj)
		return NULL;
	prog = bpf_object__find_program_by_name(*obj, "xlb_decap");
	if (!prog || bpf_object__load(*obj)) {
		fprintf(stderr, "-x: cannot load %s\n", path);
		errno = EINVAL;
		return NULL;
	}
	dc = decap_from_prog(bpf_program__fd(prog));
	xlb_addr_parse(DECAP_SELF, &a, &fam);
	if (dc && decap_add_addr(dc, &a, fam)) {
		decap_close(dc);
		errno = EIO;
		return NULL;
	}
	return dc;
}

/* The decap's rows: today's IPIP, GUE with one candidate, GUE with a
 * list and an established socket (the lookup, passed), GUE with a list
 * and no socket (the lookup, the FIB, readdressed, redirected). */
static void init_decap_cases(struct bench_case *cases, struct decap *dc,
			     __u16 est_port)
{
	struct frame est, none;

	build_frame(&est, "198.51.100.1", "203.0.113.10", IPPROTO_TCP,
		    est_port, VIP_PORT, TCP_ACK);
	build_frame(&none, "198.51.100.1", "203.0.113.10", IPPROTO_TCP,
		    est_port, DECAP_PORT_NONE, TCP_ACK);
	cases[0] = (struct bench_case){.name = "decap: IPIP, IPv4 TCP",
				       .dc = dc,
				       .retval = XDP_PASS,
				       .reason = XLB_DECAP_DONE};
	build_tunnel(&cases[0].frame, &est, false, 0);
	cases[1] = (struct bench_case){
		.name = "decap: GUE, one candidate",
		.dc = dc,
		.retval = XDP_PASS,
		.reason = XLB_DECAP_GUE_ONE};
	build_tunnel(&cases[1].frame, &est, true, 1);
	cases[2] = (struct bench_case){
		.name = "decap: GUE list, established socket: local",
		.dc = dc,
		.retval = XDP_PASS,
		.reason = XLB_DECAP_LOCAL_SOCKET};
	build_tunnel(&cases[2].frame, &est, true, 2);
	cases[3] = (struct bench_case){
		.name = "decap: GUE list, no socket: sent on (FIB)",
		.dc = dc,
		.retval = XDP_REDIRECT,
		.reason = XLB_DECAP_FWD_NO_SOCKET};
	build_tunnel(&cases[3].frame, &none, true, 2);
	for (int i = 0; i < 4; i++)
		cases[i].prog_fd = decap_prog_fd(dc);
}

/* One call, output kept: checks the verdict and, when forwarded, the
 * outer header (IPv4 backends for IPv4 VIPs, IPv6 for IPv6). */
static int check_once(struct bench_case *c)
{
	__u8 out[FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = c->frame.data,
		    .data_size_in = c->frame.len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	__u32 grow = c->frame.family == XLB_FAMILY_V4 ? XLB_IPIP_OVERHEAD
						      : XLB_IP6IP6_OVERHEAD;
	struct ethhdr *eth = (void *)out;

	if (bpf_prog_test_run_opts(c->prog_fd, &topts))
		return -errno;
	if (topts.retval != c->retval) {
		fprintf(stderr, "%s: verdict %u, expected %u\n", c->name,
			topts.retval, c->retval);
		return -EPROTO;
	}
	if (c->dc)
		return check_decap(c, out, topts.data_size_out);
	if (c->retval != XDP_TX && c->retval != XDP_REDIRECT)
		return 0;
	if (topts.data_size_out != c->frame.len + grow ||
	    eth->h_proto != htons(c->frame.family == XLB_FAMILY_V4
					  ? ETH_P_IP
					  : ETH_P_IPV6) ||
	    (c->retval == XDP_TX &&
	     memcmp(eth->h_dest, bench_config.gw_mac, ETH_ALEN))) {
		fprintf(stderr, "%s: output is not the encapsulated frame\n",
			c->name);
		return -EPROTO;
	}
	return 0;
}

/* Says what the calls were counted as, when a check fails. */
static void print_reasons(const char *what, const __u64 *before,
			  const __u64 *after)
{
	fprintf(stderr, "%s counted:", what);
	for (unsigned int r = 0; r < XLB_REASON_MAX; r++)
		if (after[r] != before[r])
			fprintf(stderr, " %s %llu", xlb_reason_name(r),
				(unsigned long long)(after[r] - before[r]));
	fprintf(stderr, "\n");
}

/* Runs one block of n calls; adds their wall and kernel time to the
 * case's sums, and checks every call took the path the case measures. */
static int run_block(struct bench_case *c, unsigned long n)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = c->frame.data,
		    .data_size_in = c->frame.len, .repeat = 1);
	__u64 before[XLB_REASON_MAX], after[XLB_REASON_MAX];
	__u64 dbefore[XLB_DECAP_MAX], dafter[XLB_DECAP_MAX];
	unsigned long wrong = 0;
	struct timespec t0, t1;
	__u64 kern = 0;
	int err;

	if (c->dp) {
		err = dataplane_read_reasons(c->dp, before);
		if (err)
			return err;
	}
	if (c->dc) {
		err = decap_read_stats(c->dc, dbefore);
		if (err)
			return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0; i < n; i++) {
		if (c->vary) {
			set_client(&c->frame, *c->nextp);
			if (++*c->nextp == c->cycle)
				*c->nextp = 0;
		}
		topts.data_size_out = 0; /* libbpf wrote the last size */
		if (bpf_prog_test_run_opts(c->prog_fd, &topts))
			return -errno;
		kern += topts.duration;
		wrong += topts.retval != c->retval;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	c->wall_sum +=
		(t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	c->kern_sum += kern;

	if (wrong) {
		fprintf(stderr, "%s: %lu of %lu verdicts were not %u\n",
			c->name, wrong, n, c->retval);
		return -EPROTO;
	}
	if (c->dc) {
		err = decap_read_stats(c->dc, dafter);
		if (!err && dafter[c->reason] - dbefore[c->reason] != n) {
			fprintf(stderr, "%s: %llu of %lu calls counted as %s\n",
				c->name,
				(unsigned long long)(dafter[c->reason] -
						     dbefore[c->reason]),
				n, xlb_decap_reason_name(c->reason));
			err = -EPROTO;
		}
		return err;
	}
	if (!c->dp || c->reason < 0)
		return 0;
	err = dataplane_read_reasons(c->dp, after);
	if (err)
		return err;
	if (after[c->reason] - before[c->reason] != n) {
		fprintf(stderr, "%s: %llu of %lu calls counted as %s\n",
			c->name,
			(unsigned long long)(after[c->reason] -
					     before[c->reason]),
			n, xlb_reason_name(c->reason));
		print_reasons(c->name, before, after);
		return -EPROTO;
	}
	return 0;
}

/* The kernel's memlock figure for a map fd (its memory), from fdinfo. */
static unsigned long long map_memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Whether the loaded program's flow table keeps per-CPU LRU lists
 * (BPF_F_NO_COMMON_LRU): then a CPU can hold only its share of the
 * entries. Its memory in *memlock. */
static bool flows_percpu_lru(int prog_fd, unsigned long long *memlock)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[32];
	bool percpu = false;

	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return false;
	for (__u32 i = 0; i < info.nr_map_ids && i < 32; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) &&
		    !strcmp(mi.name, "flows")) {
			percpu = mi.map_flags & BPF_F_NO_COMMON_LRU;
			*memlock = map_memlock(fd);
		}
		close(fd);
	}
	return percpu;
}

/* Establishes flows first..first+n-1 (SYNs), spread over the CPUs in the
 * mask the way RSS would. exact: every one must still be in the table
 * afterwards (else the table is being filled past full, and evicts). */
static int prefill(struct dataplane *dp, unsigned long first, unsigned long n,
		   const cpu_set_t *cpus, bool exact)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .repeat = 1);
	__u64 before[XLB_REASON_MAX], after[XLB_REASON_MAX];
	__u64 counts[1 + 2 * NR_BACKENDS] = {}, total = 0;
	int ncpu = CPU_COUNT(cpus), k = 0, err;
	struct frame f;

	build_frame(&f, "198.51.100.0", "203.0.113.10", IPPROTO_TCP, 1024,
		    VIP_PORT, TCP_SYN);
	topts.data_in = f.data;
	topts.data_size_in = f.len;
	err = dataplane_read_reasons(dp, before);
	if (err)
		return err;
	for (int cpu = 0; k < ncpu; cpu++) {
		if (!CPU_ISSET(cpu, cpus))
			continue;
		err = pin_cpu(cpu);
		if (err)
			return err;
		for (unsigned long i = k; i < n; i += ncpu) {
			set_client(&f, first + i);
			topts.data_size_out = 0;
			if (bpf_prog_test_run_opts(dataplane_prog_fd(dp),
						   &topts))
				return -errno;
		}
		k++;
	}
	err = dataplane_read_reasons(dp, after);
	if (!err)
		err = dataplane_count_flows(dp, counts, 1 + 2 * NR_BACKENDS, 0);
	if (err)
		return err;
	for (size_t i = 0; i < 1 + 2 * NR_BACKENDS; i++)
		total += counts[i];
	if (after[XLB_FLOW_MISS] - before[XLB_FLOW_MISS] != n ||
	    (exact && total != n)) {
		fprintf(stderr,
			"prefill: %llu misses, %llu flows in the table, "
			"expected %lu\n",
			(unsigned long long)(after[XLB_FLOW_MISS] -
					     before[XLB_FLOW_MISS]),
			(unsigned long long)total, n);
		print_reasons("prefill", before, after);
		return -EPROTO;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median, min and max of v[0..n-1] (sorted in place). */
static double summarize(double *v, unsigned long n, double *min, double *max)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*min = v[0];
	*max = v[n - 1];
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The floor always runs: every ratio divides by it. */
static bool selected(const struct bench_case *c, size_t i,
		     const struct bench_opts *o)
{
	return !i || !o->only || strstr(c->name, o->only);
}

static void print_table(struct bench_case *cases, size_t ncases,
			const struct bench_opts *o, const struct table_info *t)
{
	unsigned long rounds = o->rounds;
	double *wr = calloc(rounds, sizeof(double));
	double *kr = calloc(rounds, sizeof(double));

	if (!wr || !kr) {
		free(wr);
		free(kr);
		return;
	}

	printf("BPF_PROG_TEST_RUN with repeat=1, %lu calls per case per round, "
	       "%lu rounds, on CPU %ld.\n",
	       o->calls, o->rounds, o->cpu);
	if (t->percpu)
		printf("Flow table %lu entries (LRU, %lu per CPU list, %d "
		       "possible CPUs)",
		       o->flow_entries, t->share, t->possible);
	else
		printf("Flow table %lu entries (one LRU for all CPUs)",
		       o->flow_entries);
	printf("; %u backends per VIP, Maglev table %u.\n", NR_BACKENDS,
	       TABLE_SIZE);
	if (t->memlock)
		printf("Flow table memory (the kernel's memlock for the map, "
		       "preallocated): %.1f MB, %.1f MB per million flows.\n",
		       t->memlock / 1e6,
		       t->memlock / 1e6 * 1e6 / o->flow_entries);
	if (o->other)
		printf("Rows marked [-x]: the balancer of %s, run on the same "
		       "maps as the row above it,\ninterleaved with it.\n",
		       o->other);
	printf("kernel.bpf_stats_enabled: %d at the start, %d at the end "
	       "(1 adds two clock reads to every run, the floor's too).\n\n",
	       t->stats_before, t->stats_after);

	printf("| case | frame | wall ns/call: median (min..max) | "
	       "x floor | kernel ns/run: median (min..max) | x floor: median "
	       "(min..max) | kernel - floor |\n");
	printf("|---|--:|--:|--:|--:|--:|--:|\n");
	/* per-round ratios first (summarize sorts), the floor's own last */
	for (size_t j = ncases; j-- > 0;) {
		struct bench_case *c = &cases[j];
		double unused;

		if (!selected(c, j, o))
			continue;
		for (unsigned long r = 0; r < rounds; r++) {
			wr[r] = c->wall[r] / cases[0].wall[r];
			kr[r] = c->kern[r] / cases[0].kern[r];
		}
		c->wratio = summarize(wr, rounds, &unused, &unused);
		c->ratio = summarize(kr, rounds, &c->ratio_min, &c->ratio_max);
		for (unsigned long r = 0; r < rounds; r++)
			kr[r] = c->kern[r] - cases[0].kern[r];
		c->diff = summarize(kr, rounds, &unused, &unused);
	}
	for (size_t i = 0; i < ncases; i++) {
		struct bench_case *c = &cases[i];
		double w, wmin, wmax, k, kmin, kmax;

		if (!selected(c, i, o))
			continue;
		w = summarize(c->wall, rounds, &wmin, &wmax);
		k = summarize(c->kern, rounds, &kmin, &kmax);
		printf("| %s | %u B | %.0f (%.0f..%.0f) | %.2f | "
		       "%.1f (%.1f..%.1f) | %.2f (%.2f..%.2f) | %+.1f |\n",
		       c->name, c->frame.len, w, wmin, wmax, c->wratio, k, kmin,
		       kmax, c->ratio, c->ratio_min, c->ratio_max, c->diff);
	}
	free(wr);
	free(kr);
	printf("\n");
	for (size_t i = 1; i < ncases; i++) {
		const struct bench_case *c = &cases[i];
		/* issue 7: a hit within 2.5x the floor, a miss within 4x */
		double target = c->dc				? 0
				: c->reason == XLB_FLOW_HIT    ? 2.5
				: c->reason == XLB_FLOW_MISS ? 4.0
							     : 0;
		double floor_ns = c->ratio > 1 ? c->diff / (c->ratio - 1) : 0;

		if (!target || c->base || !selected(c, i, o))
			continue;
		printf("- target (issue 7) %s: within %.1fx the floor: %.2fx, ",
		       c->name, target, c->ratio);
		if (c->ratio <= target)
			printf("met\n");
		else
			printf("missed by %.2fx (%.0f ns above the floor, where "
			       "%.1fx allows %.0f)\n",
			       c->ratio - target, c->diff, target,
			       (target - 1) * floor_ns);
	}
	printf("\n"
	       "- wall: CLOCK_MONOTONIC around the calls, so the syscall, the "
	       "frame copies\n"
	       "  and (varying cases) rewriting the client are in; the syscall "
	       "dominates.\n"
	       "  kernel: the duration BPF_PROG_TEST_RUN "
	       "reports per run,\n"
	       "  the program alone plus one clock read (which the floor "
	       "carries too).\n"
	       "- cases interleaved in blocks of %lu calls, so all share the "
	       "machine's load;\n"
	       "  x floor and kernel - floor: the median over rounds of each "
	       "round's own.\n"
	       "- XDP_TX and redirects are not transmitted in a test run: "
	       "sending is not counted.\n"
	       "- flow hit: the configured gateway MAC (XLB_CFG_NO_FIB), "
	       "XDP_TX. FIB next hop: as\n"
	       "  deployed, bpf_fib_lookup through the per-CPU next-hop cache "
	       "(asked again\n"
	       "  every %llu ms), redirected to another device.\n"
	       "- miss, table filling: a new client per call, into a new "
	       "(empty) flow table\n"
	       "  each round; past %lu new flows %s is full and each miss "
	       "also evicts.\n"
	       "- miss, table full: %lu flows inserted first, so every miss "
	       "also evicts the\n"
	       "  least recently used entry (a busy balancer's steady "
	       "state).\n"
	       "- flow hit over N flows: N established beforehand (spread over "
	       "the CPUs as\n"
	       "  RSS would), the calls cycling through them",
	       BLOCK_CALLS, XLB_NEXTHOP_TTL_NS / 1000000, t->share,
	       t->percpu ? "a CPU's LRU list" : "the table", t->full);
	if (t->est_entries > o->established)
		printf(", in a table of %lu\n"
		       "  entries: a shared LRU evicts up to 128 per CPU "
		       "(its local free lists)\n"
		       "  a little before it is full",
		       t->est_entries);
	printf(".\n");
	printf("- decap (a backend's program): IPIP, as before GUE; GUE with "
	       "one candidate;\n"
	       "  GUE with a list of two, this host first, and a real "
	       "established connection\n"
	       "  in the bench's namespace (bpf_skc_lookup_tcp finds it: "
	       "passed) or no socket\n"
	       "  (the lookup, then bpf_fib_lookup, readdressed, redirected "
	       "to " FIB_DEV ").\n");
}

/* Loads another build's balancer on the maps of ours (by name; a map
 * ours lacks is its own), for side-by-side figures. */
static struct bpf_object *load_other(const char *file, int prog_fd,
				     int *other_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[32];
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	obj = bpf_object__open_file(file, NULL);
	if (!obj)
		return NULL;
	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		goto err;
	bpf_object__for_each_map (map, obj) {
		for (__u32 i = 0; i < info.nr_map_ids && i < 32; i++) {
			struct bpf_map_info mi = {};
			__u32 mlen = sizeof(mi);
			int fd = bpf_map_get_fd_by_id(ids[i]);

			if (fd < 0)
				continue;
			err = bpf_obj_get_info_by_fd(fd, &mi, &mlen);
			if (!err && !strcmp(mi.name, bpf_map__name(map)))
				err = bpf_map__reuse_fd(map, fd);
			close(fd);
			if (err)
				goto err;
		}
	}
	prog = bpf_object__find_program_by_name(obj, "xlb_balancer");
	if (!prog || bpf_object__load(obj))
		goto err;
	*other_fd = bpf_program__fd(prog);
	return obj;
err:
	bpf_object__close(obj);
	errno = EINVAL;
	return NULL;
}

/* Every round runs every case, interleaved in blocks of BLOCK_CALLS: on
 * a shared machine the load changes from one second to the next, and this
 * way every case (the floor too) sees the same mix of it. */

static int measure(struct bench_case *cases, size_t ncases,
		   const struct bench_opts *o)
{
	int err = pin_cpu((int)o->cpu);

	if (err)
		return err;
	fprintf(stderr,
		"%zu cases x %lu rounds x %lu calls on CPU %ld, "
		"interleaved by %lu...\n",
		ncases, o->rounds, o->calls, o->cpu, BLOCK_CALLS);
	for (unsigned long r = 0; r < o->rounds; r++) {
		for (size_t i = 0; i < ncases; i++) {
			struct bench_case *c = &cases[i];

			c->wall_sum = c->kern_sum = 0;
			if (!selected(c, i, o) || !c->fresh_table)
				continue;
			dataplane_close(c->dp);
			c->dp = open_balancer(o->flow_entries, false,
					      c->keyed);
			if (!c->dp)
				return -errno;
			c->prog_fd = dataplane_prog_fd(c->dp);
			c->next = 0;
		}
		for (size_t i = 0; i < ncases; i++) {
			struct bench_case *c = &cases[i];

			if (!c->base || !c->base->fresh_table ||
			    !selected(c, i, o))
				continue;
			bpf_object__close(c->obj);
			c->dp = c->base->dp;
			c->obj = load_other(o->other, c->base->prog_fd,
					    &c->prog_fd);
			if (!c->obj)
				return -errno;
		}
		for (unsigned long done = 0; done < o->calls;) {
			unsigned long n = o->calls - done;

			if (n > BLOCK_CALLS)
				n = BLOCK_CALLS;
			for (size_t k = 0; k < ncases; k++) {
				/* every other block backwards: no case
				 * always follows the same one */
				size_t i = (done / BLOCK_CALLS) & 1
						   ? ncases - 1 - k
						   : k;

				if (!selected(&cases[i], i, o))
					continue;
				err = run_block(&cases[i], n);
				if (err)
					return err;
			}
			done += n;
		}
		for (size_t i = 0; i < ncases; i++) {
			struct bench_case *c = &cases[i];

			c->wall[r] = c->wall_sum / o->calls;
			c->kern[r] = c->kern_sum / o->calls;
		}
	}
	return 0;
}

/* The cases of init_cases(). */
#define NCASES 13

/* The balancers the cases run on. */
struct balancers {
	struct dataplane *dp; /* NO_FIB, small flow set */
	struct dataplane *fib; /* next hops from the FIB */
	struct dataplane *est; /* N established flows */
	struct dataplane *full; /* a full table */
	struct dataplane *keyed; /* as dp, the flow hash keyed */
};

/* The cases in table order; the floor first, the ratios divide by it. */
static void init_cases(struct bench_case *cases, struct xlb_bench_drop *drop,
		       const struct balancers *b, unsigned long established,
		       unsigned long full, char *est_name, size_t len)
{
	cases[0] = (struct bench_case){
		.name = "floor: XDP_DROP program",
		.prog_fd = bpf_program__fd(drop->progs.xlb_bench_drop),
		.retval = XDP_DROP,
		.reason = -1};
	build_frame(&cases[0].frame, "198.51.100.1", "203.0.113.10",
		    IPPROTO_TCP, 40000, VIP_PORT, TCP_ACK);
	cases[1] = (struct bench_case){.name = "non-VIP pass, IPv4 UDP",
				       .dp = b->dp,
				       .retval = XDP_PASS,
				       .reason = XLB_PASS_NOT_VIP};
	build_frame(&cases[1].frame, "198.51.100.1", "203.0.113.200",
		    IPPROTO_UDP, 40000, 53, 0);
	cases[2] = (struct bench_case){.name = "flow hit, IPv4 TCP",
				       .dp = b->dp,
				       .retval = XDP_TX,
				       .reason = XLB_FLOW_HIT};
	build_frame(&cases[2].frame, "198.51.100.1", "203.0.113.10",
		    IPPROTO_TCP, 40000, VIP_PORT, TCP_ACK);
	cases[3] = (struct bench_case){.name = "flow hit, IPv6 TCP",
				       .dp = b->dp,
				       .retval = XDP_TX,
				       .reason = XLB_FLOW_HIT};
	build_frame(&cases[3].frame, "2001:db8:c::1", "2001:db8:a::10",
		    IPPROTO_TCP, 40000, VIP_PORT, TCP_ACK);
	cases[4] =
		(struct bench_case){.name = "flow hit, IPv4 TCP, FIB next hop",
				    .dp = b->fib,
				    .retval = XDP_REDIRECT,
				    .reason = XLB_FLOW_HIT};
	cases[4].frame = cases[2].frame;
	cases[5] =
		(struct bench_case){.name = "flow hit, IPv6 TCP, FIB next hop",
				    .dp = b->fib,
				    .retval = XDP_REDIRECT,
				    .reason = XLB_FLOW_HIT};
	cases[5].frame = cases[3].frame;
	cases[6] = (struct bench_case){
		.name = "miss (new flow), IPv4 TCP, table filling",
		.retval = XDP_TX,
		.reason = XLB_FLOW_MISS,
		.fresh_table = true,
		.vary = true};
	build_frame(&cases[6].frame, "198.51.100.0", "203.0.113.10",
		    IPPROTO_TCP, 1024, VIP_PORT, TCP_SYN);
	/* new clients from past the prefilled ones; by the time they wrap,
	 * the first ones are long evicted */
	cases[7] = (struct bench_case){
		.name = "miss (new flow), IPv4 TCP, table full",
		.dp = b->full,
		.retval = XDP_TX,
		.reason = XLB_FLOW_MISS,
		.vary = true,
		.next = full,
		.cycle = FLOW_MAX};
	cases[7].frame = cases[6].frame;
	snprintf(est_name, len, "flow hit over %lu flows, IPv4", established);
	cases[8] = (struct bench_case){.name = est_name,
				       .dp = b->est,
				       .retval = XDP_TX,
				       .reason = XLB_FLOW_HIT,
				       .vary = true,
				       .cycle = established};
	build_frame(&cases[8].frame, "198.51.100.0", "203.0.113.10",
		    IPPROTO_TCP, 1024, VIP_PORT, TCP_ACK);
	/* the flow hash: SipHash-1-3 with a key beside jhash (above) */
	cases[9] = (struct bench_case){.name = "flow hit, IPv6 TCP, keyed hash",
				       .dp = b->keyed,
				       .retval = XDP_TX,
				       .reason = XLB_FLOW_HIT};
	cases[9].frame = cases[3].frame;
	cases[10] = cases[6];
	cases[10].name = "miss (new flow), IPv4 TCP, keyed hash, table filling";
	cases[10].keyed = true;
	cases[11] = cases[6];
	cases[11].name = "miss (new flow), IPv6 TCP, table filling";
	build_frame(&cases[11].frame, "2001:db8:c::", "2001:db8:a::10",
		    IPPROTO_TCP, 1024, VIP_PORT, TCP_SYN);
	cases[12] = cases[11];
	cases[12].name = "miss (new flow), IPv6 TCP, keyed hash, table filling";
	cases[12].keyed = true;
}

/* ---- the flow hash alone ---- */

#define HASHES_PER_RUN 64 /* XLB_BENCH_HASHES in tests/bench/hash.bpf.c */
#define HASH_REPEAT 20000

/* Median over rounds of one program's ns per run. */
static int hash_run_ns(struct bpf_program *prog, unsigned long rounds,
		       double *ns)
{
	__u8 frame[MIN_FRAME] = {0};
	double *v = calloc(rounds, sizeof(double)), unused;
	LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = frame,
		    .data_size_in = sizeof(frame), .repeat = HASH_REPEAT);

	if (!v)
		return -ENOMEM;
	for (unsigned long r = 0; r < rounds; r++) {
		if (bpf_prog_test_run_opts(bpf_program__fd(prog), &topts)) {
			free(v);
			return -errno;
		}
		v[r] = topts.duration;
	}
	*ns = summarize(v, rounds, &unused, &unused);
	free(v);
	return 0;
}

/* The latency of one flow hash in BPF, for each hash and family, less
 * the loop around it: what a miss pays for hashing (and an IPv6 hit, for
 * the outer flow label). */
static int measure_hashes(const struct bench_opts *o)
{
	struct xlb_bench_hash *skel = xlb_bench_hash__open_and_load();
	struct {
		const char *name;
		struct bpf_program *v4, *v6;
	} rows[3];
	double none, v4, v6;
	int err;

	if (!skel)
		return -errno;
	rows[0].name = "jhash, no key (hash_seed)";
	rows[0].v4 = skel->progs.xlb_bench_jhash_v4;
	rows[0].v6 = skel->progs.xlb_bench_jhash_v6;
	rows[1].name = "SipHash-1-3, keyed (hash_secret_file)";
	rows[1].v4 = skel->progs.xlb_bench_sip13_v4;
	rows[1].v6 = skel->progs.xlb_bench_sip13_v6;
	rows[2].name = "SipHash-2-4 (for comparison)";
	rows[2].v4 = skel->progs.xlb_bench_sip24_v4;
	rows[2].v6 = skel->progs.xlb_bench_sip24_v6;
	err = hash_run_ns(skel->progs.xlb_bench_hash_none, o->rounds, &none);
	if (err)
		goto out;
	printf("\n## The flow hash alone\n\n"
	       "Latency of one flow hash in BPF: %d hashes in a chain per "
	       "run, repeat=%d,\nmedian of %lu rounds, less the loop alone "
	       "(%.1f ns a run). Every miss hashes;\nso does a hit to an "
	       "IPv6 backend (the outer flow label).\n\n"
	       "| hash | IPv4 tuple, ns | IPv6 tuple, ns |\n|---|--:|--:|\n",
	       HASHES_PER_RUN, HASH_REPEAT, o->rounds, none);
	for (int i = 0; i < 3; i++) {
		err = hash_run_ns(rows[i].v4, o->rounds, &v4);
		if (!err)
			err = hash_run_ns(rows[i].v6, o->rounds, &v6);
		if (err)
			goto out;
		printf("| %s | %.1f | %.1f |\n", rows[i].name,
		       (v4 - none) / HASHES_PER_RUN,
		       (v6 - none) / HASHES_PER_RUN);
	}
out:
	xlb_bench_hash__destroy(skel);
	return err;
}

static int read_bpf_stats(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {.calls = 1000000,
			       .rounds = 5,
			       .flow_entries = XLB_DEFAULT_FLOW_ENTRIES,
			       .cpu = -1};
	struct xlb_bench_drop *drop = NULL;
	struct balancers b = {};
	struct bench_case base[NCASES + NDECAP] = {};
	struct bench_case cases[2 * (NCASES + NDECAP)] = {};
	size_t nbase = sizeof(base) / sizeof(base[0]), ncases = 0;
	static char twin_names[NCASES + NDECAP][96];
	struct decap *dc = NULL;
	__u16 est_port;
	struct table_info t = {.stats_before = read_bpf_stats()};
	unsigned long val;
	bool established_set = false;
	char est_name[64];
	int opt, err = 0;
	cpu_set_t cpus;

	while ((opt = getopt(argc, argv, "n:r:f:e:c:o:x:h")) != -1) {
		switch (opt) {
		case 'n':
			err = parse_ulong(optarg, 1, FLOW_MAX, &o.calls);
			break;
		case 'r':
			err = parse_ulong(optarg, 1, 1000, &o.rounds);
			break;
		case 'f':
			err = parse_ulong(optarg, 1, 1UL << 28,
					  &o.flow_entries);
			break;
		case 'e':
			err = parse_ulong(optarg, 1, FLOW_MAX, &o.established);
			established_set = true;
			break;
		case 'c':
			err = parse_ulong(optarg, 0, CPU_SETSIZE - 1, &val);
			o.cpu = (long)val;
			break;
		case 'o':
			o.only = optarg;
			break;
		case 'x':
			o.other = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			usage(argv[0]);
			return 2;
		}
		if (err) {
			fprintf(stderr, "-%c %s: not a valid value\n", opt,
				optarg);
			return 2;
		}
	}
	if (optind != argc) {
		usage(argv[0]);
		return 2;
	}
	if (!established_set)
		o.established = o.flow_entries;

	log_init(LOG_LVL_WARN);
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (run as root)\n",
			strerror(errno));
		return 1;
	}
	if (sched_getaffinity(0, sizeof(cpus), &cpus)) {
		perror("sched_getaffinity");
		return 1;
	}
	if (o.cpu < 0)
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &cpus))
				o.cpu = cpu;
	if (!CPU_ISSET(o.cpu, &cpus)) {
		fprintf(stderr, "CPU %ld is not available\n", o.cpu);
		return 1;
	}
	t.possible = libbpf_num_possible_cpus();
	if (t.possible < 1) {
		fprintf(stderr, "cannot count the possible CPUs\n");
		return 1;
	}
	if (o.flow_entries > FLOW_MAX / 2) {
		fprintf(stderr,
			"-f %lu: at most %lu (the full-table case needs "
			"as many new clients again)\n",
			o.flow_entries, FLOW_MAX / 2);
		return 1;
	}
	err = setup_fib();
	if (err)
		return 1;
	est_port = decap_connection();
	if (!est_port)
		return 1;

	drop = xlb_bench_drop__open_and_load();
	if (!drop) {
		err = -errno;
		fprintf(stderr, "loading the drop program: %s\n",
			strerror(errno));
		goto out;
	}
	b.dp = open_balancer(o.flow_entries, false, false);
	if (!b.dp) {
		err = -errno;
		goto out;
	}
	t.percpu = flows_percpu_lru(dataplane_prog_fd(b.dp), &t.memlock);
	if (t.percpu) {
		/* The kernel gives each possible CPU's list this many. */
		t.share = (o.flow_entries + t.possible - 1) / t.possible;
		t.est_entries = o.flow_entries;
		if ((o.established + CPU_COUNT(&cpus) - 1) / CPU_COUNT(&cpus) >
		    t.share) {
			fprintf(stderr,
				"%lu established flows do not fit: %d CPUs "
				"here hold %lu entries each (flow table %lu "
				"over %d possible CPUs); lower -e or raise "
				"-f\n",
				o.established, CPU_COUNT(&cpus), t.share,
				o.flow_entries, t.possible);
			err = -EINVAL;
			goto out;
		}
	} else {
		/* A shared LRU refills each CPU's local free list 128 at a
		 * time, evicting to do so when the table is nearly full:
		 * room for those, so that all N stay. */
		t.share = o.flow_entries;
		t.est_entries = o.established > o.flow_entries ? o.established
							       : o.flow_entries;
		if (t.est_entries < o.established + 256UL * t.possible)
			t.est_entries = o.established + 256UL * t.possible;
	}
	t.full = o.flow_entries;
	b.fib = open_balancer(1024, true, false);
	b.est = b.fib ? open_balancer(t.est_entries, false, false) : NULL;
	b.full = b.est ? open_balancer(o.flow_entries, false, false) : NULL;
	b.keyed = b.full ? open_balancer(o.flow_entries, false, true) : NULL;
	if (!b.keyed) {
		err = -errno;
		goto out;
	}
	dc = open_decap();
	if (!dc) {
		err = -errno;
		fprintf(stderr, "loading the decap program: %s\n",
			strerror(errno));
		goto out;
	}
	init_cases(base, drop, &b, o.established, t.full, est_name,
		   sizeof(est_name));
	init_decap_cases(base + NCASES, dc, est_port);
	/* with -x, each case's twin right after it, on the same maps */
	for (size_t i = 0; i < nbase; i++) {
		struct bench_case *tw;

		cases[ncases++] = base[i];
		/* -x: a balancer; beside it, its decap's IPIP */
		if (!o.other || !i ||
		    (base[i].dc && i != NCASES))
			continue;
		tw = &cases[ncases++];
		*tw = base[i];
		if (tw->dc) {
			tw->dc = load_other_decap(o.other, &tw->obj);
			if (!tw->dc) {	/* a build without one: no twin */
				bpf_object__close(tw->obj);
				memset(tw, 0, sizeof(*tw));
				ncases--;
				continue;
			}
			tw->prog_fd = decap_prog_fd(tw->dc);
		}
		tw->base = &cases[ncases - 2];
		tw->fresh_table = false;
		snprintf(twin_names[i], sizeof(twin_names[i]), "%s [-x]",
			 base[i].name);
		tw->name = twin_names[i];
	}
	for (size_t i = 0; i < ncases; i++)
		cases[i].nextp =
			cases[i].base ? &cases[i].base->next : &cases[i].next;
	if (selected(&base[8], 8, &o)) {
		fprintf(stderr, "establishing %lu flows...\n", o.established);
		err = prefill(b.est, 0, o.established, &cpus, true);
		if (err)
			goto out;
	}
	if (selected(&base[7], 7, &o)) {
		fprintf(stderr, "filling a table with %lu flows...\n", t.full);
		err = prefill(b.full, 0, t.full, &cpus, false);
		if (err)
			goto out;
	}
	for (size_t i = 0; i < ncases; i++) {
		struct bench_case *c = &cases[i];

		c->wall = calloc(o.rounds, sizeof(double));
		c->kern = calloc(o.rounds, sizeof(double));
		if (!c->wall || !c->kern) {
			err = -ENOMEM;
			goto out;
		}
		if (c->dp && !c->base)
			c->prog_fd = dataplane_prog_fd(c->dp);
		if (c->base && !c->base->fresh_table && !c->dc &&
		    selected(c, i, &o)) {
			c->obj = load_other(o.other, c->base->prog_fd,
					    &c->prog_fd);
			if (!c->obj) {
				err = -errno;
				fprintf(stderr,
					"-x %s: cannot load it on our "
					"maps\n",
					o.other);
				goto out;
			}
		}
		/* warm up, establish the hit flows, check the output */
		if (!c->fresh_table && !(c->base && c->base->fresh_table) &&
		    selected(c, i, &o)) {
			if (c->vary)
				set_client(&c->frame, *c->nextp);
			err = check_once(c);
			if (err)
				goto out;
			/* that client is known now: misses go on from the next
			 */
			if (c->vary && c->reason == XLB_FLOW_MISS)
				++*c->nextp;
		}
	}

	err = measure(cases, ncases, &o);
	if (err)
		goto out;

	t.stats_after = read_bpf_stats();
	print_table(cases, ncases, &o, &t);
	if (!o.only || strstr("hash", o.only))
		err = measure_hashes(&o);
out:
	if (err == -EPROTO)
		fprintf(stderr, "xlb-bench: a case did not take the path it "
				"measures; no results\n");
	else if (err)
		fprintf(stderr, "xlb-bench: %s\n", strerror(-err));
	for (size_t i = 0; i < ncases; i++) {
		if (cases[i].fresh_table)
			dataplane_close(cases[i].dp);
		if (cases[i].base && cases[i].dc)
			decap_close(cases[i].dc);
		bpf_object__close(cases[i].obj);
		free(cases[i].wall);
		free(cases[i].kern);
	}
	dataplane_close(b.keyed);
	dataplane_close(b.full);
	dataplane_close(b.est);
	dataplane_close(b.fib);
	dataplane_close(b.dp);
	decap_close(dc);
	xlb_bench_drop__destroy(drop);
	return err ? 1 : 0;
}
