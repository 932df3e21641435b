// SPDX-License-Identifier: GPL-2.0
/* Prometheus /metrics: libmicrohttpd in external-epoll mode on the agent's
 * loop, and the text exposition (format 0.0.4) of a typed stats snapshot
 * (snapshot.h), the one the control API's stats renders as JSON. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "agent/health.h"
#include "agent/metrics.h"
#include "agent/snapshot.h"
#include "dp/maps.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MAX_CONNECTIONS 64u
#define IDLE_TIMEOUT_S 10u
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct metrics {
	struct loop *loop;
	struct MHD_Daemon *daemon;
	int epfd;		/* MHD's epoll fd, watched by our loop */
	uint64_t timer;		/* MHD's next timeout, 0 = none armed */
	metrics_snapshot_fn snapshot;
	void *arg;
	struct metrics_info info;
	char version[32];
	char xdp_mode[16];
	char last_error[160];	/* MHD's last message, for start failures */
};

/* Rendering */

struct label {
	const char *name;
	const char *value;
};

/* A label value with \, " and newline escaped, as 0.0.4 requires. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '"')
			fputs("\\\"", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void put_family(FILE *out, const char *name, const char *type,
		       const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes "name{a="x",b="y"} " (the value follows). */
static void put_series(FILE *out, const char *name, const struct label *l,
		       size_t n)
{
	fputs(name, out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s%s=\"", i ? "," : "{", l[i].name);
		put_escaped(out, l[i].value);
		fputc('"', out);
	}
	fputs(n ? "} " : " ", out);
}

/* A number in a snapshot struct: where it is and how it is written. */
enum num_kind {
	NUM_U32,
	NUM_U64,
	NUM_DOUBLE,
	NUM_NS_AS_S,	/* nanoseconds, written as seconds */
	NUM_US_AS_S,	/* nanoseconds, in whole microseconds (as the API
			 * gives them), written as seconds */
};

struct num {
	size_t off;
	enum num_kind kind;
};

/* 0, and a build error unless the field f of type is a T: a field renamed
 * or retyped fails the build rather than dropping or garbling a metric. */
#define CHECK_TYPE(type, f, T)                                                \
	(0 * sizeof(char[__builtin_types_compatible_p(                        \
				 __typeof__(((type *)0)->f), T) ? 1 : -1]))
#define FIELD(type, f, T, k)                                                  \
	{ .off = offsetof(type, f) + CHECK_TYPE(type, f, T), .kind = k }
#define U32(type, f) FIELD(type, f, __u32, NUM_U32)
#define U64(type, f) FIELD(type, f, __u64, NUM_U64)
#define DBL(type, f) FIELD(type, f, double, NUM_DOUBLE)
#define NS_AS_S(type, f) FIELD(type, f, __u64, NUM_NS_AS_S)
#define US_AS_S(type, f) FIELD(type, f, __u64, NUM_US_AS_S)

static void put_u64(FILE *out, __u64 v)
{
	fprintf(out, "%" PRIu64 "\n", (uint64_t)v);
}

static void put_double(FILE *out, double v)
{
	fprintf(out, "%.9g\n", v);
}

static void put_num(FILE *out, const void *base, const struct num *n)
{
	const char *p = (const char *)base + n->off;
	__u64 u;
	__u32 u32;
	double d;

	switch (n->kind) {
	case NUM_U32:
		memcpy(&u32, p, sizeof(u32));
		put_u64(out, u32);
		return;
	case NUM_DOUBLE:
		memcpy(&d, p, sizeof(d));
		put_double(out, d);
		return;
	default:
		break;
	}
	memcpy(&u, p, sizeof(u));
	if (n->kind == NUM_U64)
		put_u64(out, u);
	else if (n->kind == NUM_NS_AS_S)
		put_double(out, u / 1e9);
	else
		put_double(out, (double)(u / 1000) * 1e-6);
}

/* One number per VIP or per backend. */
struct family {
	const char *name, *type, *help;
	struct num num;
	enum { ALWAYS, IF_ZONE, IF_CHECKED } when;
};

