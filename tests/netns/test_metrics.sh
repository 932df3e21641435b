#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prometheus metrics: the agent's /metrics after real traffic (families,
# labels, values, promtool check metrics), a real Prometheus server in the
# client namespace scraping it and answering a query through its HTTP API
# with the example alert rules loaded, the rules checked and unit-tested
# with promtool, IPv6 listening, metrics off, and a port already taken.
# Usage: test_metrics.sh BUILD_DIR
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init metrics "${1:-build}" curl
needs promtool "Debian: prometheus"
needs prometheus
METRICS4="$ROUTER4:9469"
METRICS6="[$ROUTER6]:9469"
PROM="$CLIENT4:9090"
POLL=0.5	# waits poll the agent or Prometheus with curl and python

# Prometheus runs in our namespaces: killed with them.
prom_log() {
	if [ "$FAILED" -gt 0 ] && [ -e "$TMP/prom.log" ]; then
		echo "--- prometheus log (last 10 lines)"
		tail -n 10 "$TMP/prom.log"
	fi
}
at_exit prom_log

# write_config LISTEN: be1 and be2 serve HTTP, be3 serves nothing.
write_config() {
	cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
metrics_listen: "$1"
flow_table_size: 65536
vips:
  - name: web4
    address: $VIP4
    port: $HTTP_PORT
    protocol: tcp
    health_check: { type: http, path: /healthz, interval: 100ms,
                    timeout: 100ms, rise: 1, fall: 3 }
    backends:
      - { address: $(be_addr4 1), weight: 100 }
      - { address: $(be_addr4 2), weight: 50 }
      - { address: $(be_addr4 3), weight: 100 }
  - name: web6
    address: $VIP6
    port: $HTTP_PORT
    protocol: tcp
    health_check: { type: tcp, interval: 100ms, timeout: 100ms }
    backends:
      - { address: $(be_addr6 1) }
      - { address: $(be_addr6 2) }
EOF
}

agent_stop() {
	kill "$AGENT_PID" 2>/dev/null
	wait_until 5 pid_gone "$AGENT_PID"
	AGENT_PID=
}

# scrape NS URL OUT: GET URL from namespace NS into OUT (headers in
# OUT.h); fails unless the answer is 200.
scrape() {
	local code
	code=$(in_ns "$1" curl -sg --noproxy '*' --max-time 5 -D "$3.h" \
		-o "$3" -w '%{http_code}' "$2") && [ "$code" = 200 ]
}

# value FILE SERIES: the value of one exact series line.
value() {
	awk -v s="$2" 'index($0, s " ") == 1 {print $NF; found=1; exit}
		END {exit !found}' "$1"
}

# value_gt FILE SERIES MIN
value_gt() {
	local v
	v=$(value "$1" "$2") || { echo "  missing: $2"; return 1; }
	awk -v v="$v" -v m="$3" 'BEGIN {exit !(v + 0 > m + 0)}' ||
		{ echo "  $2 = $v, want > $3"; return 1; }
}

# value_is FILE SERIES WANT
value_is() {
	local v
	v=$(value "$1" "$2") || { echo "  missing: $2"; return 1; }
	[ "$v" = "$3" ] || { echo "  $2 = $v, want $3"; return 1; }
}

# every_family_typed FILE: each sample's family has HELP and TYPE lines
# before its samples, and no family is declared twice.
every_family_typed() {
	awk '
	/^# HELP / { if (help[$3]++) { print "  HELP twice: " $3; bad = 1 } }
	/^# TYPE / { if (type[$3]++) { print "  TYPE twice: " $3; bad = 1 }
		     fam[$3] = $4 }
	/^[^#]/ {
		name = $1; sub(/\{.*/, "", name); base = name
		if (!(base in fam)) sub(/_(sum|count|bucket)$/, "", base)
		if (!(base in fam) || !(base in help)) {
			print "  no HELP/TYPE before " name; bad = 1
		}
	}
	END { exit bad }' "$1"
}

