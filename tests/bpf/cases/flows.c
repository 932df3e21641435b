// SPDX-License-Identifier: GPL-2.0
/* The flow table: source affinity, backends flagged down (reschedule),
 * TCP RST and SYN, active flows counted per backend and the agent's
 * sweep, table swaps. */
#include "packet_test.h"

/* source affinity */
static void in_aff_a(struct pkt *p)
{
	build(p, &f_aff_a, NULL);
}

static void in_aff_b(struct pkt *p)
{
	build(p, &f_aff_b, NULL);
}

static bool su_aff(void)
{
	return prime(in_aff_a);
}

static void ex_aff_b(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, AFFINITY, &f_aff_b);
}

static bool chk_aff(void)
{
	struct xlb_flow a, b;

	return ASSERT_TRUE(lookup_flow(&f_aff_a, &a), "first flow entry") &&
	       ASSERT_TRUE(lookup_flow(&f_aff_b, &b), "second flow entry") &&
	       ASSERT_EQ(b.backend_id, a.backend_id, "same backend");
}

/* backends flagged down */
static void in_victim(struct pkt *p)
{
	build(p, &f_victim, NULL);
}

static bool su_victim_down(void)
{
	return set_down(victim, true);
}

static void ex_victim(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f_victim);
	model_ok &= ASSERT_TRUE(exp_be != (int)victim,
				"model avoids the down backend");
}

static bool su_resched(void)
{
	return prime(in_v4_tcp) && set_down(victim, true);
}

static void ex_resched(const struct pkt *in, struct pkt *out)
{
	expect_encap(in, out, V4_TCP, resched, vip_hash(V4_TCP, &f4_tcp));
}

static bool chk_resched(void)
{
	struct xlb_flow fl;

	return ASSERT_TRUE(lookup_flow(&f4_tcp, &fl), "flow entry") &&
	       ASSERT_EQ(fl.backend_id, resched, "entry rewritten") &&
	       counts_are(resched, 1, 0, 0) &&	/* the count moved too */
	       ASSERT_EQ(dataplane_opened_flows(dp, resched), 1, "opened");
}

static bool su_back_up(void)
{
	return su_resched() && prime(in_v4_tcp) && set_down(victim, false);
}

static bool su_all_down(void)
{
	bool ok = true;

	for (int k = 0; k < vips[V4_TCP].nbe; k++)
		ok &= set_down(be_id(V4_TCP, k), true);
	return ok;
}

static bool su_all_down_flow(void)
{
	return prime(in_v4_tcp) && su_all_down();
}

static void in_open(struct pkt *p)
{
	build(p, &f_open, NULL);
}

static bool su_open_down(void)
{
	bool ok = true;

	for (int k = 0; k < vips[FAILOPEN].nbe; k++)
		ok &= set_down(be_id(FAILOPEN, k), true);
	return ok;
}

static void ex_open(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, FAILOPEN, &f_open);
}

static void in_notable(struct pkt *p)
{
	build(p, &f_notable, NULL);
}

/* TCP RST */
static void in_rst(struct pkt *p)
{
	build_tcp(p, &f4_tcp, PKT_TCP_RST | PKT_TCP_ACK);
}

/* TCP SYN: a SYN on a flow already sent is a client retrying */
static void in_syn(struct pkt *p)
{
	build_tcp(p, &f4_tcp, PKT_TCP_SYN);
}

static bool su_syn(void)
{
	return prime(in_syn);
}

/* ---- active flows: counted per backend by the data path ---- */

static void in_fin(struct pkt *p)
{
	build_tcp(p, &f4_tcp, PKT_TCP_FIN | PKT_TCP_ACK);
}

static bool chk_counted(void)
{
	return flow_flags_are(&f4_tcp, victim, 0) && counts_are(victim, 1, 0, 0);
}

/* ... and opened once: a hit is no new flow */
static bool chk_counted_once(void)
{
	return chk_counted() &&
	       ASSERT_EQ(dataplane_opened_flows(dp, victim), 1, "opened");
}

