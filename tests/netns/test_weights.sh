#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Dynamic weights with real traffic: delay, recovery and slow start.
#
# Three HTTP backends (delay_server.py, delay set per backend through a
# file) behind VIP web, HTTP checks every 100 ms, dynamic weights, no slow
# start. Steady new connections (weights_load.py) the whole time; shares of
# new flows are measured over windows: baseline, be3 delayed by 200 ms
# (its checks still pass), delay removed. VIP ramp (static weights, slow
# start 10 %, 20 s) gets be4 added mid-run; its share is measured around
# 2, 10 and 20+ s. Table rebuilds in the steady windows are counted.
# Usage: test_weights.sh BUILD_DIR
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init weights "${1:-build}" python3
SERVER="$PWD/tests/netns/delay_server.py"
LOAD="$PWD/tests/netns/weights_load.py"
WEB_PORT=80
RAMP_PORT=8080
RATE=100		# new connections a second, per VIP
DELAY_MS=200
WINDOW=8		# seconds of each web measurement window
# Waits poll xlb show every 0.5 s, seldom: every poll costs CPU, which the
# health checks see as latency.
POLL=0.5
declare -a BG_PIDS

# The load, the snapshots and the servers stop at exit.
stop_all() {
	local pid
	touch "$TMP/stop"
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
}
at_exit stop_all

# Times are wall-clock milliseconds (integers, for bash arithmetic).
now() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((t / 1000)); }
# secs MS: MS as seconds with three decimals (the load log's unit).
secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }
T_START=$(now)

# elapsed: seconds since the start, one decimal.
elapsed() {
	local d=$(($(now) - T_START))
	printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

# sleep_until T: sleeps until the time T (no-op if past).
sleep_until() {
	local d=$(($1 - $(now)))
	[ "$d" -gt 0 ] && sleep "$(secs "$d")"
}

# serve_delay I PORT [DELAY_FILE]: delay_server.py "beI" in namespace beI;
# returns once it listens.
serve_delay() {
	# not through in_ns: $! must be the server itself (ip execs it)
	ip netns exec "$(ns_name "be$1")" python3 "$SERVER" "be$1" "$2" ${3:+"$3"} \
		>"$TMP/serve$1-$2.log" 2>&1 &
	BG_PIDS+=($!)
	disown
	listening "be$1" "$2"
}

write_config() {
	cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
metrics_listen: ""
flow_table_size: 65536
hash_seed: 0x5eed
vips:
  - name: web
    address: $VIP4
    port: $WEB_PORT
    protocol: tcp
    weighting: dynamic
    slow_start: off
    health_check: &check
      { type: http, path: /healthz, interval: 100ms, timeout: 1s }
    backends:
      - { address: $(be_addr4 1), weight: 100 }
      - { address: $(be_addr4 2), weight: 100 }
      - { address: $(be_addr4 3), weight: 100 }
  - name: ramp
    address: $VIP4
    port: $RAMP_PORT
    protocol: tcp
    weighting: static  # the ramp alone, without latency noise
    slow_start: { initial: 10%, window: 20s }
    health_check: *check
    backends:
      - { address: $(be_addr4 1), weight: 100 }
      - { address: $(be_addr4 2), weight: 100 }
EOF
}

# shares LOG FROM TO: JSON counts of the connections started in [FROM, TO).
shares() { python3 "$LOAD" shares "$@"; }

# per_min COUNT MS: COUNT per minute, one decimal.
per_min() {
	local x=$(($1 * 600000 / $2))
	printf '%d.%d' $((x / 10)) $((x % 10))
}

# weights VIP I...: "beI 100.0 (why) | ..." for backends beI of VIP.
weights() {
	local vip=$1
	shift
	show_get "\" | \".join(\"be%d %.1f (%s)\" % (i, b(\"$vip\", i)[\"effective_weight\"], b(\"$vip\", i)[\"weight_why\"]) for i in ($(IFS=,; echo "$*"),))"
}

# window NAME SECONDS: measures web's shares over SECONDS of steady load;
# sets W_JSON (shares), W_REBUILDS (table rebuilds) and W_SECS.
window() {
	local t1 t2 r1 r2
	r1=$(show_get 'v("web")["rebuilds"]')
	t1=$(now)
	sleep "$2"
	t2=$(now)
	r2=$(show_get 'v("web")["rebuilds"]')
	sleep 0.5	# let the last connections of the window finish
	W_JSON=$(shares "$TMP/web.log" "$(secs "$t1")" "$(secs "$t2")")
	W_REBUILDS=$((r2 - r1))
	echo "  $1 shares: $(fmt "$W_JSON")"
	echo "  $1 effective weights: $(weights web 1 2 3)"
	echo "  $1 table rebuilds (web): $W_REBUILDS in $(secs $((t2 - t1)))s = $(per_min "$W_REBUILDS" $((t2 - t1)))/min"
	STEADY_REBUILDS=$((STEADY_REBUILDS + W_REBUILDS))
	STEADY_MS=$((STEADY_MS + t2 - t1))
}
STEADY_REBUILDS=0
STEADY_MS=0

require "topology setup" topo_setup 4
require "bpffs" bpffs_mount
# every new connection a new 4-tuple: no source port reused in the run
sysctl_ns client net.ipv4.ip_local_port_range="1024 65535"
ok=true
for i in 1 2 3; do
	echo 0 >"$TMP/delay-be$i"
	serve_delay "$i" "$WEB_PORT" "$TMP/delay-be$i" || ok=false
done
for i in 1 2 4; do
	serve_delay "$i" "$RAMP_PORT" || ok=false
done
check "delay servers listen" $ok

write_config
check "agent starts and answers" agent_start
check "all backends up, with check latencies" wait_true 10 \
	'all(b(n, i)["state"] == "up" and b(n, i)["health"].get("latency_ewma_us", 0) > 0 for n, ids in (("web", (1, 2, 3)), ("ramp", (1, 2))) for i in ids)'
echo "  agent up at $(elapsed)s"

# Steady new connections to both VIPs, bounded in time, the whole test.
for vip in web ramp; do
	port=$WEB_PORT
	[ "$vip" = ramp ] && port=$RAMP_PORT
	ip netns exec "$(ns_name client)" python3 "$LOAD" load "$VIP4" "$port" \
		"$TMP/$vip.log" --rate "$RATE" --duration 150 --stop "$TMP/stop" \
		>"$TMP/load-$vip.out" 2>&1 &
	BG_PIDS+=($!)
	disown
done
# A snapshot of `xlb -j show` every second (time in seconds, then the JSON
# on one line).
record() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ -e "$TMP/stop" ] && break
		printf '%s %s\n' "$(secs "$(now)")" "$(xlb -j show | tr -d '\n')"
		sleep 1
	done >"$TMP/snaps"
}
record &
BG_PIDS+=($!)
disown
sleep 2

