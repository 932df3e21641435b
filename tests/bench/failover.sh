#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Failover benchmark: repeated faults on backends carrying real traffic in
# namespaces, timed by xlb-failpoll from the balancer's per-backend packet
# counter; p50/p99 printed with the check settings and kept in
# docs/failover.md. Usage: tests/bench/failover.sh BUILD [TRIALS]
# (TRIALS per fault kind, default 20; the HAProxy-defaults row runs 3.)
set -u
BUILD=${1:-build}
TRIALS=${2:-20}
cd "$(dirname "$0")/../.." || exit 1
BUILD=$(realpath "$BUILD")
XLB_PREFIX="xlbfo$$"
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh
# shellcheck source=tests/netns/topology.sh
. tests/netns/topology.sh

if [ "$(id -u)" -ne 0 ]; then
	echo "the failover benchmark needs root (namespaces, BPF)" >&2
	exit 1
fi
FAILPOLL="$BUILD/tests/xlb-failpoll"
TRAFFIC="$PWD/tests/netns/traffic.py"
[ -x "$FAILPOLL" ] || { echo "$FAILPOLL missing: make bench builds it" >&2; exit 1; }
TMP=$(mktemp -d /tmp/xlb-fobench.XXXXXX)
PORT=7000
SYN_RATE=5000	# bare SYNs a second: the dense stream the timing rests on
CONN_RATE=200	# real connections a second beside them
POLL_US=100
N_SRC=16	# client source addresses the SYNs rotate over
declare -a SERVE_PID BE_ID
trap agent_cleanup EXIT

die() {
	echo "failover bench: $*" >&2
	[ -e "$TMP/agent.log" ] && tail -n 20 "$TMP/agent.log" >&2
	exit 1
}

# The measuring tools run SCHED_FIFO when they may, so that their own
# wake-ups do not blur the times; the agent runs as it would in service.
RT=()
chrt -f 1 true 2>/dev/null && RT=(chrt -f 1)

# wait_log TEXT SECONDS: waits for a new agent log line containing TEXT
# (after the line count saved in LOG_MARK).
wait_log() {
	local t
	for ((t = 0; t < $2 * 50; t++)); do
		tail -n +"$((LOG_MARK + 1))" "$TMP/agent.log" | grep -qF "$1" &&
			return 0
		sleep 0.02
	done
	return 1
}
log_mark() { LOG_MARK=$(wc -l <"$TMP/agent.log"); }

serve_start() {
	local i=$1 t
	for ((t = 0; t < 50; t++)); do
		in_ns "be$i" ss -Hltn "sport = :$PORT" | grep -q . || break
		sleep 0.05
	done
	ip netns exec "$(ns_name "be$i")" "$TRAFFIC" serve "be$i" "$PORT" \
		>>"$TMP/serve$i.log" 2>&1 &
	SERVE_PID[i]=$!
	disown
	listening "be$i" "$PORT"
}

# write_config INTERVAL TIMEOUT FALL RISE
write_config() {
	cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
flow_table_size: 262144
hash_seed: 0x5eed
vips:
  - name: app
    address: $VIP4
    port: $PORT
    protocol: tcp
    health_check: { type: tcp, interval: $1, timeout: $2, fall: $3, rise: $4 }
    backends:
      - { address: $(be_addr4 1) }
      - { address: $(be_addr4 2) }
      - { address: $(be_addr4 3) }
EOF
}

# all_up SECONDS: every backend up in xlb show.
all_up() {
	local t
	for ((t = 0; t < $1 * 10; t++)); do
		xlb -j show 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(not all(b["state"] == "up" for v in d["vips"] for b in v["backends"]))' &&
			return 0
		sleep 0.1
	done
	return 1
}