# promql QUERY: the result vector of an instant query to Prometheus,
# as "labels value" lines (python: json parsing).
promql() {
	in_ns client curl -sg --noproxy '*' --max-time 5 \
		--data-urlencode "query=$1" "http://$PROM/api/v1/query" |
		python3 -c '
import json, sys
d = json.load(sys.stdin)
if d.get("status") != "success":
    sys.exit(1)
for r in d["data"]["result"]:
    print(json.dumps(r["metric"], sort_keys=True), r["value"][1])'
}

# --- the rules, offline ----------------------------------------------------

out=$(promtool check rules docs/alerts.yml 2>&1)
check "promtool check rules docs/alerts.yml ($(tail -n 1 <<<"$out"))" \
	grep -q SUCCESS <<<"$out"
out=$(promtool test rules tests/netns/alerts_test.yml 2>&1)
check "promtool test rules: each alert fires on its scenario and not otherwise" \
	grep -q SUCCESS <<<"$out"
grep -q SUCCESS <<<"$out" || echo "$out" | tail -n 20

# --- the agent's /metrics ----------------------------------------------------

require "topology setup" topo_setup 3
require "bpffs" bpffs_mount
require "HTTP servers" http_start 1
require "HTTP servers" http_start 2
# be3 has no server: its checks fail (refused), it goes down

write_config "$METRICS4"
check "agent starts with metrics on $METRICS4" agent_start
check "the agent logs where it serves metrics" \
	grep -q "metrics: serving http://$METRICS4/metrics" "$TMP/agent.log"

check "be3 (no server) goes down" wait_true 10 'b("web4", 3)["state"] == "down"'
fetch_many 30 "http://$VIP4/" >"$TMP/fetch1"
check "30 requests through the VIP answered" \
	test "$(grep -c '^be[12]$' "$TMP/fetch1")" -eq 30

# Four connections held open across the scrape: active flows (the 30
# above closed, and the data path saw each client's FIN).
# shellcheck disable=SC2016
ip netns exec "$(ns_name client)" bash -c \
	'for i in 1 2 3 4; do exec {fd}<>"/dev/tcp/$1/80" || exit 1; done; sleep 20' \
	hold "$VIP4" &
HOLD_PID=$!
sleep 1

M="$TMP/m1"
check "GET /metrics from the lb namespace: 200" \
	scrape lb "http://$METRICS4/metrics" "$M"
check "Content-Type is the text format 0.0.4" \
	grep -qi '^content-type: text/plain; version=0.0.4' "$M.h"
out=$(promtool check metrics <"$M" 2>&1)
check "promtool check metrics: no problems${out:+ ($out)}" \
	test -z "$out"
check "every family has HELP and TYPE, each once" every_family_typed "$M"
check "every series name starts with xlb_" \
	test -z "$(grep -v '^#' "$M" | grep -v '^xlb_')"

B1="vip=\"web4\",backend=\"$(be_addr4 1)\""
B2="vip=\"web4\",backend=\"$(be_addr4 2)\""
B3="vip=\"web4\",backend=\"$(be_addr4 3)\""
check "xlb_vip_packets_total{web4} >= 30 after 30 requests" \
	value_gt "$M" 'xlb_vip_packets_total{vip="web4"}' 29
check "xlb_vip_bytes_total{web4} > 0" \
	value_gt "$M" 'xlb_vip_bytes_total{vip="web4"}' 0
check "xlb_backend_packets_total{be1} > 0" \
	value_gt "$M" "xlb_backend_packets_total{$B1}" 0
check "xlb_backend_bytes_total{be2} > 0" \
	value_gt "$M" "xlb_backend_bytes_total{$B2}" 0
check "xlb_backend_packets_total{be3, down} = 0" \
	value_is "$M" "xlb_backend_packets_total{$B3}" 0
