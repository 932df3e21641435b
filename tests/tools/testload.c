// SPDX-License-Identifier: GPL-2.0
/* xlb-testload: loads the balancer, fills its maps from the command line
 * and attaches it, for tests that need a data path before the agent.
 * stats, down and up find the attached program's maps by id later. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "core/addr.h"
#include "dp/maps.h"
#include "dp/attach.h"
#include "lib/hash.h"
#include "core/log.h"
#include "model/maglev.h"

#define MAX_VIPS 16
#define MAX_BACKENDS 64 /* per VIP */
#define MAX_TX_PORTS 16

struct vip_arg {
	struct xlb_vip_key key;
	__u32 flags;
	unsigned int n;
	struct {
		union xlb_addr addr;
		__u8 family;
		__u32 weight;
	} be[MAX_BACKENDS];
};

struct args {
	unsigned int ifindex;
	const char *ifname;
	enum xdp_mode mode;
	struct xlb_config cfg;
	bool have_src4, have_src6;
	__u32 flow_entries;
	unsigned int ntx;
	__u32 tx[MAX_TX_PORTS];
	unsigned int nvips;
	struct vip_arg vips[MAX_VIPS];
};

static void usage(void)
{
	fprintf(stderr,
		"Usage: xlb-testload dev IF [mode native|generic|auto] "
		"[seed N] [flows N]\n"
		"         [src4 ADDR] [src6 ADDR] [hostbits N] [gw MAC] "
		"[gwdev IF] [mtu N] [no-fib]\n"
		"         [tx IF]... vip ADDR PORT tcp|udp [affinity] "
		"[pass-all-down]\n"
		"         backend ADDR WEIGHT [backend ...] [vip ...]\n"
		"       xlb-testload detach dev IF\n"
		"       xlb-testload stats dev IF\n"
		"       xlb-testload down|up dev IF backend ID\n"
		"Backend ids count from 1 in the order given, VIP ids from 0.\n");
}

/* Prints one error line; returns -EINVAL for the caller to pass on. */
static int __attribute__((format(printf, 1, 2))) err_line(const char *fmt, ...)
{
	va_list ap;

	fputs("xlb-testload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -EINVAL;
}

static int parse_u32(const char *s, const char *what, __u32 max, __u32 *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end || *s == '-' || v > max)
		return err_line("bad %s '%s' (0..%u)", what, s, max);
	*out = (__u32)v;
	return 0;
}

static int parse_dev(const char *s, unsigned int *ifindex)
{
	*ifindex = if_nametoindex(s);
	if (!*ifindex)
		return err_line("no such device '%s'", s);
	return 0;
}

static int parse_mac(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6)
		return err_line("bad MAC address '%s'", s);
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return err_line("bad MAC address '%s'", s);
		mac[i] = (__u8)b[i];
	}
	return 0;
}

/* An address of the given family, or of either when family is 0. */
static int parse_addr(const char *s, __u8 want, union xlb_addr *addr,
		      __u8 *family)
{
	if (xlb_addr_parse(s, addr, family))
		return err_line("bad address '%s'", s);
	if (want && *family != want)
		return err_line("'%s' is not an IPv%u address", s, want);
	return 0;
}

static int need(int argc, char **argv, int i, int n)
{
	if (i + n >= argc)
		return err_line("'%s' needs %d value%s", argv[i], n,
				n > 1 ? "s" : "");
	return 0;
}