static const struct family vip_families[] = {
	{ "xlb_vip_packets_total", "counter",
	  "Packets forwarded for the VIP, summed over CPUs.",
	  U64(struct snap_vip, counter.packets), ALWAYS },
	{ "xlb_vip_bytes_total", "counter",
	  "Bytes forwarded for the VIP (before encapsulation), summed over "
	  "CPUs.", U64(struct snap_vip, counter.bytes), ALWAYS },
	{ "xlb_vip_table_rebuilds_total", "counter",
	  "Maglev tables built and swapped in for the VIP.",
	  U64(struct snap_vip, rebuilds), ALWAYS },
	{ "xlb_vip_table_rebuild_seconds_total", "counter",
	  "Time spent building the VIP's tables and swapping them in.",
	  NS_AS_S(struct snap_vip, rebuild_ns_total), ALWAYS },
	{ "xlb_vip_table_last_rebuild_seconds", "gauge",
	  "How long the last table build and swap took.",
	  NS_AS_S(struct snap_vip, last_rebuild_ns), ALWAYS },
	{ "xlb_vip_table_size", "gauge", "Slots in the VIP's Maglev table.",
	  U32(struct snap_vip, table_size), ALWAYS },
	{ "xlb_vip_zone_health", "gauge",
	  "prefer_zone: share of the local zone's base weight that is up "
	  "(0..1).", DBL(struct snap_vip, zone.health), IF_ZONE },
	{ "xlb_vip_zone_local_share", "gauge",
	  "prefer_zone: share of new flows kept in the local zone (0..1); "
	  "below 1 it spills.", DBL(struct snap_vip, zone.local_share),
	  IF_ZONE },
};

static const struct family backend_families[] = {
	{ "xlb_backend_packets_total", "counter",
	  "Packets forwarded to the backend, summed over CPUs.",
	  U64(struct snap_backend, counter.packets), ALWAYS },
	{ "xlb_backend_bytes_total", "counter",
	  "Bytes forwarded to the backend (before encapsulation), summed "
	  "over CPUs.", U64(struct snap_backend, counter.bytes), ALWAYS },
	{ "xlb_backend_flows", "gauge",
	  "Active flows on the backend, counted by the data path: TCP until "
	  "the client's FIN or RST, any flow until idle.",
	  U64(struct snap_backend, flows), ALWAYS },
	{ "xlb_backend_new_flows_total", "counter",
	  "Flows opened on the backend: new, moved to it, or reopened.",
	  U64(struct snap_backend, new_flows), ALWAYS },
	{ "xlb_backend_weight", "gauge", "Configured weight.",
	  U32(struct snap_backend, weight), ALWAYS },
	{ "xlb_backend_effective_weight", "gauge",
	  "Weight in force after health, slow start and drain.",
	  DBL(struct snap_backend, weights.weight), ALWAYS },
	{ "xlb_backend_check_probes_total", "counter",
	  "Health-check probes completed.",
	  U64(struct snap_backend, health.probes), IF_CHECKED },
	{ "xlb_backend_check_failures_total", "counter",
	  "Health-check probes that failed.",
	  U64(struct snap_backend, health.failures), IF_CHECKED },
	{ "xlb_backend_check_consecutive_failures", "gauge",
	  "Health-check probes failed in a row (0 after a success).",
	  U32(struct snap_backend, health.consec_fail), IF_CHECKED },
	{ "xlb_backend_state_transitions_total", "counter",
	  "Up/down transitions of the health checker.",
	  U64(struct snap_backend, health.transitions), IF_CHECKED },
	{ "xlb_backend_failovers_total", "counter",
	  "Times the health checker took the backend out of service (up to "
	  "down).", U64(struct snap_backend, health.downs), IF_CHECKED },
	{ "xlb_backend_check_success_ratio", "gauge",
	  "Moving share of health-check probes that succeeded (0..1).",
	  DBL(struct snap_backend, health.success_ratio), IF_CHECKED },
	{ "xlb_backend_check_latency_ewma_seconds", "gauge",
	  "Moving average of health-check latency.",
	  US_AS_S(struct snap_backend, health.latency_ewma_ns), IF_CHECKED },
};

/* Calls fn for every backend of every VIP, with its labels in l[0..1]
 * and room for two more. */
typedef void (*backend_fn)(FILE *out, const struct snap_backend *b,
			   struct label *l, const void *arg);