sum_ok() {
	local vip b1 b2
	vip=$(value "$M" 'xlb_vip_packets_total{vip="web4"}')
	b1=$(value "$M" "xlb_backend_packets_total{$B1}")
	b2=$(value "$M" "xlb_backend_packets_total{$B2}")
	[ "$vip" -eq $((b1 + b2)) ] || { echo "  $vip != $b1 + $b2"; return 1; }
}
check "VIP packets = sum of its backends' packets" sum_ok
held_ok() {
	local b1 b2
	b1=$(value "$M" "xlb_backend_flows{$B1}")
	b2=$(value "$M" "xlb_backend_flows{$B2}")
	[ $((b1 + b2)) -eq 4 ] || { echo "  $b1 + $b2 != 4"; return 1; }
}
check "xlb_backend_flows: the 4 held connections, none of the 30 closed" \
	held_ok
kill "$HOLD_PID" 2>/dev/null
check "xlb_backend_weight{be2} = 50" \
	value_is "$M" "xlb_backend_weight{$B2}" 50
check "xlb_backend_effective_weight{be3, down} = 0" \
	value_is "$M" "xlb_backend_effective_weight{$B3}" 0
check "xlb_backend_state{be1,state=up} = 1" \
	value_is "$M" "xlb_backend_state{$B1,state=\"up\"}" 1
check "xlb_backend_state{be1,state=down} = 0" \
	value_is "$M" "xlb_backend_state{$B1,state=\"down\"}" 0
check "xlb_backend_state{be3,state=down} = 1" \
	value_is "$M" "xlb_backend_state{$B3,state=\"down\"}" 1
check "exactly one state is 1 per backend" \
	test "$(grep -c '^xlb_backend_state{.*} 1$' "$M")" -eq 5
check "xlb_backend_check_up{be3} = 0" \
	value_is "$M" "xlb_backend_check_up{$B3}" 0
check "xlb_backend_check_consecutive_failures{be3} >= 3" \
	value_gt "$M" "xlb_backend_check_consecutive_failures{$B3}" 2
check "xlb_backend_check_last_result{be3}: refused, http check" \
	value_is "$M" "xlb_backend_check_last_result{$B3,check=\"http\",result=\"refused\"}" 1
check "xlb_backend_check_probes_total{be1} > 0" \
	value_gt "$M" "xlb_backend_check_probes_total{$B1}" 0
check "xlb_backend_check_failures_total{be3} > 0" \
	value_gt "$M" "xlb_backend_check_failures_total{$B3}" 0
check "xlb_backend_state_transitions_total{be3} > 0" \
	value_gt "$M" "xlb_backend_state_transitions_total{$B3}" 0
check "xlb_backend_check_latency_seconds_count{be1} > 0" \
	value_gt "$M" "xlb_backend_check_latency_seconds_count{$B1}" 0
check "its +Inf bucket is its count" value_is "$M" \
	"xlb_backend_check_latency_seconds_bucket{$B1,le=\"+Inf\"}" \
	"$(value "$M" "xlb_backend_check_latency_seconds_count{$B1}")"
check "check latency is a histogram" \
	grep -q '^# TYPE xlb_backend_check_latency_seconds histogram' "$M"
check "xlb_backend_check_results_total{be3,outcome=refused} > 0" \
	value_gt "$M" "xlb_backend_check_results_total{$B3,outcome=\"refused\"}" 0
check "xlb_backend_failovers_total{be3} >= 1" \
	value_gt "$M" "xlb_backend_failovers_total{$B3}" 0
check "xlb_vip_table_rebuild_seconds_total{web4} > 0" \
	value_gt "$M" 'xlb_vip_table_rebuild_seconds_total{vip="web4"}' 0
check "xlb_vip_table_rebuilds_total{web4} > 0" \
	value_gt "$M" 'xlb_vip_table_rebuilds_total{vip="web4"}' 0