/* Global options and the VIP list. Returns 0 or -EINVAL. */
static int parse_args(int argc, char **argv, struct args *a)
{
	struct vip_arg *v = NULL;
	__u32 val;
	__u8 fam;
	int i;

	a->mode = XDP_MODE_AUTO;
	for (i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "affinity") || !strcmp(w, "pass-all-down")) {
			if (!v)
				return err_line("'%s' must follow a vip", w);
			v->flags |= w[0] == 'a' ? XLB_VIP_SRC_AFFINITY
						: XLB_VIP_PASS_ALL_DOWN;
			continue;
		}
		if (!strcmp(w, "no-fib")) {
			a->cfg.flags |= XLB_CFG_NO_FIB;
			continue;
		}
		if (!strcmp(w, "vip")) {
			if (need(argc, argv, i, 3))
				return -EINVAL;
			if (a->nvips == MAX_VIPS)
				return err_line("at most %d VIPs", MAX_VIPS);
			v = &a->vips[a->nvips++];
			if (parse_addr(argv[i + 1], 0, &v->key.addr, &fam))
				return -EINVAL;
			v->key.family = fam;
			if (parse_u32(argv[i + 2], "port", 65535, &val))
				return -EINVAL;
			v->key.port = htons((__u16)val);
			if (!strcmp(argv[i + 3], "tcp"))
				v->key.proto = IPPROTO_TCP;
			else if (!strcmp(argv[i + 3], "udp"))
				v->key.proto = IPPROTO_UDP;
			else
				return err_line(
					"bad protocol '%s' (tcp or udp)",
					argv[i + 3]);
			i += 3;
			continue;
		}
		if (!strcmp(w, "backend")) {
			if (need(argc, argv, i, 2))
				return -EINVAL;
			if (!v)
				return err_line("'backend' must follow a vip");
			if (v->n == MAX_BACKENDS)
				return err_line("at most %d backends per VIP",
						MAX_BACKENDS);
			if (parse_addr(argv[i + 1], 0, &v->be[v->n].addr,
				       &v->be[v->n].family) ||
			    parse_u32(argv[i + 2], "weight", 65535,
				      &v->be[v->n].weight))
				return -EINVAL;
			v->n++;
			i += 2;
			continue;
		}
		/* the rest take exactly one value */
		if (need(argc, argv, i, 1))
			return -EINVAL;
		i++;
		if (!strcmp(w, "dev")) {
			if (parse_dev(argv[i], &a->ifindex))
				return -EINVAL;
			a->ifname = argv[i];
		} else if (!strcmp(w, "mode")) {
			if (!strcmp(argv[i], "native"))
				a->mode = XDP_MODE_NATIVE;
			else if (!strcmp(argv[i], "generic"))
				a->mode = XDP_MODE_GENERIC;
			else if (!strcmp(argv[i], "auto"))
				a->mode = XDP_MODE_AUTO;
			else
				return err_line("bad mode '%s' (native, "
						"generic or auto)",
						argv[i]);
		} else if (!strcmp(w, "seed")) {
			if (parse_u32(argv[i], "seed", UINT_MAX,
				      &a->cfg.hash_seed))
				return -EINVAL;
		} else if (!strcmp(w, "flows")) {
			if (parse_u32(argv[i], "flow count", UINT_MAX,
				      &a->flow_entries))
				return -EINVAL;
		} else if (!strcmp(w, "src4")) {
			union xlb_addr addr;

			if (parse_addr(argv[i], XLB_FAMILY_V4, &addr, &fam))
				return -EINVAL;
			a->cfg.src4 = addr.v4;
			a->have_src4 = true;
		} else if (!strcmp(w, "src6")) {
			union xlb_addr addr;

			if (parse_addr(argv[i], XLB_FAMILY_V6, &addr, &fam))
				return -EINVAL;
			memcpy(a->cfg.src6, addr.v6, sizeof(a->cfg.src6));
			a->have_src6 = true;
		} else if (!strcmp(w, "hostbits")) {
			if (parse_u32(argv[i], "hostbits", 16,
				      &a->cfg.src_hostbits))
				return -EINVAL;
		} else if (!strcmp(w, "gw")) {
			if (parse_mac(argv[i], a->cfg.gw_mac))
				return -EINVAL;
		} else if (!strcmp(w, "gwdev")) {
			if (parse_dev(argv[i], &a->cfg.gw_ifindex))
				return -EINVAL;
		} else if (!strcmp(w, "mtu")) {
			if (parse_u32(argv[i], "mtu", 65535, &val))
				return -EINVAL;
			a->cfg.mtu = (__u16)val;
		} else if (!strcmp(w, "tx")) {
			if (a->ntx == MAX_TX_PORTS)
				return err_line("at most %d tx ports",
						MAX_TX_PORTS);
			if (parse_dev(argv[i], &a->tx[a->ntx]))
				return -EINVAL;
			a->ntx++;
		} else {
			return err_line("unknown argument '%s'", w);
		}
	}
	return 0;
}

