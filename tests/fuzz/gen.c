// SPDX-License-Identifier: GPL-2.0
/* The fuzzer's frames: well-formed ones aimed at the VIPs (flows, ICMP
 * errors quoting flows sent before, fragments of datagrams begun before,
 * VLAN tags, IPv4 options, IPv6 header chains), others, seed frames and
 * random bytes; then mutated: bit flips, interesting bytes, length fields
 * moved, frames cut or padded, tags inserted, protocols changed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "fuzz.h"
#include "pktgen.h"

/* xorshift64*: fast, and the same frames for the same seed. */
__u64 fz_rand(struct fz_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dULL;
}

__u32 fz_below(struct fz_rng *r, __u32 n)
{
	return n ? (__u32)((fz_rand(r) >> 32) % n) : 0;
}

static bool chance(struct fz_rng *r, __u32 percent)
{
	return fz_below(r, 100) < percent;
}

/* ---- seeds ---- */

static int parse_seed(FILE *f, struct fz_seed *s)
{
	int c, hi = -1;

	s->len = 0;
	while ((c = fgetc(f)) != EOF) {
		int v;

		if (c == '#') {		/* a comment to the end of the line */
			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			continue;
		}
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = (c | 0x20) - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (s->len == sizeof(s->data))
			return -EFBIG;
		s->data[s->len++] = (__u8)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 && s->len ? 0 : -EINVAL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct fz_seed *)a)->name,
		      ((const struct fz_seed *)b)->name);
}

int fz_load_seeds(const char *dir, struct fz_seed **out, size_t *n)
{
	struct fz_seed *seeds = NULL, *s;
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];
	int err = 0;

	*n = 0;
	if (!d)
		return -errno;
	while (!err && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		FILE *f;

		if (len < 5 || strcmp(e->d_name + len - 4, ".hex"))
			continue;
		s = realloc(seeds, (*n + 1) * sizeof(*seeds));
		if (!s) {
			err = -ENOMEM;
			break;
		}
		seeds = s;
		s = &seeds[*n];
		snprintf(s->name, sizeof(s->name), "%.*s", (int)len - 4,
			 e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		if (!f) {
			err = -errno;
			break;
		}
		err = parse_seed(f, s);
		fclose(f);
		if (err)
			fprintf(stderr, "seed %s: not a frame in hex\n", path);
		else
			++*n;
	}
	closedir(d);
	if (err) {
		free(seeds);
		return err;
	}
	qsort(seeds, *n, sizeof(*seeds), by_name);
	*out = seeds;
	return 0;
}

/* ---- what was sent: flows to quote, datagrams to continue ---- */

#define RING 256

struct sent {
	__u8 family;
	__u8 proto;
	union xlb_addr src, dst;
	__u16 sport, dport;	/* host order */
	__u32 frag_id;		/* first fragments */
};

static struct sent flows_sent[RING], frags_sent[RING];
static size_t nflows, nfrags;

void fz_remember(const struct ref *ref)
{
	struct sent *s;

	if (ref->cls != REF_VIP)
		return;
	s = ref->frag_first ? &frags_sent[nfrags++ % RING]
			    : &flows_sent[nflows++ % RING];
	s->family = ref->key.family;
	s->proto = ref->key.proto;
	s->src = ref->key.src;
	s->dst = ref->key.dst;
	s->sport = ntohs(ref->key.sport);
	s->dport = ntohs(ref->key.dport);
	s->frag_id = ref->frag_id;
}

/* ---- building ---- */

/* Byte offsets of fields worth mutating in the frame just built. */
struct fields {
	size_t off[32];
	__u8 width[32];		/* 1: a byte or nibble byte, 2: 16 bits */
	int n;
};

static void field(struct fields *fl, size_t off, __u8 width)
{
	if (fl->n < 32) {
		fl->off[fl->n] = off;
		fl->width[fl->n++] = width;
	}
}