check "xlb_vip_info names address, port and protocol" \
	value_is "$M" "xlb_vip_info{vip=\"web6\",address=\"$VIP6\",port=\"$HTTP_PORT\",protocol=\"tcp\"}" 1
check "xlb_flow_events_total{event=miss} >= 30" \
	value_gt "$M" 'xlb_flow_events_total{event="miss"}' 29
check "xlb_flow_events_total{event=hit} > 0" \
	value_gt "$M" 'xlb_flow_events_total{event="hit"}' 0
check "xlb_packets_total{action=forward,reason=fwd_redirect} > 0" \
	value_gt "$M" 'xlb_packets_total{action="forward",reason="fwd_redirect"}' 0
check "xlb_packets_total has every drop reason, even at 0" \
	value_is "$M" 'xlb_packets_total{action="drop",reason="drop_no_route"}' 0
# new_reasons FILE: the reasons issue 14 added, in /metrics and xlb stats
new_reasons() {
	local r
	for r in drop_icmp_rate drop_icmp_no_flow; do
		grep -q "^xlb_packets_total{action=\"drop\",reason=\"$r\"}" "$1" &&
			xlb -j stats | python3 -c '
import json, sys
sys.exit(0 if sys.argv[1] in json.load(sys.stdin)["reasons"] else 1)' "$r" ||
			return 1
	done
}
check "new reasons (drop_icmp_rate, drop_icmp_no_flow) in /metrics and xlb stats" \
	new_reasons "$M"
check "flow events are not also packet reasons (no duplicates)" \
	test -z "$(grep '^xlb_packets_total{.*reason="flow_' "$M")"
prog=$(ip -n "$(ns_name lb)" -d link show lc0 | awk '/prog\/xdp/ {print $3}')
check "xlb_agent_info: version, program id $prog, xdp mode" \
	value_is "$M" "xlb_agent_info{version=\"$("$BUILD/xlb" version | awk '{print $2}')\",program_id=\"$prog\",xdp_mode=\"native\"}" 1

# more traffic: the counters move forward
fetch_many 10 "http://$VIP4/" >/dev/null
scrape lb "http://$METRICS4/metrics" "$TMP/m2"
more_ok() {
	local a b
	a=$(value "$M" 'xlb_vip_packets_total{vip="web4"}')
	b=$(value "$TMP/m2" 'xlb_vip_packets_total{vip="web4"}')
	[ "$b" -ge $((a + 10)) ] || { echo "  $a -> $b"; return 1; }
}
check "xlb_vip_packets_total grows with traffic (+10 requests)" more_ok

code() {
	in_ns lb curl -s --noproxy '*' --max-time 5 -o /dev/null \
		-w '%{http_code}' "$@"
}
check "GET /nope: 404" test "$(code "http://$METRICS4/nope")" = 404
check "POST /metrics: 405" \
	test "$(code -X POST -d x "http://$METRICS4/metrics")" = 405
check "HEAD /metrics: 200" test "$(code -I "http://$METRICS4/metrics")" = 200
# many scrapes at once, read slowly: the agent keeps answering its
# control socket and every scrape gets a whole page
for i in 1 2 3 4 5 6 7 8; do
	in_ns lb curl -s --noproxy '*' --max-time 10 --limit-rate 20k \
		-o "$TMP/par$i" "http://$METRICS4/metrics" &
done
answers() { xlb show >/dev/null; }
check "the control socket answers during 8 scrapes" answers
wait
par_ok() {
	for i in 1 2 3 4 5 6 7 8; do
		grep -q '^xlb_agent_start_time_seconds ' "$TMP/par$i" || return 1
	done
}
check "8 parallel scrapes all got the whole page" par_ok

# --- a real Prometheus, in the client namespace ------------------------------

cat >"$TMP/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/docs/alerts.yml
scrape_configs:
  - job_name: xlb
    static_configs:
      - targets: ["$METRICS4"]