# run_kind NAME FAULT N INTERVAL TIMEOUT FALL RISE: N trials of one fault
# kind (kill or silence), victims in turn, traffic flowing throughout.
# One JSON line per trial in $TMP/NAME.jsonl.
run_kind() {
	local name=$1 fault=$2 n=$3 interval=$4 timeout=$5 fall=$6 rise=$7
	local k i tmo up_wait src out measured
	write_config "$interval" "$timeout" "$fall" "$rise"
	xlb reload >/dev/null || die "reload failed"
	all_up 15 || die "$name: backends not all up"
	# the longest a trial may take: detection is at most a few intervals
	tmo=$(awk -v i="$interval" 'BEGIN { v = i + 0; if (i ~ /ms$/) v /= 1000;
		printf "%d", (v * 6 + 3) * 1000 }')
	up_wait=$((tmo / 1000 + 5))
	rm -f "$TMP/traffic.stop"
	mapfile -t src < <(seq -f '198.51.100.%g' 20 $((20 + N_SRC - 1)))
	ip netns exec "$(ns_name client)" "$TRAFFIC" syns "$VIP4" "$PORT" \
		"$SYN_RATE" 600 --src "${src[@]}" --first "$SYN_NEXT" \
		--stop "$TMP/traffic.stop" >"$TMP/syns.out" 2>&1 &
	local syns_pid=$!
	ip netns exec "$(ns_name client)" "$TRAFFIC" stream "$VIP4" "$PORT" \
		"$CONN_RATE" 600 --stop "$TMP/traffic.stop" \
		>"$TMP/$name.stream" 2>&1 &
	local stream_pid=$!
	: >"$TMP/$name.jsonl"
	echo "$name: $n trials, check tcp interval $interval timeout $timeout fall $fall rise $rise" |
		tee -a "$TMP/trials" >&2
	for ((k = 0; k < n; k++)); do
		i=$((k % 3 + 1))
		log_mark
		local args=(-m "$MAPS/backend_stats" -B "$MAPS/backends"
			-b "${BE_ID[i]}" -l "$TMP/agent.log"
			-p "backend $(be_addr4 "$i") is down" -i "$POLL_US"
			-q 300 -t "$tmo" -w 3000)
		if [ "$fault" = kill ]; then
			args+=(kill "${SERVE_PID[i]}")
		else
			args+=(link-down "$(ns_name "be$i")" eth0)
		fi
		measured=
		if ! out=$("${RT[@]}" "$FAILPOLL" watch "${args[@]}"); then
			echo "  trial $((k + 1)) (be$i): no measurement" |
				tee -a "$TMP/trials" >&2
		else
			measured=1
			echo "$out" >>"$TMP/$name.jsonl"
			python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("  trial %2d (%s): detect %8.2f ms, fault to last packet %8.2f ms, "
      "decision to last packet %6.2f ms (flag seen %+.2f ms from the log "
      "line; %d packets to it from fault to decision, %d after)" % (
      int(sys.argv[2]), sys.argv[3], r["detect_ms"], r["e2e_ms"],
      r["after_decision_ms"], (r["flag_ns"] - r["log_ns"]) / 1e6,
      r["pkts_fault_to_decision"], r["pkts_after_decision"]))' \
				"$out" "$((k + 1))" "be$i" | tee -a "$TMP/trials" >&2
		fi
		log_mark
		if [ "$fault" = kill ]; then
			kill -9 "${SERVE_PID[i]}" 2>/dev/null
			serve_start "$i" || die "be$i: server did not restart"
		else
			be_link_up "$i" || die "be$i: link did not come back"
		fi
		if [ -n "$measured" ]; then
			wait_log "backend $(be_addr4 "$i") is up" "$up_wait" ||
				die "be$i did not come back up"
		else
			all_up "$up_wait" || die "be$i did not come back up"
		fi
	done
	touch "$TMP/traffic.stop"
	wait "$syns_pid" "$stream_pid"
	SYN_NEXT=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["next"])' \
		<"$TMP/syns.out" 2>/dev/null || echo $((SYN_NEXT + 10000000)))
}