/* The outer source's low hostbits come from the flow hash: the base must
 * leave them zero, and a backend family needs its base. */
static int check_args(const struct args *a)
{
	__u32 mask = (1U << a->cfg.src_hostbits) - 1;

	if (!a->ifindex)
		return err_line("missing dev IF");
	if (!a->nvips)
		return err_line("missing vip ADDR PORT tcp|udp");
	if (ntohl(a->cfg.src4) & mask || ntohl(a->cfg.src6[3]) & mask)
		return err_line("outer source base has bits set in its low "
				"%u host bits",
				a->cfg.src_hostbits);
	for (unsigned int i = 0; i < a->nvips; i++) {
		const struct vip_arg *v = &a->vips[i];

		if (!v->n)
			return err_line("vip %u has no backend", i);
		for (unsigned int j = 0; j < v->n; j++) {
			if (v->be[j].family == XLB_FAMILY_V4 && !a->have_src4)
				return err_line("IPv4 backends need src4");
			if (v->be[j].family == XLB_FAMILY_V6 && !a->have_src6)
				return err_line("IPv6 backends need src6");
		}
	}
	return 0;
}

/* Maglev key of a backend: a hash of its address, as the agent computes
 * it, so the tables match what the agent would build. */
static __u64 backend_key(const union xlb_addr *addr, __u8 family)
{
	__u32 w[12] = {addr->v6[0], addr->v6[1], addr->v6[2], addr->v6[3],
		       family};
	__u32 lo = xlb_jhash_12words(w, 0), hi = xlb_jhash_12words(w, 1);

	return ((__u64)hi << 32) | lo;
}

/* Writes one VIP, its backends (ids from *next_id on) and its table. */
static int load_vip(struct dataplane *dp, const struct args *a, __u32 vip_id,
		    __u32 *next_id, __u32 *table)
{
	const struct vip_arg *v = &a->vips[vip_id];
	struct maglev_backend mb[MAX_BACKENDS];
	struct xlb_vip_info info = {.vip_id = vip_id, .flags = v->flags};
	char buf[XLB_ADDR_STRLEN];
	int err;

	for (unsigned int j = 0; j < v->n; j++) {
		struct xlb_backend be = {
			.addr = v->be[j].addr,
			.family = v->be[j].family,
			.vip_id = (__u16)vip_id,
		};
		__u32 id = (*next_id)++;

		err = dataplane_set_backend(dp, id, &be);
		if (err)
			return err_line("backend %u: %s", id, strerror(-err));
		mb[j] = (struct maglev_backend){
			.id = id,
			.weight = v->be[j].weight,
			.key = backend_key(&be.addr, be.family),
		};
	}
	err = maglev_build(mb, v->n, a->cfg.hash_seed, table,
			   XLB_DEFAULT_TABLE_SIZE);
	if (err == -ENOENT)
		fprintf(stderr,
			"xlb-testload: vip %u: every weight is 0, "
			"empty table\n",
			vip_id);
	else if (err)
		return err_line("vip %u: Maglev build failed: %s", vip_id,
				strerror(-err));
	err = dataplane_set_table(dp, vip_id, table, XLB_DEFAULT_TABLE_SIZE);
	if (err)
		return err_line("vip %u: table: %s", vip_id, strerror(-err));
	err = dataplane_set_vip(dp, &v->key, &info);
	if (err)
		return err_line("vip %s: %s",
				xlb_addr_str(&v->key.addr, v->key.family, buf,
					     sizeof(buf)),
				strerror(-err));
	return 0;
}

static int prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return (int)info.id;
}