static bool chk_closed(void)
{
	return flow_flags_are(&f4_tcp, victim, XLB_FLOW_F_CLOSED) &&
	       counts_are(0, 0, 0, 0);
}

static bool chk_udp_counted(void)
{
	return counts_are(model_backend(V4_UDP, &f4_udp), 1, 0, 0);
}

static bool su_fin(void)
{
	return prime(in_v4_tcp) && prime(in_fin);
}

static bool su_rst(void)
{
	return prime(in_v4_tcp) && prime(in_rst);
}

static bool su_fin_resched(void)
{
	return su_fin() && set_down(victim, true);
}

static bool chk_resched_closed(void)
{
	return flow_flags_are(&f4_tcp, resched, XLB_FLOW_F_CLOSED) &&
	       counts_are(0, 0, 0, 0);
}

#define IDLE_NS (300ULL * 1000000000ULL)

static __u64 last_seen(const struct tflow *f)
{
	struct xlb_flow fl;

	return lookup_flow(f, &fl) ? fl.last_seen_ns : 0;
}

/* f4_tcp idle for the TCP timeout: the sweep takes it out of the count,
 * writing nothing to the flow table. */
static bool su_idle(void)
{
	struct flow_sweep_stats st;

	return prime(in_v4_tcp) &&
	       sweep(last_seen(&f4_tcp) + IDLE_NS, IDLE_NS, IDLE_NS, true, 64,
		     &st) &&
	       ASSERT_EQ(st.entries, 1, "sweep: entries") &&
	       ASSERT_EQ(st.idle, 1, "sweep: idle") &&
	       ASSERT_EQ(st.active, 0, "sweep: active") &&
	       ASSERT_EQ(st.drift, 0, "sweep: drift") &&
	       flow_flags_are(&f4_tcp, victim, 0) && counts_are(0, 0, 0, 0);
}

/* The flow moved again: the data path alone does not know it was taken
 * out; the next sweep counts it again. */
static bool chk_idle_back(void)
{
	struct flow_sweep_stats st;

	return counts_are(0, 0, 0, 0) &&
	       sweep(last_seen(&f4_tcp), IDLE_NS, IDLE_NS, true, 64, &st) &&
	       ASSERT_EQ(st.active, 1, "sweep: active") && chk_counted();
}

/* Its FIN took the count below 0 (read as 0): the next sweep puts it at
 * 0 (the check after every case would see a -1 left behind). */
static bool chk_idle_fin(void)
{
	struct flow_sweep_stats st;

	return flow_flags_are(&f4_tcp, victim, XLB_FLOW_F_CLOSED) &&
	       counts_are(0, 0, 0, 0) &&
	       sweep(last_seen(&f4_tcp), IDLE_NS, IDLE_NS, true, 64, &st) &&
	       ASSERT_EQ(st.drift, 0, "sweep: drift") &&
	       ASSERT_EQ(st.idle, 0, "sweep: idle") && counts_are(0, 0, 0, 0);
}

/* Just short of the timeout: left alone. */
static bool su_not_idle(void)
{
	struct flow_sweep_stats st;

	return prime(in_v4_tcp) &&
	       sweep(last_seen(&f4_tcp) + IDLE_NS - 1, IDLE_NS, IDLE_NS, true,
		     64, &st) &&
	       ASSERT_EQ(st.idle, 0, "sweep: idle") &&
	       ASSERT_EQ(st.active, 1, "sweep: active") && chk_counted();
}

/* UDP has its own, shorter timeout: the UDP flow is idle, the TCP one
 * seen at the same time is not. */
static bool su_idle_udp(void)
{
	struct flow_sweep_stats st;
	__u32 ube = model_backend(V4_UDP, &f4_udp);

	return prime(in_v4_tcp) && prime(in_v4_udp) &&
	       sweep(last_seen(&f4_udp) + 30000000000ULL, IDLE_NS,
		     30000000000ULL, true, 64, &st) &&
	       ASSERT_EQ(st.entries, 2, "sweep: entries") &&
	       ASSERT_EQ(st.idle, 1, "sweep: idle") &&
	       ASSERT_EQ(st.active, 1, "sweep: active") &&
	       flow_flags_are(&f4_udp, ube, 0) &&
	       counts_are(victim, 1, 0, 0);
}