/* The length and chain fields of every layer of p. */
static void fields_of(const struct pkt *p, struct fields *fl)
{
	for (int i = 0; i < p->n; i++) {
		size_t o = p->l[i].off;

		switch (p->l[i].type) {
		case PKT_L_ETH:
			field(fl, o + 12, 2);
			break;
		case PKT_L_VLAN:
			field(fl, o + 2, 2);
			break;
		case PKT_L_IPV4:
			field(fl, o, 1);	/* version, IHL */
			field(fl, o + 2, 2);	/* total length */
			field(fl, o + 6, 2);	/* flags, offset */
			field(fl, o + 9, 1);	/* protocol */
			break;
		case PKT_L_IPV6:
			field(fl, o, 1);
			field(fl, o + 4, 2);	/* payload length */
			field(fl, o + 6, 1);	/* next header */
			break;
		case PKT_L_HOPOPTS:
		case PKT_L_ROUTING:
		case PKT_L_DSTOPTS:
			field(fl, o, 1);
			field(fl, o + 1, 1);	/* length */
			break;
		case PKT_L_FRAG:
			field(fl, o, 1);
			field(fl, o + 2, 2);	/* offset, M */
			break;
		case PKT_L_TCP:
			field(fl, o + 12, 1);	/* data offset */
			field(fl, o + 13, 1);	/* flags */
			break;
		case PKT_L_UDP:
			field(fl, o + 4, 2);	/* length */
			break;
		case PKT_L_ICMP:
		case PKT_L_ICMP6:
			field(fl, o, 1);
			field(fl, o + 1, 1);
			break;
		default:
			break;
		}
	}
}

static const char *const clients4[] = { "198.51.100.1", "198.51.100.2",
					"198.51.100.77", "224.0.0.5",
					"0.1.2.3", "127.0.0.1" };
static const char *const clients6[] = { "2001:db8:c::1", "2001:db8:c::2",
					"2001:db8:c::77", "ff02::1", "::",
					"::1" };

static void pick_client(struct fz_rng *r, __u8 family, union xlb_addr *a)
{
	/* mostly unicast clients; now and then one no ICMP may go to */
	size_t i = chance(r, 90) ? fz_below(r, 3) : 3 + fz_below(r, 3);

	memset(a, 0, sizeof(*a));
	inet_pton(family == XLB_FAMILY_V4 ? AF_INET : AF_INET6,
		  family == XLB_FAMILY_V4 ? clients4[i] : clients6[i], a);
}

static __u16 pick_port(struct fz_rng *r)
{
	return (__u16)(40000 + fz_below(r, 8));
}

static void push_tags(struct fz_rng *r, struct pkt *p)
{
	int tags = chance(r, 80) ? 0 : chance(r, 90) ? 1 + fz_below(r, 2) : 3;

	pkt_eth(p, fz_mac_lb, fz_mac_router);
	for (int i = 0; i < tags; i++)
		pkt_vlan(p, i == 0 && tags > 1 ? PKT_ETH_P_8021AD
					       : PKT_ETH_P_8021Q,
			 (__u16)(100 + i));
}