# (0) Baseline: equal latencies, equal shares.
echo "== baseline (no delay)"
window baseline $((WINDOW + 4))
BASE_JSON=$W_JSON
check "baseline: connections answered, none failed" \
	jtest "$BASE_JSON" 'not d["fails"] and d["total"] >= 100'
for i in 1 2 3; do
	check "baseline: be$i within 10 points of 33.3% ($(pct "$BASE_JSON" "be$i")%)" \
		within "$(pct "$BASE_JSON" "be$i")" 33.3 10
done

# (1) be3 answers everything 200 ms late: its checks pass, it loses flows.
echo "== be3 delayed by ${DELAY_MS} ms"
fails_before=$(show_get 'b("web", 3)["health"]["failures"]')
echo "$DELAY_MS" >"$TMP/delay-be3"
t_delay=$(now)
if wait_true 30 'b("web", 3)["effective_weight"] < 0.5 * min(b("web", 1)["effective_weight"], b("web", 2)["effective_weight"])'; then
	pass "delay: be3's effective weight fell below half of the others' in ${WAITED}s"
else
	fail "delay: be3's effective weight did not fall below half of the others' in 30s"
fi
echo "  effective weights after ${WAITED}s: $(weights web 1 2 3)"
# let the smoothed scores settle: be3 near its floor (10) before measuring
wait_true 12 'b("web", 3)["effective_weight"] <= 25'
echo "  be3's effective weight $(show_get '"%.1f" % b("web", 3)["effective_weight"]') ${WAITED}s later"

# (3) Slow start, alongside: be4 joins ramp once be1 and be2 ended theirs.
check "ramp: the initial backends finished their slow start" wait_true 25 \
	'b("ramp", 1)["slow_start"] >= 1 and b("ramp", 2)["slow_start"] >= 1'
S=$(now)
check "ramp: be4 added mid-run (xlb backend add ramp $(be_addr4 4) weight 100)" \
	xlb backend add ramp "$(be_addr4 4)" weight 100
echo "  be4 added at $(elapsed)s"

window "delayed" "$WINDOW"
DELAY_JSON=$W_JSON
d3=$(pct "$DELAY_JSON" be3)
check "delay: be3's share of new flows ($d3%) < half its base share (16.7%)" \
	cmp_f "$d3" '<' 16.7
check "delay: be3's share ($d3%) < be1's ($(pct "$DELAY_JSON" be1)%) and be2's ($(pct "$DELAY_JSON" be2)%)" \
	jtest "$DELAY_JSON" 'd["counts"].get("be3", 0) < min(d["counts"].get("be1", 0), d["counts"].get("be2", 0))'
check "delay: be3's effective weight < the others' in xlb show" \
	show_true 'b("web", 3)["effective_weight"] < min(b("web", 1)["effective_weight"], b("web", 2)["effective_weight"])'
check "delay: no new connection failed" \
	jtest "$DELAY_JSON" 'not d["fails"]'
