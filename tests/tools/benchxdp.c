// SPDX-License-Identifier: GPL-2.0
/* xlb-benchxdp: the veth throughput bench's own XDP programs (run it in
 * the namespace that owns the interface):
 *   fwd dev IF [tx OUTIF DSTMAC]...  the bare forwarder on IF (native)
 *   sink dev IF                      the counting XDP_DROP sink on IF
 *   count dev IF                     packets the sink on IF has counted
 *   stat dev IF                      "run_cnt run_time_ns" of IF's program
 *                                    (kernel.bpf_stats_enabled=1)
 *   detach dev IF                    removes IF's XDP program
 *   with-stats CMD [ARG]...          runs CMD with BPF run-time stats on
 *                                    (BPF_ENABLE_STATS: held by this
 *                                    process, so it neither needs nor
 *                                    touches kernel.bpf_stats_enabled) */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench/fwd.skel.h"
#include "bench/sink.skel.h"

#define MAX_PORTS 16

static const unsigned int xdp_flags = XDP_FLAGS_DRV_MODE;

static int die(const char *what)
{
	fprintf(stderr, "xlb-benchxdp: %s\n", what);
	return 1;
}

static int if_mac(const char *name, unsigned char mac[6])
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), r;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

/* The program attached to ifindex: an fd and its info, or -1. */
static int attached(int ifindex, struct bpf_prog_info *info)
{
	__u32 id = 0, len = sizeof(*info);
	int fd;

	if (bpf_xdp_query_id(ifindex, xdp_flags, &id) || !id)
		return -1;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -1;
	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_fwd(int ifindex, int argc, char **argv)
{
	struct xlb_bench_fwd *s = xlb_bench_fwd__open();
	struct {
		unsigned char src[6], dst[6];
	} mac[MAX_PORTS];
	__u32 tx[MAX_PORTS], n = 0, i;

	if (!s)
		return die("open fwd");
	for (i = 0; i + 2 < (unsigned int)argc && n < MAX_PORTS; i += 3) {
		if (strcmp(argv[i], "tx"))
			return die("expected: tx OUTIF DSTMAC");
		tx[n] = if_nametoindex(argv[i + 1]);
		if (!tx[n] || if_mac(argv[i + 1], mac[n].src) ||
		    parse_mac(argv[i + 2], mac[n].dst))
			return die("bad tx port");
		n++;
	}
	if (!n)
		return die("no tx port");
	s->rodata->fwd_nports = n;
	if (xlb_bench_fwd__load(s))
		return die("load fwd");
	for (i = 0; i < n; i++) {
		if (bpf_map_update_elem(bpf_map__fd(s->maps.fwd_tx), &i, &tx[i],
					0) ||
		    bpf_map_update_elem(bpf_map__fd(s->maps.fwd_mac), &i,
					&mac[i], 0))
			return die("fill maps");
	}
	if (bpf_xdp_attach(ifindex, bpf_program__fd(s->progs.xlb_bench_fwd),
			   xdp_flags, NULL))
		return die("attach fwd");
	return 0;
}

static int cmd_sink(int ifindex)
{
	struct xlb_bench_sink *s = xlb_bench_sink__open_and_load();

	if (!s)
		return die("load sink");
	if (bpf_xdp_attach(ifindex, bpf_program__fd(s->progs.xlb_bench_sink),
			   xdp_flags, NULL))
		return die("attach sink");
	return 0;
}

static int cmd_count(int ifindex)
{
	struct bpf_prog_info info;
	__u32 ids[4], k = 0, nmaps;
	int fd = attached(ifindex, &info), mfd, ncpu, c;
	__u32 len = sizeof(info);
	unsigned long long sum = 0, *v;

	if (fd < 0)
		return die("no program attached");
	nmaps = info.nr_map_ids < 4 ? info.nr_map_ids : 4;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = nmaps;
	info.map_ids = (unsigned long)ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !nmaps)
		return die("no map");
	mfd = bpf_map_get_fd_by_id(ids[0]);
	ncpu = libbpf_num_possible_cpus();
	v = calloc(ncpu, sizeof(*v));
	if (mfd < 0 || !v || bpf_map_lookup_elem(mfd, &k, v))
		return die("read count");
	for (c = 0; c < ncpu; c++)
		sum += v[c];
	printf("%llu\n", sum);
	return 0;
}

/* Stats stay on while the fd is open, for as long as CMD runs. */
static int cmd_with_stats(char **cmd)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME), status;
	pid_t pid;

	if (fd < 0)
		return die("BPF_ENABLE_STATS");
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (!pid) {
		close(fd);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return die("waitpid");
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info;
	int ifindex;

	if (argc >= 3 && !strcmp(argv[1], "with-stats"))
		return cmd_with_stats(argv + 2);

	if (argc < 4 || strcmp(argv[2], "dev")) {
		fprintf(stderr,
			"usage: xlb-benchxdp fwd|sink|count|stat|detach "
			"dev IF [tx OUTIF DSTMAC]...\n"
			"       xlb-benchxdp with-stats CMD [ARG]...\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[3]);
	if (!ifindex)
		return die("no such interface");
	if (!strcmp(argv[1], "fwd"))
		return cmd_fwd(ifindex, argc - 4, argv + 4);
	if (!strcmp(argv[1], "sink"))
		return cmd_sink(ifindex);
	if (!strcmp(argv[1], "count"))
		return cmd_count(ifindex);
	if (!strcmp(argv[1], "stat")) {
		if (attached(ifindex, &info) < 0)
			return die("no program attached");
		printf("%llu %llu\n", (unsigned long long)info.run_cnt,
		       (unsigned long long)info.run_time_ns);
		return 0;
	}
	if (!strcmp(argv[1], "detach"))
		return bpf_xdp_detach(ifindex, xdp_flags, NULL) ? die("detach")
								: 0;
	return die("unknown command");
}