static void push_ip4(struct fz_rng *r, struct pkt *p, const union xlb_addr *s,
		     const union xlb_addr *d, __u8 proto, bool first_frag,
		     __u16 frag_off, __u16 id)
{
	static const __u8 opts[40] = { 0x94, 0x04, 0, 0, 1, 1, 1, 1, 1, 1,
				       1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
				       1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
				       1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	size_t optlen = chance(r, 85) ? 0 : 4 * (1 + fz_below(r, 10));

	pkt_ipv4(p, &(struct pkt_ip4){ .src = s->v4, .dst = d->v4,
				       .tos = (__u8)fz_below(r, 256),
				       .id = id, .df = chance(r, 70),
				       .mf = first_frag,
				       .frag_off = frag_off, .proto = proto,
				       .opts = optlen ? opts : NULL,
				       .optlen = optlen });
}

static void push_ip6(struct fz_rng *r, struct pkt *p, const union xlb_addr *s,
		     const union xlb_addr *d, __u8 next, bool frag,
		     __u16 frag_off, bool more, __u32 id)
{
	static const enum pkt_type kinds[] = { PKT_L_HOPOPTS, PKT_L_ROUTING,
					       PKT_L_DSTOPTS, PKT_L_FRAG };
	struct pkt_ip6 ip = { .tc = (__u8)fz_below(r, 256),
			      .flow = fz_below(r, 1 << 20) };
	int ext = chance(r, 70) ? 0 : (int)fz_below(r, 6);

	memcpy(ip.src, s, 16);
	memcpy(ip.dst, d, 16);
	pkt_ipv6(p, &ip);
	for (int i = 0; i < ext; i++) {
		enum pkt_type k = kinds[fz_below(r, 4)];

		if (k == PKT_L_FRAG)	/* an atomic fragment */
			pkt_ip6_frag(p, 0, false, fz_below(r, 1000), 0);
		else
			pkt_ip6_ext(p, k, 8 * (1 + fz_below(r, 3)));
	}
	if (frag)
		pkt_ip6_frag(p, frag_off, more, id, next);
}

/* Payload so that the IP packet is about ip_len long, or small. */
static size_t pick_payload(struct fz_rng *r, size_t hdrs)
{
	static const int near[] = { -2, -1, 0, 1, 2 };
	size_t want;

	switch (fz_below(r, 4)) {
	case 0:	/* just fitting, or not, once encapsulated */
		want = (size_t)(FZ_MTU - (chance(r, 50) ? 20 : 40) +
				near[fz_below(r, 5)]);
		break;
	case 1:
		want = hdrs + fz_below(r, 1600);
		break;
	default:
		return fz_below(r, 64);
	}
	return want > hdrs ? want - hdrs : 0;
}

static void push_l4(struct fz_rng *r, struct pkt *p, __u8 proto, __u16 sport,
		    __u16 dport, size_t l3)
{
	static const __u8 flags[] = { PKT_TCP_SYN, PKT_TCP_ACK,
				      PKT_TCP_PSH | PKT_TCP_ACK,
				      PKT_TCP_FIN | PKT_TCP_ACK, PKT_TCP_RST,
				      PKT_TCP_SYN | PKT_TCP_ACK };

	if (proto == IPPROTO_TCP)
		pkt_tcp(p, sport, dport,
			chance(r, 90) ? flags[fz_below(r, 6)]
				      : (__u8)fz_below(r, 256));
	else
		pkt_udp(p, sport, dport);
	pkt_payload(p, pick_payload(r, p->len - l3));
}

/* A packet of a VIP's flow (a first fragment now and then). */
static void gen_flow(struct fz_rng *r, struct pkt *p)
{
	const struct fz_vip *v = &fz_vips[fz_below(r, (__u32)fz_nvips)];
	bool first = chance(r, 10);
	__u16 id = (__u16)fz_below(r, 65536);
	union xlb_addr c;
	size_t l3;

	pick_client(r, v->family, &c);
	pkt_init(p);
	push_tags(r, p);
	l3 = p->len;
	if (v->family == XLB_FAMILY_V4)
		push_ip4(r, p, &c, &v->vaddr, 0, first, 0, id);
	else
		push_ip6(r, p, &c, &v->vaddr, 0, first, 0, true, id);
	push_l4(r, p, v->proto, pick_port(r),
		v->port ? v->port : (__u16)fz_below(r, 65536), l3);
}

/* Mostly (percent) one of the n things sent (a ring), or else one made
 * up into made: a client of a VIP, a port, a datagram id. */
static const struct sent *pick_sent(struct fz_rng *r, const struct sent *ring,
				    size_t n, __u32 percent,
				    struct sent *made)
{
	const struct fz_vip *v = &fz_vips[fz_below(r, (__u32)fz_nvips)];

	if (n && chance(r, percent))
		return &ring[fz_below(r, n < RING ? (__u32)n : RING)];
	*made = (struct sent){ .family = v->family, .proto = v->proto,
			       .dst = v->vaddr, .sport = pick_port(r),
			       .dport = v->port,
			       .frag_id = fz_below(r, 65536) };
	pick_client(r, v->family, &made->src);
	return made;
}

/* An ICMP error quoting a flow sent before (or a made-up one), sent to
 * the VIP that flow went to (or elsewhere). */
static void gen_icmp(struct fz_rng *r, struct pkt *p)
{
	struct sent made;
	const struct sent *s = pick_sent(r, flows_sent, nflows, 80, &made);
	union xlb_addr router, to;
	__u8 l4[8] = { 0 };
	size_t more;

	memset(&router, 0, sizeof(router));
	inet_pton(s->family == XLB_FAMILY_V4 ? AF_INET : AF_INET6,
		  s->family == XLB_FAMILY_V4 ? "198.51.100.254"
					     : "2001:db8:ffff::1",
		  &router);
	to = s->dst;
	if (chance(r, 15))	/* not to the VIP the quote came from */
		((__u8 *)&to)[s->family == XLB_FAMILY_V4 ? 3 : 15] ^=
			(__u8)(1 + fz_below(r, 255));
	pkt_put16(l4, s->dport);
	pkt_put16(l4 + 2, s->sport);
	pkt_put32(l4 + 4, (__u32)fz_rand(r));
	more = chance(r, 70) ? 0 : fz_below(r, 1500);
	pkt_init(p);
	push_tags(r, p);
	if (s->family == XLB_FAMILY_V4) {
		push_ip4(r, p, &router, &to, 0, false, 0, 7);
		pkt_icmp(p, 3, chance(r, 90) ? 4 : (__u8)fz_below(r, 16),
			 1400);
		push_ip4(r, p, &s->dst, &s->src,
			 chance(r, 95) ? s->proto : IPPROTO_ICMP, false, 0, 9);
		p->l[p->n - 1].auto_len = false;
		pkt_put16(p->buf + p->l[p->n - 1].off + 2, 1500);
	} else {
		struct pkt_ip6 q = { .payload_len = 1460,
				     .next = chance(r, 95) ? s->proto
							   : IPPROTO_DSTOPTS };

		push_ip6(r, p, &router, &to, 0, false, 0, false, 0);
		pkt_icmp6(p, chance(r, 90) ? 2 : (__u8)fz_below(r, 256), 0,
			  1280);
		memcpy(q.src, &s->dst, 16);
		memcpy(q.dst, &s->src, 16);
		pkt_ipv6(p, &q);
	}
	pkt_raw(p, l4, 8);
	if (more)
		pkt_payload(p, more);
}

/* A later fragment of a datagram begun before (or of none). */
static void gen_frag_later(struct fz_rng *r, struct pkt *p)
{
	struct sent made;
	const struct sent *s = pick_sent(r, frags_sent, nfrags, 85, &made);
	__u16 off = (__u16)(8 * (1 + fz_below(r, 400)));
	size_t l3;

	pkt_init(p);
	push_tags(r, p);
	l3 = p->len;
	if (s->family == XLB_FAMILY_V4)
		push_ip4(r, p, &s->src, &s->dst, s->proto, chance(r, 50), off,
			 (__u16)s->frag_id);
	else
		push_ip6(r, p, &s->src, &s->dst, s->proto, true, off,
			 chance(r, 50), s->frag_id);
	pkt_payload(p, pick_payload(r, p->len - l3));
}

/* The last header of p names proto as what follows. */
static void set_next(struct pkt *p, __u8 proto)
{
	struct pkt_layer *l = &p->l[p->n - 1];
	__u8 *b = p->buf + l->off;

	l->auto_next = false;
	if (l->type == PKT_L_IPV4)
		b[9] = proto;
	else if (l->type == PKT_L_IPV6)
		b[6] = proto;
	else
		b[0] = proto;	/* an extension or fragment header */
}

/* Not for a VIP: another address or port, another protocol, not IP. */
static void gen_other(struct fz_rng *r, struct pkt *p)
{
	static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				       IPPROTO_GRE, IPPROTO_ICMPV6, 0, 59 };
	const struct fz_vip *v = &fz_vips[fz_below(r, (__u32)fz_nvips)];
	__u8 proto = protos[fz_below(r, sizeof(protos))];
	union xlb_addr c, d = v->vaddr;
	size_t l3;

	if (chance(r, 10)) {
		pkt_init(p);
		pkt_eth_type(p, fz_mac_lb, fz_mac_router,
			     chance(r, 50) ? PKT_ETH_P_ARP
					   : (__u16)fz_below(r, 65536));
		pkt_payload(p, 46);
		return;
	}
	if (chance(r, 50))
		((__u8 *)&d)[v->family == XLB_FAMILY_V4 ? 3 : 15] ^= 0x40;
	pick_client(r, v->family, &c);
	pkt_init(p);
	push_tags(r, p);
	l3 = p->len;
	if (v->family == XLB_FAMILY_V4)
		push_ip4(r, p, &c, &d, 0, false, 0, 1);
	else
		push_ip6(r, p, &c, &d, 0, false, 0, false, 0);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		push_l4(r, p, proto, pick_port(r), (__u16)fz_below(r, 65536),
			l3);
	} else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (v->family == XLB_FAMILY_V4)
			pkt_icmp(p, (__u8)fz_below(r, 20), 0, 0);
		else
			pkt_icmp6(p, (__u8)fz_below(r, 256), 0, 0);
		pkt_payload(p, fz_below(r, 100));
	} else {
		set_next(p, proto);
		pkt_payload(p, fz_below(r, 100));
	}
}

