// SPDX-License-Identifier: GPL-2.0
/* Prometheus /metrics: libmicrohttpd in external-epoll mode on the agent's
 * loop, and the text exposition (format 0.0.4) of a stats snapshot. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
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

/* An integer as is; anything else (or a scaled value) as a float. */
static void put_value(FILE *out, json_object *v, double scale)
{
	if (json_object_is_type(v, json_type_int) && scale == 1.0)
		fprintf(out, "%" PRId64 "\n", json_object_get_int64(v));
	else
		fprintf(out, "%.9g\n", json_object_get_double(v) * scale);
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *get_num(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) ||
	      json_object_is_type(v, json_type_double)))
		return NULL;
	return v;
}

static json_object *get_array(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* One number per VIP, from the VIP object. */
struct vip_family {
	const char *name, *type, *help, *key;
};

static const struct vip_family vip_families[] = {
	{ "xlb_vip_packets_total", "counter",
	  "Packets forwarded for the VIP, summed over CPUs.", "packets" },
	{ "xlb_vip_bytes_total", "counter",
	  "Bytes forwarded for the VIP (before encapsulation), summed over "
	  "CPUs.", "bytes" },
	{ "xlb_vip_table_rebuilds_total", "counter",
	  "Maglev tables built and swapped in for the VIP.", "rebuilds" },
	{ "xlb_vip_table_rebuild_seconds_total", "counter",
	  "Time spent building the VIP's tables and swapping them in.",
	  "rebuild_seconds_total" },
	{ "xlb_vip_table_last_rebuild_seconds", "gauge",
	  "How long the last table build and swap took.",
	  "last_rebuild_seconds" },
	{ "xlb_vip_table_size", "gauge",
	  "Slots in the VIP's Maglev table.", "table_size" },
	{ "xlb_vip_zone_health", "gauge",
	  "prefer_zone: share of the local zone's base weight that is up "
	  "(0..1).", "zone_health" },
	{ "xlb_vip_zone_local_share", "gauge",
	  "prefer_zone: share of new flows kept in the local zone (0..1); "
	  "below 1 it spills.", "zone_local_share" },
};

/* One number per backend, from the backend object or its "health". */
struct backend_family {
	const char *name, *type, *help, *key;
	bool health;
	double scale;
};

static const struct backend_family backend_families[] = {
	{ "xlb_backend_packets_total", "counter",
	  "Packets forwarded to the backend, summed over CPUs.", "packets",
	  false, 1.0 },
	{ "xlb_backend_bytes_total", "counter",
	  "Bytes forwarded to the backend (before encapsulation), summed "
	  "over CPUs.", "bytes", false, 1.0 },
	{ "xlb_backend_flows", "gauge",
	  "Active flows on the backend, counted by the data path: TCP until "
	  "the client's FIN or RST, any flow until idle.", "flows",
	  false, 1.0 },
	{ "xlb_backend_new_flows_total", "counter",
	  "Flows opened on the backend: new, moved to it, or reopened.",
	  "new_flows", false, 1.0 },
	{ "xlb_backend_weight", "gauge", "Configured weight.", "weight",
	  false, 1.0 },
	{ "xlb_backend_effective_weight", "gauge",
	  "Weight in force after health, slow start and drain.",
	  "effective_weight", false, 1.0 },
	{ "xlb_backend_check_probes_total", "counter",
	  "Health-check probes completed.", "probes", true, 1.0 },
	{ "xlb_backend_check_failures_total", "counter",
	  "Health-check probes that failed.", "failures", true, 1.0 },
	{ "xlb_backend_check_consecutive_failures", "gauge",
	  "Health-check probes failed in a row (0 after a success).",
	  "consecutive_failures", true, 1.0 },
	{ "xlb_backend_state_transitions_total", "counter",
	  "Up/down transitions of the health checker.", "transitions", true,
	  1.0 },
	{ "xlb_backend_failovers_total", "counter",
	  "Times the health checker took the backend out of service (up to "
	  "down).", "failovers", true, 1.0 },
	{ "xlb_backend_check_success_ratio", "gauge",
	  "Moving share of health-check probes that succeeded (0..1).",
	  "success_ratio", true, 1.0 },
	{ "xlb_backend_check_latency_ewma_seconds", "gauge",
	  "Moving average of health-check latency.", "latency_ewma_us", true,
	  1e-6 },
};

/* States a backend can be in; exactly one series of each is 1. */
static const char *const backend_states[] = {
	"up", "down", "draining", "drained",
};

/* Calls fn for every backend of every VIP. */
static void for_each_backend(json_object *vips, FILE *out,
			     void (*fn)(FILE *out, json_object *be,
					struct label *l, const void *arg),
			     const void *arg)
{
	size_t nv = vips ? json_object_array_length(vips) : 0;

	for (size_t i = 0; i < nv; i++) {
		json_object *vip = json_object_array_get_idx(vips, i);
		json_object *bes = get_array(vip, "backends");
		size_t nb = bes ? json_object_array_length(bes) : 0;
		const char *name = get_str(vip, "name");

		for (size_t j = 0; name && j < nb; j++) {
			json_object *be = json_object_array_get_idx(bes, j);
			struct label l[4] = { { "vip", name },
					      { "backend",
						get_str(be, "address") } };

			if (l[1].value)
				fn(out, be, l, arg);
		}
	}
}

static void backend_number(FILE *out, json_object *be, struct label *l,
			   const void *arg)
{
	const struct backend_family *f = arg;
	json_object *src = be, *v;

	if (f->health && !json_object_object_get_ex(be, "health", &src))
		return;
	v = get_num(src, f->key);
	if (!v)
		return;	/* e.g. no checker: health holds only "check" */
	put_series(out, f->name, l, 2);
	put_value(out, v, f->scale);
}

static void backend_state(FILE *out, json_object *be, struct label *l,
			  const void *arg)
{
	const char *state = get_str(be, "state");
	bool known = false;

	(void)arg;
	if (!state)
		return;
	l[2].name = "state";
	for (size_t i = 0; i < ARRAY_SIZE(backend_states); i++) {
		l[2].value = backend_states[i];
		put_series(out, "xlb_backend_state", l, 3);
		fprintf(out, "%d\n", !strcmp(state, backend_states[i]));
		known |= !strcmp(state, backend_states[i]);
	}
	if (!known) {
		l[2].value = state;
		put_series(out, "xlb_backend_state", l, 3);
		fputs("1\n", out);
	}
}

static void backend_check_up(FILE *out, json_object *be, struct label *l,
			     const void *arg)
{
	json_object *h;
	const char *state;

	(void)arg;
	if (!json_object_object_get_ex(be, "health", &h))
		return;
	state = get_str(h, "state");
	if (!state)
		return;
	put_series(out, "xlb_backend_check_up", l, 2);
	fprintf(out, "%d\n", !strcmp(state, "up"));
}

static void backend_last_result(FILE *out, json_object *be, struct label *l,
				const void *arg)
{
	const char *check, *result;
	json_object *h;

	(void)arg;
	if (!json_object_object_get_ex(be, "health", &h))
		return;
	check = get_str(h, "check");
	result = get_str(h, "last_result");
	if (!check || !result)
		return;
	l[2] = (struct label){ "check", check };
	l[3] = (struct label){ "result", result };
	put_series(out, "xlb_backend_check_last_result", l, 4);
	fputs("1\n", out);
}

/* Probes by outcome ("ok", "refused", "timeout", "bad status", ...). */
static void backend_results(FILE *out, json_object *be, struct label *l,
			    const void *arg)
{
	json_object *h, *results;

	(void)arg;
	if (!json_object_object_get_ex(be, "health", &h) ||
	    !json_object_object_get_ex(h, "results", &results) ||
	    !json_object_is_type(results, json_type_object))
		return;
	l[2].name = "outcome";
	json_object_object_foreach(results, outcome, n) {
		l[2].value = outcome;
		put_series(out, "xlb_backend_check_results_total", l, 3);
		put_value(out, n, 1.0);
	}
}

/* The check-latency histogram: cumulative buckets up to +Inf, the sum
 * and the count, of every successful probe since the agent started. */
static void backend_latency(FILE *out, json_object *be, struct label *l,
			    const void *arg)
{
	json_object *h, *buckets, *sum, *count;
	__u64 cum = 0;
	char le[32];

	(void)arg;
	if (!json_object_object_get_ex(be, "health", &h) ||
	    !(buckets = get_array(h, "latency_buckets")) ||
	    json_object_array_length(buckets) != HC_LATENCY_BUCKETS + 1 ||
	    !(sum = get_num(h, "latency_sum_us")) ||
	    !(count = get_num(h, "latency_count")))
		return;
	l[2].name = "le";
	l[2].value = le;
	for (size_t i = 0; i <= HC_LATENCY_BUCKETS; i++) {
		cum += (__u64)json_object_get_int64(
			json_object_array_get_idx(buckets, i));
		if (i < HC_LATENCY_BUCKETS)
			snprintf(le, sizeof(le), "%.9g",
				 hc_latency_bounds_us[i] / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		put_series(out, "xlb_backend_check_latency_seconds_bucket", l,
			   3);
		fprintf(out, "%llu\n", (unsigned long long)cum);
	}
	put_series(out, "xlb_backend_check_latency_seconds_sum", l, 2);
	put_value(out, sum, 1e-6);
	put_series(out, "xlb_backend_check_latency_seconds_count", l, 2);
	put_value(out, count, 1.0);
}

static void render_vips(json_object *vips, FILE *out)
{
	size_t nv = vips ? json_object_array_length(vips) : 0;
	char port[8];

	put_family(out, "xlb_vip_info", "gauge",
		   "A VIP's address, port and protocol (always 1).");
	for (size_t i = 0; i < nv; i++) {
		json_object *vip = json_object_array_get_idx(vips, i);
		json_object *p = get_num(vip, "port");
		struct label l[] = {
			{ "vip", get_str(vip, "name") },
			{ "address", get_str(vip, "address") },
			{ "port", port },
			{ "protocol", get_str(vip, "protocol") },
		};

		snprintf(port, sizeof(port), "%d", p ? json_object_get_int(p)
						      : 0);
		if (!l[0].value || !l[1].value || !l[3].value)
			continue;
		put_series(out, "xlb_vip_info", l, ARRAY_SIZE(l));
		fputs("1\n", out);
	}
	for (size_t f = 0; f < ARRAY_SIZE(vip_families); f++) {
		put_family(out, vip_families[f].name, vip_families[f].type,
			   vip_families[f].help);
		for (size_t i = 0; i < nv; i++) {
			json_object *vip = json_object_array_get_idx(vips, i);
			json_object *v = get_num(vip, vip_families[f].key);
			struct label l = { "vip", get_str(vip, "name") };

			if (!v || !l.value)
				continue;
			put_series(out, vip_families[f].name, &l, 1);
			put_value(out, v, 1.0);
		}
	}
}

static void render_backends(json_object *vips, FILE *out)
{
	for (size_t f = 0; f < ARRAY_SIZE(backend_families); f++) {
		put_family(out, backend_families[f].name,
			   backend_families[f].type, backend_families[f].help);
		for_each_backend(vips, out, backend_number,
				 &backend_families[f]);
	}
	put_family(out, "xlb_backend_state", "gauge",
		   "Backend state: 1 for the state it is in, 0 for the "
		   "others.");
	for_each_backend(vips, out, backend_state, NULL);
	put_family(out, "xlb_backend_check_up", "gauge",
		   "Health checker's verdict: 1 up, 0 down.");
	for_each_backend(vips, out, backend_check_up, NULL);
	put_family(out, "xlb_backend_check_last_result", "gauge",
		   "Outcome of the last health-check probe (always 1).");
	for_each_backend(vips, out, backend_last_result, NULL);
	put_family(out, "xlb_backend_check_results_total", "counter",
		   "Health-check probes by outcome.");
	for_each_backend(vips, out, backend_results, NULL);
	put_family(out, "xlb_backend_check_latency_seconds", "histogram",
		   "Latency of successful health-check probes (P50, P99: "
		   "histogram_quantile).");
	for_each_backend(vips, out, backend_latency, NULL);
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

static void render_reasons(json_object *reasons, FILE *out)
{
	struct label l[2];

	put_family(out, "xlb_packets_total", "counter",
		   "Packets seen by the data path, by verdict (action) and "
		   "reason, summed over CPUs.");
	json_object_object_foreach(reasons, name, val)
	{
		const char *action = verdict_action(name);

		if (!action || !get_num(reasons, name))
			continue;
		l[0] = (struct label){ "action", action };
		l[1] = (struct label){ "reason", name };
		put_series(out, "xlb_packets_total", l, 2);
		put_value(out, val, 1.0);
	}
	put_family(out, "xlb_flow_events_total", "counter",
		   "Connection-table events: hit, miss, reschedule, ... summed "
		   "over CPUs.");
	json_object_object_foreach(reasons, fname, fval)
	{
		if (strncmp(fname, "flow_", 5) || !get_num(reasons, fname))
			continue;
		l[0] = (struct label){ "event", fname + 5 };
		put_series(out, "xlb_flow_events_total", l, 1);
		put_value(out, fval, 1.0);
	}
	put_family(out, "xlb_datapath_events_total", "counter",
		   "Other data-path events (ICMP steered to flows, fragments), "
		   "summed over CPUs.");
	json_object_object_foreach(reasons, ename, evalue)
	{
		if (verdict_action(ename) || !strncmp(ename, "flow_", 5) ||
		    !get_num(reasons, ename))
			continue;
		l[0] = (struct label){ "event", ename };
		put_series(out, "xlb_datapath_events_total", l, 1);
		put_value(out, evalue, 1.0);
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

/* The agent's sweep of the flow table (user/state.c). */
static const struct vip_family sweep_families[] = {
	{ "xlb_flow_table_entries", "gauge",
	  "Entries in the connection table at the last sweep.", "entries" },
	{ "xlb_flow_table_idle", "gauge",
	  "Open flows idle past their timeout at the last sweep, not "
	  "counted as active.", "idle" },
	{ "xlb_flow_sweep_corrected_total", "counter",
	  "Open-flow counts the sweeps corrected (flows lost to LRU "
	  "eviction, races), summed over backends.", "drift_total" },
};

static void render_sweep(json_object *sweep, FILE *out)
{
	for (size_t f = 0; f < ARRAY_SIZE(sweep_families); f++) {
		json_object *v = get_num(sweep, sweep_families[f].key);

		if (!v)
			continue;
		put_family(out, sweep_families[f].name, sweep_families[f].type,
			   sweep_families[f].help);
		put_series(out, sweep_families[f].name, NULL, 0);
		put_value(out, v, 1.0);
	}
}

/* With a bgp: section: the speaker's process and each VIP's
 * announcement. */
static void render_bgp(json_object *bgp, FILE *out)
{
	json_object *vips = get_array(bgp, "vips"), *v;

	put_family(out, "xlb_bgp_speaker_up", "gauge",
		   "1 while the agent's BIRD speaker runs.");
	put_series(out, "xlb_bgp_speaker_up", NULL, 0);
	fprintf(out, "%d\n",
		json_object_object_get_ex(bgp, "running", &v) &&
			json_object_get_boolean(v));
	put_family(out, "xlb_bgp_vip_announced", "gauge",
		   "1 while the VIP's address is announced over BGP (a "
		   "backend up and the data path attached), else 0.");
	for (size_t i = 0; vips && i < json_object_array_length(vips); i++) {
		json_object *o = json_object_array_get_idx(vips, i);
		const char *name = get_str(o, "name"), *addr =
			get_str(o, "address");
		struct label l[] = { { "vip", name ? name : "" },
				     { "address", addr ? addr : "" } };

		put_series(out, "xlb_bgp_vip_announced", l, ARRAY_SIZE(l));
		fprintf(out, "%d\n",
			json_object_object_get_ex(o, "announced", &v) &&
				json_object_get_boolean(v));
	}
}

int metrics_render(json_object *snap, const struct metrics_info *info,
		   FILE *out)
{
	json_object *vips = get_array(snap, "vips"), *reasons, *sweep, *bgp;

	render_agent(info, out);
	render_vips(vips, out);
	render_backends(vips, out);
	if (json_object_object_get_ex(snap, "reasons", &reasons) &&
	    json_object_is_type(reasons, json_type_object))
		render_reasons(reasons, out);
	if (json_object_object_get_ex(snap, "flow_sweep", &sweep) &&
	    json_object_is_type(sweep, json_type_object))
		render_sweep(sweep, out);
	if (json_object_object_get_ex(snap, "bgp", &bgp) &&
	    json_object_is_type(bgp, json_type_object))
		render_bgp(bgp, out);
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
	json_object *snap = m->snapshot(m->arg);
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int err;

	if (!snap || json_object_object_get_ex(snap, "error", NULL)) {
		const char *why = snap ? get_str(snap, "error") : NULL;

		pr_warn("metrics: no stats snapshot: %s\n",
			why ? why : "out of memory");
		json_object_put(snap);
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "stats unavailable\n");
	}
	out = open_memstream(&buf, &len);
	if (!out) {
		json_object_put(snap);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory\n");
	}
	err = metrics_render(snap, &m->info, out);
	json_object_put(snap);
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