EOF
# not through in_ns: the pid is Prometheus itself (also killed with the
# namespace)
ip netns exec "$(ns_name client)" prometheus --config.file="$TMP/prom.yml" \
	--storage.tsdb.path="$TMP/prom-data" --web.listen-address="$PROM" \
	--log.level=warn >"$TMP/prom.log" 2>&1 &
PROM_PID=$!
disown
prom_ready() {
	in_ns client curl -sf --noproxy '*' --max-time 2 \
		"http://$PROM/-/ready" >/dev/null
}
check "Prometheus starts in the client namespace" wait_until 30 prom_ready
vip_scraped() {
	promql 'xlb_vip_packets_total{vip="web4"} > 0' | grep -q web4
}
check "Prometheus scraped xlb_vip_packets_total{vip=web4} > 0 (HTTP API)" \
	wait_until 20 vip_scraped
echo "  $(promql 'xlb_vip_packets_total' | tr '\n' ' ')"
# promql_is QUERY WANT: a one-element result whose value is WANT.
promql_is() {
	local got
	got=$(promql "$1" | awk '{print $NF}')
	[ "$got" = "$2" ] || { echo "  $1 = '$got', want $2"; return 1; }
}
check "target up: up{job=xlb} = 1" promql_is 'up{job="xlb"}' 1
check "PromQL over our labels: 2 of 3 web4 backends up" \
	promql_is 'sum by (vip) (xlb_backend_state{vip="web4",state="up"})' 2
# P99 of be1's check latency, from the buckets: a number, under a second
p99_ok() {
	promql 'histogram_quantile(0.99, sum by (le) (rate(xlb_backend_check_latency_seconds_bucket{vip="web4",backend="'"$(be_addr4 1)"'"}[10s])))' |
		awk '{v = $NF} END {exit !(v > 0 && v < 1)}'
}
check "histogram_quantile(0.99) of be1's check latency (0 < P99 < 1 s)" \
	wait_until 15 p99_ok
alert_seen() {
	in_ns client curl -s --noproxy '*' --max-time 5 \
		"http://$PROM/api/v1/alerts" | python3 -c '
import json, sys
a = json.load(sys.stdin)["data"]["alerts"]
sys.exit(not any(x["labels"]["alertname"] == "XlbBackendDown" and
                 x["labels"].get("backend") == sys.argv[1] for x in a))' \
		"$(be_addr4 3)"
}
check "the example rules load and XlbBackendDown is raised for be3" \
	wait_until 15 alert_seen
rules_ok() {
	in_ns client curl -s --noproxy '*' --max-time 5 \
		"http://$PROM/api/v1/rules" | python3 -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
r = [x for grp in g for x in grp["rules"]]
sys.exit(not r or any(x["health"] != "ok" for x in r))'
}
check "every example rule evaluates without error in Prometheus" \
	wait_until 5 rules_ok
kill "$PROM_PID" 2>/dev/null

# --- IPv6, off, port taken ---------------------------------------------------

agent_stop
write_config "$METRICS6"
agent_start
ipv6_ok() {
	scrape lb "http://$METRICS6/metrics" "$TMP/m6" &&
		[ -z "$(promtool check metrics <"$TMP/m6" 2>&1)" ]
}
check "metrics over IPv6 ($METRICS6): a promtool-clean page" ipv6_ok

agent_stop
write_config ""
agent_start
check "metrics_listen \"\": the agent runs and listens on nothing" \
	test -z "$(in_ns lb ss -Hltnp | grep xlb)"

agent_stop
ip netns exec "$(ns_name lb)" python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 9469))
s.listen()
time.sleep(30)' "$ROUTER4" &
BLOCKER=$!
listening lb 9469
write_config "$METRICS4"
check "metrics port taken: the agent still starts" agent_start
check "metrics port taken: one warning, not fatal" \
	grep -q "metrics: cannot listen on $METRICS4" "$TMP/agent.log"
kill "$BLOCKER" 2>/dev/null
agent_stop
finish