# summary NAME LABEL CHECK: one markdown table row from NAME's trials.
summary() {
	python3 - "$TMP/$1.jsonl" "$TMP/$1.stream" "$2" "$3" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
conns = fails = 0
for l in open(sys.argv[2]):
    try:
        t0, t1, what = json.loads(l)
    except ValueError:
        continue
    conns += 1
    fails += not what.startswith("be")
def pct(key, p):
    v = sorted(r[key] for r in rows)
    return v[max(0, -(-len(v) * p // 100) - 1)]   # nearest rank
def cell(key):
    return "%.2f / %.2f" % (pct(key, 50), pct(key, 99)) if rows else "-"
after = sum(r["pkts_after_decision"] for r in rows)
rate = [r["pkts_fault_to_decision"] / r["detect_ms"] for r in rows
        if r["detect_ms"] > 0]
print("| %s | %s | %d | %s | %s | %s | %d | %.1f | %d of %d |" % (
    sys.argv[3], sys.argv[4], len(rows), cell("detect_ms"),
    cell("after_decision_ms"), cell("e2e_ms"), after,
    sorted(rate)[len(rate) // 2] if rate else 0, fails, conns))
EOF
}

# ---- set up ----
topo_setup 3 || die "topology setup failed"
bpffs_mount || die "cannot mount a bpffs"
client_mac=$(mac_of client c0)
for ((j = 20; j < 20 + N_SRC; j++)); do
	ip -n "$(ns_name client)" addr add "198.51.100.$j/24" dev c0
	neigh lb lc0 "198.51.100.$j" "$client_mac"
done
for i in 1 2 3; do
	serve_start "$i" || die "server in be$i did not start"
done
write_config 1s 500ms 3 2
MAPS="$BPFFS/xlb/maps-v1"
: >"$TMP/agent.log"
ip netns exec "$(ns_name lb)" "$BUILD/xlb" agent -c "$TMP/xlb.yaml" \
	--pin-dir "$BPFFS/xlb" > >("${RT[@]}" "$FAILPOLL" stamp >>"$TMP/agent.log") 2>&1 &
AGENT_PID=$!
disown
agent_wait
all_up 10 || die "backends not up"
for i in 1 2 3; do
	BE_ID[i]=$(xlb -j show | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([b["id"] for v in d["vips"] for b in v["backends"]
       if b["address"] == sys.argv[1]][0])' "$(be_addr4 "$i")")
done
SYN_NEXT=0

# ---- the fault kinds ----
HAPROXY_TRIALS=3
run_kind kill kill "$TRIALS" 1s 500ms 3 2
run_kind silence20 silence "$TRIALS" 20ms 20ms 3 2
run_kind haproxy silence "$HAPROXY_TRIALS" 2s 2s 3 2
hints=$(xlb -j stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["reasons"]["flow_syn_retry"])')

# ---- the table ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
out="$TMP/failover.md"
{
	echo "# xlb failover benchmark"
	echo
	echo "Generated by \`make bench\` (tests/bench/failover.sh); do not edit."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- kernel: $(uname -r) ($(uname -m))"
	echo "- CPU: ${cpu:-unknown}, $(nproc) online"
	echo "- load during the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min), other work on the host included"
	echo
	echo "Three backends behind one TCP VIP (client, balancer and backends in"
	echo "network namespaces on veth, XDP native). Traffic from the client"
	echo "throughout: $SYN_RATE bare SYNs a second from $N_SRC source addresses"
	echo "(each a new flow, answered by the backend's stack and reset by the"
	echo "client's; about a third reach each backend) and $CONN_RATE real TCP"
	echo "connections a second (connect, read the server's name, close). One"
	echo "backend at a time is faulted, in turn, then restored and waited for"
	echo "until it is up again."
	echo
	echo "Times in ms, p50 / p99 (nearest rank: with 20 trials the p99 is the"
	echo "worst trial, with 3 it is the worst of 3)."
	echo
	echo "- **detect**: fault to decision."
	echo "- **(a) decision to last packet**: from the agent's decision to the"
	echo "  last packet the balancer forwarded to that backend. Negative: the"
	echo "  last packet came before the decision was seen, i.e. nothing was"
	echo "  forwarded to it after the decision."
	echo "- **(b) fault to last packet**: end to end."
	echo
	echo "| fault | check (tcp) | trials | detect | (a) decision to last packet | (b) fault to last packet | packets after decision (all trials) | packets/ms to the victim | real connections failed |"
	echo "|---|---|---|---|---|---|---|---|---|"
	summary kill "server process killed (SIGKILL)" "interval 1s, timeout 500ms, fall 3, rise 2"
	summary silence20 "silenced (link down)" "interval 20ms, timeout 20ms, fall 3, rise 2"
	summary haproxy "silenced (link down), HAProxy's defaults, $HAPROXY_TRIALS trials only" "interval 2s, timeout 2s, fall 3, rise 2"
	echo
	echo "How it is measured (tests/tools/failpoll.c):"
	echo
	echo "- The fault is injected by the poller itself, timestamped just before"
	echo "  the call: \`kill(pid, SIGKILL)\` of the backend's server, or"
	echo "  \`SIOCSIFFLAGS\` clearing IFF_UP on the backend's eth0 (through a"
	echo "  socket opened in the backend's namespace): the backend then neither"
	echo "  answers nor refuses."
	echo "- The balancer's per-CPU \`backend_stats\` counter of the backend is"
	echo "  read from the pinned map every $POLL_US µs (CLOCK_MONOTONIC); the last"
	echo "  packet is the first poll that saw the final value (so it is late by"
	echo "  up to one poll period, and by the gap between packets to the victim:"
	echo "  see the packets/ms column)."
	echo "- The decision is the earlier of the agent's \"backend X is down\" log"
	echo "  line (its stderr read and timestamped by \`xlb-failpoll stamp\`) and the"
	echo "  first poll that saw the down flag in the pinned \`backends\` map. The"
	echo "  agent logs and then writes the map, so both come after the decision."
	echo "- A trial ends 300 ms after both the decision and the last packet."
	echo "- The poller and the log stamper run SCHED_FIFO when allowed"
	echo "  ($([ ${#RT[@]} -gt 0 ] && echo yes || echo "not in this run")); the agent at normal priority."
	echo "- Retried SYNs hinted to the agent over the run: $hints (the real"
	echo "  connections' retransmitted SYNs to a silenced backend; each makes"
	echo "  the agent probe that backend at once)."
	echo "- Everything shares the host's CPUs: when the traffic generator is"
	echo "  not scheduled, few packets reach the victim and the last one can"
	echo "  come well before the decision (see \"packets to it from fault to"
	echo "  decision\" below); such a trial bounds (a) and (b) loosely."
	echo
	echo "## Trials"
	echo
	echo "\`\`\`"
	cat "$TMP/trials"
	echo "\`\`\`"
} >"$out"
echo
cat "$out"
mkdir -p docs
cp "$out" docs/failover.md
echo "written to docs/failover.md"