/* An entry lost as an LRU eviction loses one: its count stays until the
 * sweep finds it gone and corrects it. */
static bool su_drift(void)
{
	struct flow_sweep_stats st;
	struct xlb_flow_key k;
	__u32 be2 = model_backend(V4_TCP, &f4_tcp_2);

	flow_key(&f4_tcp, &k);
	return prime(in_v4_tcp) && prime(in_v4_tcp_2) &&
	       ASSERT_OK(dataplane_del_flow(dp, &k), "del_flow") &&
	       counts_are(victim, 1, be2, 1) &&
	       sweep(last_seen(&f4_tcp_2), IDLE_NS, IDLE_NS, true, 64, &st) &&
	       ASSERT_EQ(st.drift, 1, "sweep: drift") &&
	       counts_are(0, 0, be2, 1);
}

static bool chk_drift(void)
{
	return counts_are(model_backend(V4_TCP, &f4_tcp_2), 1, 0, 0);
}

/* A sweep in one-entry steps walks every entry once. */
static bool su_steps(void)
{
	struct flow_sweep_stats st;
	__u64 found[XLB_MAX_BACKENDS], sum = 0;
	struct flow_sweep_opts o = { 0 };
	struct flow_sweep *sw;
	int rc = 0, steps = 0;
	bool ok;

	ok = prime(in_v4_tcp) && prime(in_v4_tcp_2) && prime(in_v4_udp) &&
	     prime(in_v6_tcp) && prime(in_v6_udp);
	sw = ok ? dataplane_sweep_start(dp, &o) : NULL;
	if (!ASSERT_TRUE(sw, "sweep_start"))
		return false;
	while (rc == 0 && steps++ < 1000)
		rc = dataplane_sweep_step(sw, 1, &st);
	dataplane_sweep_found(sw, found, XLB_MAX_BACKENDS);
	dataplane_sweep_free(sw);
	for (__u32 i = 0; i < XLB_MAX_BACKENDS; i++)
		sum += found[i];
	return ASSERT_EQ(rc, 1, "sweep ran to the end") &&
	       ASSERT_EQ(st.entries, 5, "sweep: entries") &&
	       ASSERT_EQ(st.active, 5, "sweep: active") &&
	       ASSERT_EQ(sum, 5, "sweep: found") &&
	       ASSERT_TRUE(steps >= 5, "sweep: steps") &&
	       ASSERT_EQ(found[victim], victim == model_backend(V4_TCP,
								&f4_tcp_2)
						? 2
						: 1,
			 "sweep: found on f4_tcp's backend");
}

static bool chk_five(void)
{
	static __u64 c[XLB_MAX_BACKENDS];
	__u64 sum = 0;

	dataplane_read_active_flows(dp, c, XLB_MAX_BACKENDS);
	for (__u32 i = 0; i < XLB_MAX_BACKENDS; i++)
		sum += c[i];
	return ASSERT_EQ(sum, 5, "active flows in all");
}

/* table swap */
static void in_swap(struct pkt *p)
{
	build(p, &f_swap, NULL);
}

static bool su_swap_flow(void)
{
	return prime(in_swap) && swap_table(V4_TCP);
}

static bool su_swap(void)
{
	return swap_table(V4_TCP);
}

/* f_swap closed by a FIN, then the table swapped: a new connection on its
 * tuple (a bare SYN) is scheduled by the new table. */
static void in_swap_fin(struct pkt *p)
{
	build_tcp(p, &f_swap, PKT_TCP_FIN | PKT_TCP_ACK);
}

static void in_swap_syn(struct pkt *p)
{
	build_tcp(p, &f_swap, PKT_TCP_SYN);
}

