// SPDX-License-Identifier: GPL-2.0
/* Packet tests: the real balancer and decap objects, maps filled through
 * user/dp/, each case run once with BPF_PROG_TEST_RUN and checked for
 * verdict, exact output bytes and counters. The cases are in
 * tests/bpf/cases/, one file a concern, each registering its table
 * (packet_test.h); the world they run in is world.c. This file runs them. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "packet_test.h"

/* ---- the registered case tables ---- */

#define MAX_TABLES 64

static const struct case_table *tables[MAX_TABLES];
static size_t ntables;

void cases_register(const struct case_table *t)
{
	if (ntables == MAX_TABLES) {
		fprintf(stderr, "more than %d case tables\n", MAX_TABLES);
		exit(2);
	}
	tables[ntables++] = t;
}

/* By file name: the order of the run does not hang on the link order. */
static int table_cmp(const void *a, const void *b)
{
	const struct case_table *const *x = a, *const *y = b;

	return strcmp((*x)->file, (*y)->file);
}

/* ---- comparing output ---- */

static const char *xdp_name(long long v)
{
	static const char *const names[] = { "XDP_ABORTED", "XDP_DROP",
					     "XDP_PASS", "XDP_TX",
					     "XDP_REDIRECT" };

	return v >= 0 && v < 5 ? names[v] : "?";
}

static void hexline(const char *tag, const __u8 *b, size_t len, size_t off,
		    const __u8 *other, size_t olen)
{
	printf("    %s %04zx:", tag, off);
	for (size_t i = off; i < off + 16; i++) {
		if (i >= len)
			printf("   ");
		else if (i >= olen || b[i] != other[i])
			printf(" %02x*", b[i]);
		else
			printf(" %02x ", b[i]);
	}
	printf("\n");
}

/* Compares two frames; on a difference, a hex dump of the lines that
 * differ, bytes that differ marked with '*'. */
static bool assert_pkt(const __u8 *got, size_t glen, const __u8 *exp,
		       size_t elen, const char *name)
{
	size_t max = glen > elen ? glen : elen, first = max, shown = 0;

	for (size_t i = 0; i < max; i++) {
		if (i >= glen || i >= elen || got[i] != exp[i]) {
			first = i;
			break;
		}
	}
	if (glen == elen && first == max)
		return true;
	printf("    %s: %zu bytes, expected %zu; first difference at %#zx\n",
	       name, glen, elen, first);
	for (size_t off = first & ~(size_t)15; off < max && shown < 24;
	     off += 16) {
		size_t end = off + 16 < max ? off + 16 : max;
		bool same = end <= glen && end <= elen &&
			    !memcmp(got + off, exp + off, end - off);

		if (same)
			continue;
		hexline("got", got, glen, off, exp, elen);
		hexline("exp", exp, elen, off, got, glen);
		shown++;
	}
	return false;
}

/* ---- running a case ---- */

static __u64 expected_count(const struct test_case *tc, int idx)
{
	__u64 n = 0;

	for (size_t i = 0; i < sizeof(tc->counters) / sizeof(tc->counters[0]);
	     i++) {
		if (!tc->counters[i].n)
			break;
		if (tc->counters[i].idx == idx)
			n += tc->counters[i].n;
	}
	return n;
}

/* Per-VIP and per-backend packet and byte counters: only the expected
 * VIP and backend moved, by one packet of len bytes. */
static bool check_traffic_stats(size_t len)
{
	bool ok = true;

	for (int v = 0; v < NVIPS; v++) {
		struct xlb_counter c;
		bool mine = v == exp_vip;

		ok &= ASSERT_OK(dataplane_read_vip_stats(dp, v, &c),
				"read_vip_stats");
		ok &= ASSERT_EQ(c.packets, mine, "vip packets");
		ok &= ASSERT_EQ(c.bytes, mine ? len : 0, "vip bytes");
		for (int k = 0; k < MAX_BE; k++) {
			__u32 id = be_id(v, k);

			mine = (int)id == exp_be;
			ok &= ASSERT_OK(dataplane_read_backend_stats(dp, id,
								     &c),
					"read_backend_stats");
			ok &= ASSERT_EQ(c.packets, mine, "backend packets");
			ok &= ASSERT_EQ(c.bytes, mine ? len : 0,
					"backend bytes");
		}
	}
	return ok;
}

/* After every balancer case: each backend's active count is what a walk
 * of the flow table finds (no drift), none below zero. */