/* ---- mutating ---- */

static const __u8 interesting[] = { 0x00, 0x01, 0x02, 0x04, 0x05, 0x06,
				    0x0f, 0x11, 0x2b, 0x2c, 0x3a, 0x3c,
				    0x40, 0x45, 0x60, 0x7f, 0x80, 0xf0,
				    0xff };

static void mutate(struct fz_rng *r, __u8 *f, size_t *len,
		   const struct fields *fl)
{
	size_t n = *len, at;
	__u16 v;
	int i;

	switch (fz_below(r, 8)) {
	case 0:	/* a bit, mostly in the headers */
		at = fz_below(r, (__u32)(n > 96 && chance(r, 80) ? 96 : n));
		f[at] ^= (__u8)(1 << fz_below(r, 8));
		break;
	case 1:	/* an interesting byte */
		at = fz_below(r, (__u32)(n < 96 ? n : 96));
		f[at] = interesting[fz_below(r, sizeof(interesting))];
		break;
	case 2:	/* a length or chain field, moved a little or anywhere */
	case 3:
		if (!fl->n)
			break;
		i = (int)fz_below(r, (__u32)fl->n);
		at = fl->off[i];
		if (at + fl->width[i] > n)
			break;
		if (fl->width[i] == 1) {
			f[at] = chance(r, 50) ? (__u8)(f[at] + 1 -
						       fz_below(r, 3))
					      : (__u8)fz_below(r, 256);
			break;
		}
		v = pkt_get16(f + at);
		v = chance(r, 60) ? (__u16)(v + 16 - fz_below(r, 33))
				  : (__u16)fz_below(r, 65536);
		pkt_put16(f + at, v);
		break;
	case 4:	/* cut short */
		*len = 14 + fz_below(r, (__u32)(n > 14 ? n - 14 : 1));
		break;
	case 5:	/* padding, or garbage, after it */
		at = fz_below(r, 64);
		if (n + at > FZ_FRAME_MAX)
			break;
		for (size_t k = 0; k < at; k++)
			f[n + k] = chance(r, 50) ? 0 : (__u8)fz_rand(r);
		*len = n + at;
		break;
	case 6:	/* a VLAN tag more, behind the MAC addresses */
		if (n + 4 > FZ_FRAME_MAX || n < 12)
			break;
		memmove(f + 16, f + 12, n - 12);
		pkt_put16(f + 12, chance(r, 50) ? PKT_ETH_P_8021Q
						: PKT_ETH_P_8021AD);
		pkt_put16(f + 14, 100);
		*len = n + 4;
		break;
	default:	/* a word anywhere */
		at = fz_below(r, (__u32)(n > 1 ? n - 1 : 1));
		if (at + 2 <= n)
			pkt_put16(f + at, (__u16)fz_rand(r));
		break;
	}
}