static void for_each_backend(const struct snapshot *s, FILE *out,
			     backend_fn fn, const void *arg)
{
	for (size_t i = 0; i < s->n_vips; i++) {
		const struct snap_vip *v = &s->vips[i];

		for (size_t j = 0; j < v->n_backends; j++) {
			const struct snap_backend *b = &v->backends[j];
			struct label l[4] = { { "vip", v->name },
					      { "backend", b->address } };

			fn(out, b, l, arg);
		}
	}
}

static void backend_number(FILE *out, const struct snap_backend *b,
			   struct label *l, const void *arg)
{
	const struct family *f = arg;

	if (f->when == IF_CHECKED && !b->checked)
		return;
	put_series(out, f->name, l, 2);
	put_num(out, b, &f->num);
}

/* Exactly one series is 1: the state the backend is in. */
static void backend_state(FILE *out, const struct snap_backend *b,
			  struct label *l, const void *arg)
{
	(void)arg;
	l[2].name = "state";
	for (unsigned int s = 0; s < SNAP_BE_STATES; s++) {
		l[2].value = snap_backend_state_name(s);
		put_series(out, "xlb_backend_state", l, 3);
		fprintf(out, "%d\n", b->state == s);
	}
}

static void backend_check_up(FILE *out, const struct snap_backend *b,
			     struct label *l, const void *arg)
{
	(void)arg;
	if (!b->checked)
		return;
	put_series(out, "xlb_backend_check_up", l, 2);
	fprintf(out, "%d\n", b->health.state == HC_UP);
}

static void backend_last_result(FILE *out, const struct snap_backend *b,
				struct label *l, const void *arg)
{
	(void)arg;
	if (!b->checked)
		return;
	l[2] = (struct label){ "check", health_type_name(b->check) };
	l[3] = (struct label){ "result",
			       health_result_name(b->health.last_result) };
	put_series(out, "xlb_backend_check_last_result", l, 4);
	fputs("1\n", out);
}

/* Probes by outcome ("ok", "refused", "timeout", "bad status", ...). */
static void backend_results(FILE *out, const struct snap_backend *b,
			    struct label *l, const void *arg)
{
	(void)arg;
	if (!b->checked)
		return;
	l[2].name = "outcome";
	for (unsigned int r = HC_R_OK; r < HC_R_COUNT; r++) {
		l[2].value = health_result_name(r);
		put_series(out, "xlb_backend_check_results_total", l, 3);
		put_u64(out, b->health.results[r]);
	}
}

/* The check-latency histogram: cumulative buckets up to +Inf, the sum
 * and the count, of every successful probe since the agent started. */
static void backend_latency(FILE *out, const struct snap_backend *b,
			    struct label *l, const void *arg)
{
	static const struct num sum = US_AS_S(struct snap_backend,
					      health.latency_sum_ns);
	__u64 cum = 0;
	char le[32];