static bool counts_match_table(void)
{
	struct flow_sweep_stats st = { 0 };

	return sweep(0, 0, 0, false, 4096, &st) &&
	       ASSERT_EQ(st.drift, 0, "active counts match the flow table");
}

static bool run_case(const struct test_case *tc)
{
	static struct pkt in, exp;
	static __u8 out[PKT_MAX];
	__u64 before[XLB_DECAP_MAX], after[XLB_DECAP_MAX];
	__u64 reasons[XLB_REASON_MAX];
	__u32 out_len = 0, ret = 0;
	bool ok;
	int fd;

	ok = reset_world();
	if (ok && tc->setup)
		ok = tc->setup();
	ok = ok && ASSERT_OK(dataplane_clear_stats(dp), "clear_stats");
	ok = ok && ASSERT_OK(decap_read_stats(dc, before), "decap_read_stats");
	if (!ok)
		return false;
	exp_vip = exp_be = -1;
	model_ok = true;
	tc->input(&in);
	if (tc->expect)
		tc->expect(&in, &exp);
	else
		exp = in;

	fd = tc->decap ? decap_prog_fd(dc) : dataplane_prog_fd(dp);
	if (!run_prog(fd, &in, out, &out_len, &ret))
		return false;
	if (!ASSERT_EQ(ret, tc->verdict, "verdict"))
		printf("    verdict: got %s, expected %s\n", xdp_name(ret),
		       xdp_name(tc->verdict));
	ok &= model_ok && ret == (__u32)tc->verdict;
	if (tc->expect != expect_any)
		ok &= assert_pkt(out, out_len, exp.buf, exp.len, "output");

	if (tc->decap) {
		ok &= ASSERT_OK(decap_read_stats(dc, after), "decap_read_stats");
		for (int r = 0; r < XLB_DECAP_MAX; r++)
			ok &= ASSERT_EQ(after[r] - before[r],
					expected_count(tc, r), "decap counter");
	} else {
		ok &= ASSERT_OK(dataplane_read_reasons(dp, reasons),
				"read_reasons");
		for (int r = 0; r < XLB_REASON_MAX; r++)
			ok &= ASSERT_EQ(reasons[r], expected_count(tc, r),
					xlb_reason_name(r));
		ok &= check_traffic_stats(in.len);
	}
	if (tc->check)
		ok &= tc->check();
	if (!tc->decap)
		ok &= counts_match_table();
	return ok;
}

static int pin_here(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* packet_test [WORD]: runs every case, or those whose name holds WORD. */
int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	struct dataplane_opts opts = { .flow_entries = FLOW_ENTRIES };
	int pass = 0, fail = 0, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(LOG_LVL_WARN);
	/* Own network namespace: nothing here can touch the host's. */
	if (unshare(CLONE_NEWNET)) {
		printf("unshare(CLONE_NEWNET): %s (needs root)\n",
		       strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	/* One CPU throughout: a per-CPU cache filled by a setup step is the
	 * one the case then reads. */
	if (pin_here()) {
		printf("sched_setaffinity: %s\n", strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	dp = dataplane_open(&opts);
	dc = decap_open();
	if (!dp || !dc) {
		printf("loading the BPF objects failed: %s\n", strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	qsort(tables, ntables, sizeof(tables[0]), table_cmp);
	for (size_t t = 0; t < ntables; t++)
		if (tables[t]->init)
			tables[t]->init();
	if (!build_tables() || !find_flows()) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	for (int v = 0; v < NVIPS; v++) {
		for (int k = 0; k < MAX_BE && vips[v].nbe; k++) {
			union xlb_addr a;
			__u8 fam = be_addr(be_id(v, k), vips[v].be_family, &a);

			if (decap_add_addr(dc, &a, fam)) {
				printf("decap_add_addr failed\n");
				printf("0 passed, 1 failed\n");
				return 1;
			}
		}
	}

	for (size_t t = 0; t < ntables; t++) {
		printf("# %s\n", tables[t]->file);
		for (size_t i = 0; i < tables[t]->n; i++) {
			const struct test_case *tc = &tables[t]->cases[i];
			bool ok;

			n++;
			if (only && !strstr(tc->name, only))
				continue;
			ok = run_case(tc);
			printf("%s %d - %s\n", ok ? "ok" : "not ok", n, tc->name);
			if (ok)
				pass++;
			else
				fail++;
		}
	}
	decap_close(dc);
	dataplane_close(dp);
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