static int do_load(int argc, char **argv)
{
	struct dataplane_opts opts = {};
	struct dataplane *dp = NULL;
	struct args *a;
	__u32 next_id = 1, *table = NULL;
	int err;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	err = parse_args(argc, argv, a);
	if (!err)
		err = check_args(a);
	if (err)
		goto out;
	table = calloc(XLB_DEFAULT_TABLE_SIZE, sizeof(*table));
	if (!table) {
		err = -ENOMEM;
		goto out;
	}
	opts.flow_entries = a->flow_entries;
	dp = dataplane_open(&opts);
	if (!dp) {
		err = err_line("cannot load the balancer: %s", strerror(errno));
		goto out;
	}
	err = dataplane_set_config(dp, &a->cfg);
	if (err) {
		err_line("config: %s", strerror(-err));
		goto out;
	}
	for (unsigned int i = 0; i < a->ntx && !err; i++) {
		err = dataplane_add_tx_port(dp, a->tx[i]);
		if (err)
			err_line("tx port %u: %s", a->tx[i], strerror(-err));
	}
	for (__u32 i = 0; i < a->nvips && !err; i++)
		err = load_vip(dp, a, i, &next_id, table);
	if (err)
		goto out;
	err = xdp_attach((int)a->ifindex, dataplane_prog_fd(dp), a->mode);
	if (err) {
		err_line("attach to %s failed: %s", a->ifname, strerror(-err));
		goto out;
	}
	printf("xlb-testload: attached to %s, prog id %d, %u VIPs, "
	       "%u backends\n",
	       a->ifname, prog_id(dataplane_prog_fd(dp)), a->nvips,
	       next_id - 1);
out:
	/* The attached program keeps itself and its maps alive. */
	dataplane_close(dp);
	free(table);
	free(a);
	return err;
}

/* The balancer attached to ifindex, found by id (nothing is pinned): the
 * fd of its map called name. */
static int attached_map(unsigned int ifindex, const char *ifname,
			const char *name)
{
	struct bpf_prog_info pinfo = {};
	__u32 len = sizeof(pinfo), prog = 0, ids[64];
	int pfd, fd = -1;

	if (bpf_xdp_query_id((int)ifindex, 0, &prog) || !prog)
		return err_line("no XDP program on %s", ifname);
	pfd = bpf_prog_get_fd_by_id(prog);
	if (pfd < 0)
		return err_line("program %u: %s", prog, strerror(errno));
	pinfo.nr_map_ids = sizeof(ids) / sizeof(ids[0]);
	pinfo.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(pfd, &pinfo, &len)) {
		fd = err_line("program %u: %s", prog, strerror(errno));
		goto out;
	}
	if (strcmp(pinfo.name, "xlb_balancer")) {
		fd = err_line("%s runs '%s', not the balancer", ifname,
			      pinfo.name);
		goto out;
	}
	for (__u32 i = 0; i < pinfo.nr_map_ids && i < 64; i++) {
		struct bpf_map_info minfo = {};
		__u32 mlen = sizeof(minfo);

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &minfo, &mlen) &&
		    !strcmp(minfo.name, name))
			goto out;
		close(fd);
		fd = -1;
	}
	fd = err_line("the balancer on %s has no map '%s'", ifname, name);
out:
	close(pfd);
	return fd;
}

/* Sums nwords 64-bit words of one per-CPU entry. */
static int sum_percpu(int fd, __u32 idx, __u64 *sum, size_t nwords)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	int err = 0;

	if (ncpu < 0)
		return ncpu;
	vals = calloc((size_t)ncpu * nwords, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &idx, vals))
		err = -errno;
	memset(sum, 0, nwords * sizeof(*sum));
	for (int c = 0; c < ncpu && !err; c++)
		for (size_t w = 0; w < nwords; w++)
			sum[w] += vals[(size_t)c * nwords + w];
	free(vals);
	return err;
}

/* Prints "reason NAME N" for every reason, then "backend ID ADDR packets
 * N bytes N" for every backend in use. */
