// SPDX-License-Identifier: GPL-2.0
/* xlb-udpflood: the veth throughput bench's traffic generator. Small UDP
 * frames built once and sent with sendmmsg() on an AF_PACKET socket (qdisc
 * bypassed), each batch from the next source ports of a range, so that
 * every flow recurs. Bounded by a count and a time, whichever comes first.
 *   xlb-udpflood dev IF dstmac MAC src ADDR dst ADDR port PORT
 *                [flows N] [count N] [seconds S] [batch N]
 * Prints "sent N seconds S pps P cpu C" (sent: frames handed to the device;
 * C: this process's user + system seconds over the sending, which on a
 * veth includes the receive side's XDP run in its softirqs, on its CPU). */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define FRAME 60 /* the minimum Ethernet frame without its FCS */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static unsigned short csum(const void *p, int len)
{
	const unsigned short *w = p;
	unsigned int s = 0;

	for (; len > 1; len -= 2)
		s += *w++;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xlb-udpflood dev IF dstmac MAC src ADDR dst ADDR "
		"port PORT [flows N] [count N] [seconds S] [batch N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dev = NULL, *dmac = NULL;
	struct in_addr src = {0}, dst = {0};
	unsigned long long count = 1000000, sent = 0;
	unsigned int port = 0, flows = 1024, batch = 64, b[6], i, f = 0;
	double secs = 5, t0, t1, c0;
	static unsigned char frames[MAX_BATCH][FRAME];
	static struct mmsghdr msg[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_ll sll = {0};
	struct ifreq ifr = {0};
	int fd, one = 1, a;

	for (a = 1; a + 1 < argc; a += 2) {
		const char *k = argv[a], *v = argv[a + 1];

		if (!strcmp(k, "dev"))
			dev = v;
		else if (!strcmp(k, "dstmac"))
			dmac = v;
		else if (!strcmp(k, "src") && inet_pton(AF_INET, v, &src) == 1)
			;
		else if (!strcmp(k, "dst") && inet_pton(AF_INET, v, &dst) == 1)
			;
		else if (!strcmp(k, "port"))
			port = strtoul(v, NULL, 0);
		else if (!strcmp(k, "flows"))
			flows = strtoul(v, NULL, 0);
		else if (!strcmp(k, "count"))
			count = strtoull(v, NULL, 0);
		else if (!strcmp(k, "seconds"))
			secs = strtod(v, NULL);
		else if (!strcmp(k, "batch"))
			batch = strtoul(v, NULL, 0);
		else
			usage();
	}
	if (a != argc || !dev || !dmac || !port || !src.s_addr || !dst.s_addr ||
	    !flows || flows > 60000 || !batch || batch > MAX_BATCH ||
	    secs <= 0 || secs > 600 ||
	    sscanf(dmac, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		usage();

	fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: receives nothing */
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		perror(dev);
		return 1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(dev);
	sll.sll_halen = ETH_ALEN;
	for (i = 0; i < 6; i++)
		sll.sll_addr[i] = b[i];
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		perror("bind");
		return 1;
	}

	for (i = 0; i < batch; i++) {
		struct ether_header *eth = (void *)frames[i];
		struct iphdr *ip = (void *)(eth + 1);
		struct udphdr *udp = (void *)(ip + 1);
		int j;

		for (j = 0; j < 6; j++)
			eth->ether_dhost[j] = b[j];
		memcpy(eth->ether_shost, ifr.ifr_hwaddr.sa_data, 6);
		eth->ether_type = htons(ETHERTYPE_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons(FRAME - sizeof(*eth));
		ip->saddr = src.s_addr;
		ip->daddr = dst.s_addr;
		ip->check = csum(ip, sizeof(*ip));
		udp->dest = htons(port);
		udp->len = htons(FRAME - sizeof(*eth) - sizeof(*ip));
		udp->check = 0; /* none: allowed over IPv4 */
		iov[i].iov_base = frames[i];
		iov[i].iov_len = FRAME;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}

	c0 = cpu_seconds();
	t0 = now();
	t1 = t0;
	while (sent < count) {
		unsigned int n = batch, k;
		int r;

		if (count - sent < n)
			n = count - sent;
		for (k = 0; k < n; k++) {
			struct udphdr *udp = (void *)(frames[k] + 14 + 20);

			udp->source = htons(10000 + f);
			if (++f == flows)
				f = 0;
		}
		r = sendmmsg(fd, msg, n, 0);
		if (r > 0)
			sent += r;
		/* the clock every batch is cheap next to a batch of sends */
		t1 = now();
		if (t1 - t0 >= secs)
			break;
	}
	printf("sent %llu seconds %.3f pps %.0f cpu %.3f\n", sent, t1 - t0,
	       sent / (t1 - t0), cpu_seconds() - c0);
	close(fd);
	return 0;
}