lat3=$(show_get 'b("web", 3)["health"]["latency_ewma_us"] / 1000')
fails_after=$(show_get 'b("web", 3)["health"]["failures"]')
check "delay: be3's checks still pass (up, latency EWMA ${lat3} ms, $((fails_after - fails_before)) failed probes)" \
	test "$(show_get 'b("web", 3)["state"]')" = up -a "$fails_after" -eq "$fails_before"
# up in every snapshot since the delay started
check "delay: be3 stayed up in every snapshot" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    t, _, j = line.partition(" ")
    if float(t) < float(sys.argv[2]) or not j.strip():
        continue
    d = json.loads(j)
    for v in d["vips"]:
        for b in v["backends"]:
            if v["name"] == "web" and b["address"] == "192.0.2.13" and b["state"] != "up":
                sys.exit(1)' "$TMP/snaps" "$(secs "$t_delay")"

# (2) The delay is removed: be3's share comes back.
echo "== be3's delay removed"
echo 0 >"$TMP/delay-be3"
# (relative to the others: their weights follow their own latency, up to
# twice their base)
if wait_true 40 'b("web", 3)["effective_weight"] >= 0.8 * (b("web", 1)["effective_weight"] + b("web", 2)["effective_weight"]) / 2'; then
	pass "recovery: be3's effective weight back to >= 80% of the others' in ${WAITED}s"
else
	fail "recovery: be3's effective weight not back to 80% of the others' in 40s"
fi
echo "  effective weights: $(weights web 1 2 3)"
sleep 3	# the table follows within two recomputes and the rebuild limit
window "recovered" "$WINDOW"
REC_JSON=$W_JSON
r3=$(pct "$REC_JSON" be3)
check "recovery: be3's share ($r3%) within 8 points of its base share (33.3%)" \
	within "$r3" 33.3 8
check "recovery: no new connection failed" \
	jtest "$REC_JSON" 'not d["fails"]'

# Slow start windows: around 2 s, 10 s and 20+ s after be4 was added (the
# last from 23 s: the table follows the ramp's end within two recomputes
# and the rebuild limit).
echo "== ramp: be4 added mid-run, slow start 10% over 20 s"
sleep_until $((S + 28500))
touch "$TMP/stop"
ramp_ok=true
prev=-1
ramp_shares=()
for w in "500 3500" "8500 11500" "23000 28000"; do
	read -r a z <<<"$w"
	from=$(secs $((S + a)))
	to=$(secs $((S + z)))
	j=$(shares "$TMP/ramp.log" "$from" "$to")
	s4=$(pct "$j" be4)
	# slow start progress and be4's weight in the snapshot nearest the middle
	mid=$(python3 -c 'import sys; print((float(sys.argv[1]) + float(sys.argv[2])) / 2)' "$from" "$to")
	snap=$(python3 -c '
import json, sys
best = None
for line in open(sys.argv[1]):
    t, _, j = line.partition(" ")
    if j.strip() and (best is None or abs(float(t) - float(sys.argv[2])) < best[0]):
        best = (abs(float(t) - float(sys.argv[2])), j)
d = json.loads(best[1])
b = [b for v in d["vips"] if v["name"] == "ramp" for b in v["backends"] if b["address"] == "192.0.2.14"][0]
print("slow start %.0f%%, effective weight %.1f" % (100 * b["slow_start"], b["effective_weight"]))' "$TMP/snaps" "$mid")
	echo "  t=$(secs "$a")-$(secs "$z")s: be4 ${s4}% [$(fmt "$j")]; $snap"
	ramp_shares+=("$s4")
	cmp_f "$s4" '>' "$prev" || ramp_ok=false
	prev=$s4
done
check "ramp: be4's share increases (${ramp_shares[*]} %)" $ramp_ok
check "ramp: be4 starts low (${ramp_shares[0]}% < 20%)" cmp_f "${ramp_shares[0]}" '<' 20
check "ramp: be4 ends within 8 points of its base share 33.3% (${ramp_shares[2]}%)" \
	within "${ramp_shares[2]}" 33.3 8
echo "  ramp effective weights now: $(weights ramp 1 2 4)"
echo "  ramp table now: $(xlb table ramp | tr '\n' ' ')"
echo "  ramp table rebuilds (whole run): $(show_get 'v("ramp")["rebuilds"]')"

echo "== summary"
echo "  web shares, baseline:  $(fmt "$BASE_JSON")"
echo "  web shares, delayed:   $(fmt "$DELAY_JSON")"
echo "  web shares, recovered: $(fmt "$REC_JSON")"
echo "  ramp be4 share at 0.5-3.5 s, 8.5-11.5 s, 23-28 s after its add: ${ramp_shares[*]} (%)"
echo "  web table rebuilds in the steady windows: $STEADY_REBUILDS in $(secs "$STEADY_MS")s = $(per_min "$STEADY_REBUILDS" "$STEADY_MS")/min"
echo "  web table rebuilds, whole run: $(show_get 'v("web")["rebuilds"]')"
echo "  runtime $(elapsed)s"
finish
