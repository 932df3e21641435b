// SPDX-License-Identifier: GPL-2.0
/* Rates per second between two "stats" answers: xlb stats --interval, and
 * what xlb top draws. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/msg.h"
#include "cli/rates.h"

/*
 * Rates are per second over the measured interval. Per backend, new
 * flows/s is the rise of its "new_flows" counter (flows opened on it:
 * new, moved to it, reopened), per VIP their sum; the
 * total over all VIPs is the data path's flow_miss counter per second
 * ("new_flows_per_s" at the top level). "flows" is the active flows now.
 */

/* A counter's rise per second; 0 when it went backwards (agent restart,
 * VIP re-added). */
static double rate(json_object *prev, json_object *cur, const char *key,
		   double secs)
{
	long long a = jnum(prev, key), b = jnum(cur, key);

	return prev && b >= a && secs > 0 ? (b - a) / secs : 0;
}

static void add_d(json_object *o, const char *key, double v)
{
	/* one decimal: rates are not that precise */
	json_object_object_add(
		o, key,
		json_object_new_double((long long)(v * 10 + 0.5) / 10.0));
}

static void add_rates(json_object *o, json_object *prev, json_object *cur,
		      long long flows, long long opened, long long prev_opened,
		      double secs)
{
	add_d(o, "packets_per_s", rate(prev, cur, "packets", secs));
	add_d(o, "bits_per_s", 8 * rate(prev, cur, "bytes", secs));
	add_d(o, "new_flows_per_s",
	      prev && opened >= prev_opened && secs > 0
		      ? (opened - prev_opened) / secs
		      : 0);
	json_object_object_add(o, "flows", json_object_new_int64(flows));
}

/* The field key of from, as it is (a string) or as an integer. */
static void copy_str(json_object *o, json_object *from, const char *key)
{
	json_object_object_add(o, key, json_object_new_string(jstr(from, key)));
}

static void copy_num(json_object *o, json_object *from, const char *key)
{
	json_object_object_add(o, key, json_object_new_int64(jnum(from, key)));
}

static json_object *backend_rates(json_object *pb, json_object *b, double secs)
{
	json_object *o = json_object_new_object(), *h = jget(b, "health");

	copy_str(o, b, "address");
	copy_str(o, b, "state");
	copy_num(o, b, "weight");
	add_d(o, "effective_weight", jdbl(b, "effective_weight"));
	add_rates(o, pb, b, jnum(b, "flows"), jnum(b, "new_flows"),
		  jnum(pb, "new_flows"), secs);
	copy_num(o, h, "latency_p50_us");
	copy_num(o, h, "latency_p99_us");
	return o;
}

static long long sum_of(json_object *bes, const char *key)
{
	long long n = 0;

	for (size_t i = 0; bes && i < json_object_array_length(bes); i++)
		n += jnum(json_object_array_get_idx(bes, i), key);
	return n;
}

static json_object *vip_rates(json_object *pv, json_object *v, double secs)
{
	json_object *o = json_object_new_object(), *arr, *bes, *pbes;

	copy_str(o, v, "name");
	copy_str(o, v, "address");
	copy_num(o, v, "port");
	copy_str(o, v, "protocol");
	bes = jget(v, "backends");
	pbes = jget(pv, "backends");
	add_rates(o, pv, v, sum_of(bes, "flows"), sum_of(bes, "new_flows"),
		  sum_of(pbes, "new_flows"), secs);
	arr = json_object_new_array();
	for (size_t i = 0; bes && i < json_object_array_length(bes); i++) {
		json_object *b = json_object_array_get_idx(bes, i);
		json_object *pb = jfind(pbes, "address", jstr(b, "address"));

		json_object_array_add(arr, backend_rates(pb, b, secs));
	}
	json_object_object_add(o, "backends", arr);
	return o;
}

json_object *rates_json(json_object *prev, json_object *cur, double secs)
{
	json_object *o = json_object_new_object(), *arr, *vips, *reasons;
	json_object *r = json_object_new_object();

	add_d(o, "interval_s", secs);
	add_d(o, "new_flows_per_s",
	      rate(jget(prev, "reasons"), jget(cur, "reasons"), "flow_miss",
		   secs));
	vips = jget(cur, "vips");
	arr = json_object_new_array();
	for (size_t i = 0; vips && i < json_object_array_length(vips); i++) {
		json_object *v = json_object_array_get_idx(vips, i);
		json_object *pv = jfind(jget(prev, "vips"), "name",
					jstr(v, "name"));

		json_object_array_add(arr, vip_rates(pv, v, secs));
	}
	json_object_object_add(o, "vips", arr);
	reasons = jget(cur, "reasons");
	if (reasons) {
		json_object_object_foreach (reasons, key, val) {
			(void)val;
			add_d(r, key,
			      rate(jget(prev, "reasons"), reasons, key, secs));
		}
	}
	json_object_object_add(o, "reasons_per_s", r);
	return o;
}