	(void)arg;
	if (!b->checked)
		return;
	l[2].name = "le";
	l[2].value = le;
	for (size_t i = 0; i <= HC_LATENCY_BUCKETS; i++) {
		cum += b->health.latency_buckets[i];
		if (i < HC_LATENCY_BUCKETS)
			snprintf(le, sizeof(le), "%.9g",
				 hc_latency_bounds_us[i] / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		put_series(out, "xlb_backend_check_latency_seconds_bucket", l,
			   3);
		put_u64(out, cum);
	}
	put_series(out, "xlb_backend_check_latency_seconds_sum", l, 2);
	put_num(out, b, &sum);
	put_series(out, "xlb_backend_check_latency_seconds_count", l, 2);
	put_u64(out, b->health.latency_count);
}

static void render_vips(const struct snapshot *s, FILE *out)
{
	char port[8];

	put_family(out, "xlb_vip_info", "gauge",
		   "A VIP's address, port and protocol (always 1).");
	for (size_t i = 0; i < s->n_vips; i++) {
		const struct snap_vip *v = &s->vips[i];
		struct label l[] = {
			{ "vip", v->name },
			{ "address", v->address },
			{ "port", port },
			{ "protocol", v->proto == 17 ? "udp" : "tcp" },
		};

		snprintf(port, sizeof(port), "%d", v->port);
		put_series(out, "xlb_vip_info", l, ARRAY_SIZE(l));
		fputs("1\n", out);
	}
	for (size_t f = 0; f < ARRAY_SIZE(vip_families); f++) {
		const struct family *fam = &vip_families[f];

		put_family(out, fam->name, fam->type, fam->help);
		for (size_t i = 0; i < s->n_vips; i++) {
			const struct snap_vip *v = &s->vips[i];
			struct label l = { "vip", v->name };

			if (fam->when == IF_ZONE && !v->weights.prefer_zone)
				continue;
			put_series(out, fam->name, &l, 1);
			put_num(out, v, &fam->num);
		}
	}
}

static void render_backends(const struct snapshot *s, FILE *out)
{
	for (size_t f = 0; f < ARRAY_SIZE(backend_families); f++) {
		put_family(out, backend_families[f].name,
			   backend_families[f].type, backend_families[f].help);
		for_each_backend(s, out, backend_number, &backend_families[f]);
	}
	put_family(out, "xlb_backend_state", "gauge",
		   "Backend state: 1 for the state it is in, 0 for the "
		   "others.");
	for_each_backend(s, out, backend_state, NULL);
	put_family(out, "xlb_backend_check_up", "gauge",
		   "Health checker's verdict: 1 up, 0 down.");
	for_each_backend(s, out, backend_check_up, NULL);
	put_family(out, "xlb_backend_check_last_result", "gauge",
		   "Outcome of the last health-check probe (always 1).");
	for_each_backend(s, out, backend_last_result, NULL);
	put_family(out, "xlb_backend_check_results_total", "counter",
		   "Health-check probes by outcome.");
	for_each_backend(s, out, backend_results, NULL);
	put_family(out, "xlb_backend_check_latency_seconds", "histogram",
		   "Latency of successful health-check probes (P50, P99: "
		   "histogram_quantile).");
	for_each_backend(s, out, backend_latency, NULL);
}

/* Data-path counters: each packet has exactly one verdict (forward, pass,
 * drop, or an ICMP reply instead); the rest are events on the way. */
static const char *verdict_action(const char *reason)
{
	if (!strncmp(reason, "fwd_", 4))
		return "forward";
	if (!strncmp(reason, "pass_", 5))
		return "pass";
	if (!strncmp(reason, "drop_", 5))
		return "drop";
	if (!strcmp(reason, "icmp_too_big_sent"))
		return "reply";
	return NULL;
}

static const struct family reason_families[] = {
	{ .name = "xlb_packets_total", .type = "counter",
	  .help = "Packets seen by the data path, by verdict (action) and "
		  "reason, summed over CPUs." },
	{ .name = "xlb_flow_events_total", .type = "counter",
	  .help = "Connection-table events: hit, miss, reschedule, ... "
		  "summed over CPUs." },
	{ .name = "xlb_datapath_events_total", .type = "counter",
	  .help = "Other data-path events (ICMP steered to flows, "
		  "fragments), summed over CPUs." },
};

/* Which of reason_families a reason counts in, with its labels in l
 * (*n of them). */
static size_t reason_family(const char *reason, struct label *l, size_t *n)
{
	const char *action = verdict_action(reason);

	*n = 1;
	if (action) {
		l[0] = (struct label){ "action", action };
		l[1] = (struct label){ "reason", reason };
		*n = 2;
		return 0;
	}
	if (!strncmp(reason, "flow_", 5)) {
		l[0] = (struct label){ "event", reason + 5 };
		return 1;
	}
	l[0] = (struct label){ "event", reason };
	return 2;
}

static void render_reasons(const struct snapshot *s, FILE *out)
{
	for (size_t f = 0; f < ARRAY_SIZE(reason_families); f++) {
		const struct family *fam = &reason_families[f];

		put_family(out, fam->name, fam->type, fam->help);
		for (unsigned int r = 0; s->has_reasons && r < XLB_REASON_MAX;
		     r++) {
			struct label l[2];
			size_t n;

			if (reason_family(xlb_reason_name(r), l, &n) != f)
				continue;
			put_series(out, fam->name, l, n);
			put_u64(out, s->reasons[r]);
		}
	}
}

static void render_agent(const struct metrics_info *info, FILE *out)
{
	char id[16];
	struct label l[] = {
		{ "version", info->version ? info->version : "" },
		{ "program_id", id },
		{ "xdp_mode", info->xdp_mode ? info->xdp_mode : "" },
	};

	snprintf(id, sizeof(id), "%u", info->prog_id);
	put_family(out, "xlb_agent_info", "gauge",
		   "The agent's version, balancer program id and configured "
		   "XDP mode (always 1).");
	put_series(out, "xlb_agent_info", l, ARRAY_SIZE(l));
	fputs("1\n", out);
	put_family(out, "xlb_agent_start_time_seconds", "gauge",
		   "When the agent started, in seconds since the epoch.");
	fprintf(out, "xlb_agent_start_time_seconds %" PRIu64 "\n",
		(uint64_t)info->start_time);
}

/* The agent's sweep of the flow table (sweep.c). */
static const struct family sweep_families[] = {
	{ "xlb_flow_table_entries", "gauge",
	  "Entries in the connection table at the last sweep.",
	  U64(struct sweep_status, last.entries), ALWAYS },
	{ "xlb_flow_table_idle", "gauge",
	  "Open flows idle past their timeout at the last sweep, not "
	  "counted as active.", U64(struct sweep_status, last.idle), ALWAYS },
	{ "xlb_flow_sweep_corrected_total", "counter",
	  "Open-flow counts the sweeps corrected (flows lost to LRU "
	  "eviction, races), summed over backends.",
	  U64(struct sweep_status, drift_total), ALWAYS },
};

static void render_sweep(const struct sweep_status *s, FILE *out)
{
	for (size_t f = 0; f < ARRAY_SIZE(sweep_families); f++) {
		const struct family *fam = &sweep_families[f];

		put_family(out, fam->name, fam->type, fam->help);
		put_series(out, fam->name, NULL, 0);
		put_num(out, s, &fam->num);
	}
}

/* With a bgp: section: the speaker's process and each VIP's
 * announcement. */
static void render_bgp(const struct snap_bgp *b, FILE *out)
{
	put_family(out, "xlb_bgp_speaker_up", "gauge",
		   "1 while the agent's BIRD speaker runs.");
	put_series(out, "xlb_bgp_speaker_up", NULL, 0);
	fprintf(out, "%d\n", b->speaker && b->status.running);
	put_family(out, "xlb_bgp_vip_announced", "gauge",
		   "1 while the VIP's address is announced over BGP (a "
		   "backend up and the data path attached), else 0.");
	for (size_t i = 0; i < b->n_vips; i++) {
		struct label l[] = { { "vip", b->vips[i].name },
				     { "address", b->vips[i].address } };

		put_series(out, "xlb_bgp_vip_announced", l, ARRAY_SIZE(l));
		fprintf(out, "%d\n", !b->vips[i].why_not);
	}
}

int metrics_render(const struct snapshot *snap,
		   const struct metrics_info *info, FILE *out)
{
	render_agent(info, out);
	render_vips(snap, out);
	render_backends(snap, out);
	render_reasons(snap, out);
	render_sweep(&snap->sweep, out);
	if (snap->has_bgp)
		render_bgp(&snap->bgp, out);
	return ferror(out) ? -EIO : 0;
}

/* HTTP */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				code == MHD_HTTP_OK ? CONTENT_TYPE
						    : "text/plain");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					"GET, HEAD");
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
				  unsigned int code, const char *text)
{
	return reply(conn, code, (char *)text, strlen(text),
		     MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result serve_metrics(struct metrics *m,
				     struct MHD_Connection *conn)
{
	struct snapshot snap;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int err = m->snapshot(m->arg, &snap);

	if (err) {
		pr_warn("metrics: no stats snapshot: %s\n", strerror(-err));
		snapshot_free(&snap);
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "stats unavailable\n");
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		snapshot_free(&snap);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory\n");
	}
	err = metrics_render(&snap, &m->info, out);
	snapshot_free(&snap);
	if (fclose(out) || err) {
		free(buf);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "cannot render metrics\n");
	}
	return reply(conn, MHD_HTTP_OK, buf, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct metrics *m = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	if (!strcmp(url, "/metrics"))
		return serve_metrics(m, conn);
	if (!strcmp(url, "/"))
		return reply_text(conn, MHD_HTTP_OK,
				  "xlb agent: metrics at /metrics\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics *m = cls;
	size_t n;

	vsnprintf(m->last_error, sizeof(m->last_error), fmt, ap);
	n = strlen(m->last_error);
	while (n && m->last_error[n - 1] == '\n')
		m->last_error[--n] = '\0';
	pr_debug("metrics: %s\n", m->last_error);
}

static void mhd_timer(struct loop *loop, void *arg);

/* Lets MHD do what is ready, then arms a timer for what it waits on
 * (idle connections to close, connections with work left over). */
static void mhd_run(struct metrics *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(m->daemon);
	if (m->timer)
		loop_del_timer(m->loop, m->timer);
	m->timer = 0;
	if (MHD_get_timeout(m->daemon, &ms) == MHD_YES)
		m->timer = loop_add_timer(m->loop, (uint64_t)ms * 1000000ULL,
					  mhd_timer, m);
}

static void mhd_timer(struct loop *loop, void *arg)
{
	struct metrics *m = arg;

	(void)loop;
	m->timer = 0;
	mhd_run(m);
}

static void mhd_ready(struct loop *loop, int fd, unsigned int events,
		      void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	mhd_run(arg);
}

static struct MHD_Daemon *start_daemon(struct metrics *m, unsigned int flags,
				       __u16 port, const struct sockaddr *sa)
{
	return MHD_start_daemon(flags | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, port,
				NULL, NULL, answer, m,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
				MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
				MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_END);
}

static struct MHD_Daemon *listen_on(struct metrics *m,
				    const struct metrics_opts *o)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(o->port) };
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(o->port) };
	struct MHD_Daemon *d;

	if (o->family == XLB_FAMILY_V4) {
		sin.sin_addr.s_addr = o->addr.v4;
		return start_daemon(m, 0, o->port, (struct sockaddr *)&sin);
	}
	if (o->family == XLB_FAMILY_V6) {
		memcpy(&sin6.sin6_addr, o->addr.v6, sizeof(sin6.sin6_addr));
		return start_daemon(m, MHD_USE_IPv6, o->port,
				    (struct sockaddr *)&sin6);
	}
	/* every address: both families, or IPv4 alone without IPv6 */
	d = start_daemon(m, MHD_USE_DUAL_STACK, o->port, NULL);
	return d ? d : start_daemon(m, 0, o->port, NULL);
}