static bool su_swap_closed(void)
{
	return prime(in_swap) && prime(in_swap_fin) && swap_table(V4_TCP);
}

/* counted once, on the new backend; the old one had it closed already */
static bool chk_swap_reopened(void)
{
	return flow_flags_are(&f_swap, be_id(V4_TCP, 3), 0) &&
	       counts_are(be_id(V4_TCP, 3), 1, 0, 0);
}

static void ex_swap_new(const struct pkt *in, struct pkt *out)
{
	expect_fwd(in, out, V4_TCP, &f_swap);
	model_ok &= ASSERT_EQ(exp_be, be_id(V4_TCP, 3), "new backend");
}

/* An ICMP error about a flow whose slot now names another backend. */
static void in_icmp4_swap(struct pkt *p)
{
	icmp4_about(p, &f_swap);
}

/* A packet of f_swap, whatever it is, to the backend f_swap was pinned to
 * by the first table. */
static void ex_swap_flow(const struct pkt *in, struct pkt *out)
{
	__u32 old = pick(vips[V4_TCP].table, vip_hash(V4_TCP, &f_swap));

	model_ok &= ASSERT_TRUE(old != model_backend(V4_TCP, &f_swap),
				"the new table moves the flow");
	expect_encap(in, out, V4_TCP, old, vip_hash(V4_TCP, &f_swap));
}