/* 1234567 -> "1.23M": a rate in at most 7 characters. */
static const char *si(double v, char *buf, size_t len)
{
	static const char units[] = " kMGTP";
	unsigned int u = 0;

	while (v >= 999.5 && u < sizeof(units) - 2) {
		v /= 1000;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.*f", v < 100 && v != (long long)v ? 1 : 0,
			 v);
	else
		snprintf(buf, len, "%.*f%c",
			 v < 10	   ? 2
			 : v < 100 ? 1
				   : 0,
			 v, units[u]);
	return buf;
}

double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int rates_sample(const char *vip, json_object **resp, double *when)
{
	json_object *req = req_new("stats");

	if (vip)
		json_object_object_add(req, "vip", json_object_new_string(vip));
	*when = monotonic_s();
	return cli_call(req, resp);
}

static void row(line_fn out, int width, const char *name, const char *state,
		const char *eff, json_object *o, json_object *h)
{
	char line[512], p[16], b[16], n[16], l50[16] = "-", l99[16] = "-";

	if (h) {
		snprintf(l50, sizeof(l50), "%.1f",
			 jnum(h, "latency_p50_us") / 1e3);
		snprintf(l99, sizeof(l99), "%.1f",
			 jnum(h, "latency_p99_us") / 1e3);
	}
	snprintf(line, sizeof(line), "%-30s %-9s %6s %9s %9s %8s %8lld %8s %8s",
		 name, state, eff, si(jdbl(o, "packets_per_s"), p, sizeof(p)),
		 si(jdbl(o, "bits_per_s"), b, sizeof(b)),
		 si(jdbl(o, "new_flows_per_s"), n, sizeof(n)), jnum(o, "flows"),
		 l50, l99);
	out(line, width);
}

void rates_print(json_object *r, line_fn out, int width)
{
	json_object *vips = jget(r, "vips");
	char line[512], eff[16], name[64], buf[16];

	snprintf(line, sizeof(line), "%-30s %-9s %6s %9s %9s %8s %8s %8s %8s",
		 "VIP / backend", "state", "eff.w", "pkts/s", "bits/s",
		 "newfl/s", "flows", "p50 ms", "p99 ms");
	out(line, width);
	for (size_t i = 0; vips && i < json_object_array_length(vips); i++) {
		json_object *v = json_object_array_get_idx(vips, i);
		json_object *bes = jget(v, "backends");

		snprintf(name, sizeof(name), "%s %s:%lld/%s", jstr(v, "name"),
			 jstr(v, "address"), jnum(v, "port"),
			 jstr(v, "protocol"));
		row(out, width, name, "", "", v, NULL);
		for (size_t j = 0; bes && j < json_object_array_length(bes);
		     j++) {
			json_object *b = json_object_array_get_idx(bes, j);

			snprintf(name, sizeof(name), "  %s",
				 jstr(b, "address"));
			snprintf(eff, sizeof(eff), "%.1f",
				 jdbl(b, "effective_weight"));
			row(out, width, name, jstr(b, "state"), eff, b, b);
		}
	}
	snprintf(line, sizeof(line), "new flows/s (data path, all VIPs): %s",
		 si(jdbl(r, "new_flows_per_s"), buf, sizeof(buf)));
	out(line, width);
}

static void plain_line(const char *line, int width)
{
	(void)width;
	printf("%s\n", line);
}

/* One interval's rates: a line of JSON with -j, else the table and the
 * data path's counters that moved. */
static void print_interval(json_object *r)
{
	json_object *reasons = jget(r, "reasons_per_s");

	if (cli.json) {
		printf("%s\n",
		       json_object_to_json_string_ext(
			       r, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	printf("rates per second over %.1f s\n", jdbl(r, "interval_s"));
	rates_print(r, plain_line, 0);
	printf("data path counters per second\n");
	json_object_object_foreach(reasons, key, val)
		if (json_object_get_double(val) > 0)
			printf("  %-22s %.1f\n", key,
			       json_object_get_double(val));
}

int stats_rates(const char *vip, double interval, long count)
{
	json_object *prev, *cur, *r;
	double t0, t1;
	int err;

	err = rates_sample(vip, &prev, &t0);
	if (err)
		return err;
	for (long n = 0; !count || n < count; n++) {
		struct timespec ts = {
			.tv_sec = (time_t)interval,
			.tv_nsec = (long)((interval - (time_t)interval) * 1e9)};

		nanosleep(&ts, NULL);
		err = rates_sample(vip, &cur, &t1);
		if (err)
			break;
		r = rates_json(prev, cur, t1 - t0);
		print_interval(r);
		fflush(stdout);
		json_object_put(r);
		json_object_put(prev);
		prev = cur;
		t0 = t1;
	}
	json_object_put(prev);
	return err;
}