struct metrics *metrics_start(struct loop *loop,
			      const struct metrics_opts *opts)
{
	char addr[XLB_ADDR_STRLEN] = "*";
	const union MHD_DaemonInfo *info;
	struct metrics *m;
	int err;

	if (opts->family)
		xlb_addr_str(&opts->addr, opts->family, addr, sizeof(addr));
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->loop = loop;
	m->snapshot = opts->snapshot;
	m->arg = opts->arg;
	m->info = opts->info;
	snprintf(m->version, sizeof(m->version), "%s",
		 opts->info.version ? opts->info.version : "");
	snprintf(m->xdp_mode, sizeof(m->xdp_mode), "%s",
		 opts->info.xdp_mode ? opts->info.xdp_mode : "");
	m->info.version = m->version;	/* the config may go on reload */
	m->info.xdp_mode = m->xdp_mode;
	snprintf(m->last_error, sizeof(m->last_error), "unknown error");

	m->daemon = listen_on(m, opts);
	if (!m->daemon) {
		err = -EADDRNOTAVAIL;
		goto fail;
	}
	info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		snprintf(m->last_error, sizeof(m->last_error),
			 "libmicrohttpd has no epoll fd");
		err = -ENOTSUP;
		goto fail;
	}
	m->epfd = info->epoll_fd;
	err = loop_add_fd(loop, m->epfd, LOOP_READ, mhd_ready, m);
	if (err) {
		snprintf(m->last_error, sizeof(m->last_error), "%s",
			 strerror(-err));
		goto fail;
	}
	mhd_run(m);
	pr_info("metrics: serving http://%s%s%s:%u/metrics\n",
		opts->family == XLB_FAMILY_V6 ? "[" : "", addr,
		opts->family == XLB_FAMILY_V6 ? "]" : "", opts->port);
	return m;
fail:
	pr_warn("metrics: cannot listen on %s%s%s:%u: %s; serving no "
		"metrics\n", opts->family == XLB_FAMILY_V6 ? "[" : "", addr,
		opts->family == XLB_FAMILY_V6 ? "]" : "", opts->port,
		m->last_error);
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	free(m);
	errno = -err;
	return NULL;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	if (m->timer)
		loop_del_timer(m->loop, m->timer);
	loop_del_fd(m->loop, m->epfd);
	MHD_stop_daemon(m->daemon);
	free(m);
}