static const struct test_case cases[] = {
	/* source affinity */
	CASE("source affinity: another port of the client, same backend",
	     su_aff, in_aff_b, XDP_TX, ex_aff_b, chk_aff, FWD_NEW),

	/* backends down */
	CASE("backend down: a new flow hashed onto it takes the next slot",
	     su_victim_down, in_victim, XDP_TX, ex_victim, NULL, FWD_NEW),
	CASE("backend down: its flow is rescheduled, entry rewritten",
	     su_resched, in_v4_tcp, XDP_TX, ex_resched, chk_resched,
	     { XLB_FLOW_RESCHEDULE, 1 }, { XLB_FWD_TX, 1 }),
	CASE("backend up again: the rescheduled flow stays put", su_back_up,
	     in_v4_tcp, XDP_TX, ex_resched, chk_resched, FWD_HIT),
	CASE("all backends down, drop policy: dropped", su_all_down,
	     in_v4_tcp, XDP_DROP, NULL, NULL, { XLB_DROP_ALL_DOWN, 1 }),
	CASE("all backends down, an existing flow: dropped", su_all_down_flow,
	     in_v4_tcp, XDP_DROP, NULL, NULL, { XLB_DROP_ALL_DOWN, 1 }),
	CASE("all backends down, pass policy: passed unchanged", su_open_down,
	     in_open, XDP_PASS, NULL, NULL, { XLB_PASS_ALL_DOWN, 1 }),
	CASE("pass-policy VIP with backends up forwards", NULL, in_open,
	     XDP_TX, ex_open, NULL, FWD_NEW),
	CASE("VIP without a table yet: dropped", NULL, in_notable, XDP_DROP,
	     NULL, NULL, { XLB_DROP_NO_TABLE, 1 }),

	/* TCP RST */
	CASE("tcp RST of an unknown flow: forwarded, no entry", NULL, in_rst,
	     XDP_TX, ex_v4_tcp, chk_no_v4_tcp_flow, FWD_NEW,
	     { XLB_FLOW_NOT_INSERTED, 1 }),
	CASE("tcp RST of a known flow: to its backend", su_v4_tcp, in_rst,
	     XDP_TX, ex_v4_tcp, NULL, FWD_HIT),

	/* active flows: counted per backend, FIN/RST once, idle by sweep */
	CASE("active flows: a new tcp flow counts 1 on its backend", NULL,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted_once, FWD_NEW),
	CASE("active flows: a hit does not count it again", su_v4_tcp,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted_once, FWD_HIT),
	CASE("active flows: a udp flow counts too", NULL, in_v4_udp, XDP_TX,
	     ex_v4_udp, chk_udp_counted, FWD_NEW),
	CASE("active flows: FIN from the client uncounts, entry kept closed",
	     su_v4_tcp, in_fin, XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: RST from the client uncounts", su_v4_tcp, in_rst,
	     XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: FIN retransmitted, no second decrement", su_fin,
	     in_fin, XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: RST after FIN, no second decrement", su_fin,
	     in_rst, XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: ACK after RST leaves it closed", su_rst, in_v4_tcp,
	     XDP_TX, ex_v4_tcp, chk_closed, FWD_HIT),
	CASE("active flows: FIN of an unknown flow, entry closed, no count",
	     NULL, in_fin, XDP_TX, ex_v4_tcp, chk_closed, FWD_NEW),
	CASE("active flows: SYN on a closed flow is a new flow, counted, no "
	     "retry hint", su_fin, in_syn, XDP_TX, ex_v4_tcp, chk_counted,
	     FWD_NEW),
	CASE("table swap: SYN on a closed flow follows the new table",
	     su_swap_closed, in_swap_syn, XDP_TX, ex_swap_new,
	     chk_swap_reopened, FWD_NEW),
	CASE("table swap: ACK on a closed flow stays where it was",
	     su_swap_closed, in_swap, XDP_TX, ex_swap_flow, NULL, FWD_HIT),
	CASE("active flows: reschedule of a closed flow counts nowhere",
	     su_fin_resched, in_v4_tcp, XDP_TX, ex_resched,
	     chk_resched_closed, { XLB_FLOW_RESCHEDULE, 1 }, { XLB_FWD_TX, 1 }),
	CASE("active flows: a FIN that reschedules uncounts the old backend",
	     su_resched, in_fin, XDP_TX, ex_resched, chk_resched_closed,
	     { XLB_FLOW_RESCHEDULE, 1 }, { XLB_FWD_TX, 1 }),
	CASE("sweep: idle tcp flow uncounted; moving again, counted again",
	     su_idle, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_idle_back, FWD_HIT),
	CASE("sweep: FIN on an idle flow, the count stays at 0", su_idle,
	     in_fin, XDP_TX, ex_v4_tcp, chk_idle_fin, FWD_HIT),
	CASE("sweep: a flow short of the timeout stays counted", su_not_idle,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted, FWD_HIT),
	CASE("sweep: udp's own timeout, the tcp flow stays counted",
	     su_idle_udp, in_v4_tcp, XDP_TX, ex_v4_tcp, chk_counted, FWD_HIT),
	CASE("sweep: a count left by a lost entry is corrected", su_drift,
	     in_v4_tcp_2, XDP_TX, ex_v4_tcp_2, chk_drift, FWD_HIT),
	CASE("sweep: one-entry steps walk every entry once", su_steps,
	     in_v4_tcp, XDP_TX, ex_v4_tcp, chk_five, FWD_HIT),

	/* TCP SYN retried: the agent's in-band hint */
	CASE("tcp SYN of a new flow: no retry hint", NULL, in_syn, XDP_TX,
	     ex_v4_tcp, chk_v4_tcp_flow, FWD_NEW),
	CASE("tcp SYN again on that flow: forwarded, retry counted",
	     su_syn, in_syn, XDP_TX, ex_v4_tcp, NULL, FWD_HIT,
	     { XLB_FLOW_SYN_RETRY, 1 }),

	/* table swap */
	CASE("table swap adding a backend: existing flow stays", su_swap_flow,
	     in_swap, XDP_TX, ex_swap_flow, NULL, FWD_HIT),
	CASE("table swap adding a backend: new flow follows the new table",
	     su_swap, in_swap, XDP_TX, ex_swap_new, NULL, FWD_NEW),
	CASE("table swap: icmp frag-needed still follows the flow entry",
	     su_swap_flow, in_icmp4_swap, XDP_TX, ex_swap_flow, NULL,
	     { XLB_ICMP_TO_FLOW, 1 }, { XLB_FWD_TX, 1 }),
};
CASES(cases, NULL);