size_t fz_generate(struct fz_rng *r, const struct fz_seed *seeds,
		   size_t nseeds, __u8 *f, const char **kind)
{
	static struct pkt p;
	struct fields fl = { .n = 0 };
	__u32 roll = fz_below(r, 100);
	size_t len;
	int muts;

	if (roll < 4 && nseeds) {
		const struct fz_seed *s = &seeds[fz_below(r, (__u32)nseeds)];

		*kind = "seed";
		memcpy(f, s->data, s->len);
		len = s->len;
	} else if (roll < 6) {
		*kind = "random";
		len = 14 + fz_below(r, 200);
		for (size_t i = 0; i < len; i++)
			f[i] = (__u8)fz_rand(r);
		if (chance(r, 70))	/* mostly an IP ethertype */
			pkt_put16(f + 12, chance(r, 50) ? PKT_ETH_P_IP
							: PKT_ETH_P_IPV6);
	} else {
		if (roll < 50) {
			*kind = "flow";
			gen_flow(r, &p);
		} else if (roll < 70) {
			*kind = "icmp";
			gen_icmp(r, &p);
		} else if (roll < 85) {
			*kind = "fragment";
			gen_frag_later(r, &p);
		} else {
			*kind = "other";
			gen_other(r, &p);
		}
		pkt_finish(&p);
		fields_of(&p, &fl);
		len = p.len < FZ_FRAME_MAX ? p.len : FZ_FRAME_MAX;
		memcpy(f, p.buf, len);
	}
	/* half the frames as made, the others mutated 1-4 times */
	muts = chance(r, 50) ? 0 : 1 + (int)fz_below(r, 4);
	for (int i = 0; i < muts; i++)
		mutate(r, f, &len, &fl);
	return len;
}