static int do_stats(int argc, char **argv)
{
	int rfd = -1, bfd = -1, sfd = -1, err = -EINVAL;
	char buf[XLB_ADDR_STRLEN];
	unsigned int ifindex;
	__u64 v[2];

	if (argc != 2 || strcmp(argv[0], "dev"))
		return err_line("usage: xlb-testload stats dev IF");
	if (parse_dev(argv[1], &ifindex))
		return -EINVAL;
	rfd = attached_map(ifindex, argv[1], "reasons");
	if (rfd >= 0)
		bfd = attached_map(ifindex, argv[1], "backends");
	if (bfd >= 0)
		sfd = attached_map(ifindex, argv[1], "backend_stats");
	if (sfd < 0)
		goto out;
	for (__u32 r = 0; r < XLB_REASON_MAX; r++) {
		err = sum_percpu(rfd, r, v, 1);
		if (err)
			goto out;
		printf("reason %s %llu\n", xlb_reason_name(r),
		       (unsigned long long)v[0]);
	}
	for (__u32 id = 1; id < XLB_MAX_BACKENDS; id++) {
		struct xlb_backend be;

		if (bpf_map_lookup_elem(bfd, &id, &be)) {
			err = -errno;
			goto out;
		}
		if (!be.family)
			continue;
		err = sum_percpu(sfd, id, v, 2);
		if (err)
			goto out;
		printf("backend %u %s%s packets %llu bytes %llu\n", id,
		       xlb_addr_str(&be.addr, be.family, buf, sizeof(buf)),
		       be.flags & XLB_BACKEND_DOWN ? " down" : "",
		       (unsigned long long)v[0], (unsigned long long)v[1]);
	}
out:
	if (err && rfd >= 0 && bfd >= 0 && sfd >= 0)
		err_line("reading counters: %s", strerror(-err));
	if (rfd >= 0)
		close(rfd);
	if (bfd >= 0)
		close(bfd);
	if (sfd >= 0)
		close(sfd);
	return err;
}

/* "down|up dev IF backend ID": one write of the backend's down flag. */
static int do_set_down(bool down, int argc, char **argv)
{
	unsigned int ifindex;
	struct xlb_backend be;
	__u32 id;
	int fd, err = 0;

	if (argc != 4 || strcmp(argv[0], "dev") || strcmp(argv[2], "backend"))
		return err_line("usage: xlb-testload %s dev IF backend ID",
				down ? "down" : "up");
	if (parse_dev(argv[1], &ifindex) ||
	    parse_u32(argv[3], "backend id", XLB_MAX_BACKENDS - 1, &id))
		return -EINVAL;
	fd = attached_map(ifindex, argv[1], "backends");
	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &id, &be) || !be.family) {
		err = err_line("no backend %u", id);
		goto out;
	}
	if (down)
		be.flags |= XLB_BACKEND_DOWN;
	else
		be.flags &= ~XLB_BACKEND_DOWN;
	if (bpf_map_update_elem(fd, &id, &be, BPF_ANY))
		err = err_line("backend %u: %s", id, strerror(errno));
out:
	close(fd);
	return err;
}

static int do_detach(int argc, char **argv)
{
	unsigned int ifindex;
	int err;

	if (argc != 2 || strcmp(argv[0], "dev"))
		return err_line("usage: xlb-testload detach dev IF");
	if (parse_dev(argv[1], &ifindex))
		return -EINVAL;
	err = xdp_detach((int)ifindex);
	if (err)
		err_line("detach from %s failed: %s", argv[1], strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	log_init(LOG_LVL_WARN);
	if (argc < 2) {
		usage();
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage();
		return 0;
	}
	if (!strcmp(argv[1], "detach"))
		return do_detach(argc - 2, argv + 2) ? 1 : 0;
	if (!strcmp(argv[1], "stats"))
		return do_stats(argc - 2, argv + 2) ? 1 : 0;
	if (!strcmp(argv[1], "down") || !strcmp(argv[1], "up"))
		return do_set_down(argv[1][0] == 'd', argc - 2, argv + 2) ? 1
									  : 0;
	return do_load(argc - 1, argv + 1) ? 1 : 0;
}
