#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Failover with real traffic: three backends behind a TCP VIP, a steady
# stream of new connections and long-lived ones, while (1) a backend's
# server is killed, (2) another is silenced (link down), (3) both come
# back, (4) every backend goes down and one comes back. Detection times
# are printed as info lines, never asserted (make bench measures them).
# Usage: test_failover.sh BUILD_DIR
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init failover "${1:-build}" python3
export LC_ALL=C	# $EPOCHREALTIME with a decimal point
PORT=7000
STREAM_PID=
LL_PID=
AGENT_LOG_LINES=40
AGENT_LOG_FILTER=stamp	# the agent's log lines with the time they came

info() { echo "  info: $*"; }

# Each line of stdin with the wall-clock time it was read in front.
stamp() {
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done
}

# fadd A B, ms_since A B: float arithmetic on wall-clock seconds.
fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a + b }'; }
ms_since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# wait_log AFTER TEXT SECONDS: prints the stamp of the first agent log
# line after AFTER that contains TEXT; fails if none comes in time.
wait_log() {
	local t
	for ((t = 0; t < $3 * 50; t++)); do
		awk -v a="$1" -v p="$2" '$1 > a && index($0, p) { print $1; f = 1; exit }
			END { exit !f }' "$TMP/agent.log" && return 0
		sleep 0.02
	done
	return 1
}

# be_field I FIELD: FIELD of backend beI in `xlb -j stats`.
be_field() {
	xlb -j stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([b[sys.argv[2]] for v in d["vips"] for b in v["backends"]
       if b["address"] == sys.argv[1]][0])' "$(be_addr4 "$1")" "$2"
}

# reason NAME: a data-path counter by reason.
reason() {
	xlb -j stats | python3 -c '
import json, sys
print(json.load(sys.stdin)["reasons"][sys.argv[1]])' "$1"
}


# window FROM TO: the stream's connections that started at or after FROM
# and ended by TO (wall clock), as {"n", "names": {...}, "fails": {...}}.
window() {
	python3 - "$TMP/stream.out" "$1" "$2" <<'EOF'
import json, sys
names, fails, n = {}, {}, 0
lo, hi = float(sys.argv[2]), float(sys.argv[3])
for line in open(sys.argv[1]):
    try:
        t0, t1, what = json.loads(line)
    except ValueError:
        continue
    if t0 < lo or t1 > hi:
        continue
    n += 1
    d = names if what.startswith("be") else fails
    d[what] = d.get(what, 0) + 1
print(json.dumps({"n": n, "names": names, "fails": fails}))
EOF
}

# ll_broken NAME: the long-lived connections to backend NAME that broke,
# as {"n": N, "outcomes": [...], "t": [wall clock of each]}.
ll_broken() {
	python3 - "$TMP/ll.out" "$1" <<'EOF'
import json, sys
out = {"n": 0, "outcomes": [], "t": []}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("backend") == sys.argv[2] and "outcome" in r:
        out["n"] += 1
        out["outcomes"].append(r["outcome"])
        out["t"].append(r["t"])
print(json.dumps(out))
EOF
}

# ll_final NAME: the final outcome of each long-lived connection to
# backend NAME, on one line ("ok" for those still alive at the end).
ll_final() {
	python3 - "$TMP/ll.out" "$1" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
names, outcomes = lines[0]["backends"], lines[-1].get("outcomes", [])
print("".join(o + " " for n, o in zip(names, outcomes) if n == sys.argv[2]))
EOF
}

# packets_in_1s I: the packets forwarded to beI over a second of traffic.
packets_in_1s() {
	local a b
	a=$(be_field "$1" packets)
	sleep 1
	b=$(be_field "$1" packets)
	echo "  be$1 packets: $a -> $b" >&2
	echo $((b - a))
}

# counter_frozen I: none (beI was taken out of the data path).
counter_frozen() { [ "$(packets_in_1s "$1")" -eq 0 ]; }

# counter_moves I: some.
counter_moves() { [ "$(packets_in_1s "$1")" -gt 0 ]; }

# fault_checks I WHAT T_FAULT: after beI's fault (killed or silenced) at
# T_FAULT: declared down, nothing forwarded to it after a settle, the
# stream's failures stop and never name it, long-lived connections on it
# end at once (the outcomes in LL_OK) and the others carry on. Sets
# T_DOWN.
fault_checks() {
	local i=$1 what=$2 tf=$3 w lb n b
	if T_DOWN=$(wait_log "$tf" "backend $(be_addr4 "$i") is down" 5); then
		pass "be$i $what: declared down"
		info "be$i $what: down after $(ms_since "$tf" "$T_DOWN") ms"
	else
		fail "be$i $what: declared down within 5 s"
		T_DOWN=$EPOCHREALTIME
	fi
	check "be$i $what: state down in xlb show" \
		test "$(be_field "$i" state)" = down
	# settle: flows pinned to it move on their next packet
	sleep 0.3
	check "be$i $what: no packet forwarded to it after a 300 ms settle" \
		counter_frozen "$i"
	w=$(window "$(fadd "$T_DOWN" 0.3)" "$EPOCHREALTIME")
	echo "  stream from 300 ms after down: $w"
	check "be$i $what: new connections all answered, none by be$i" \
		jtest "$w" "d['n'] >= 50 and not d['fails'] and 'be$i' not in d['names']"
	w=$(window "$(fadd "$tf" -1.5)" "$(fadd "$T_DOWN" 0.3)")
	info "be$i $what: stream around the fault: $w"
	lb=$(ll_broken "be$i")
	echo "  long-lived on be$i: $lb"
	check "be$i $what: its long-lived connections ended within 2.5 s ($LL_OK)" \
		jtest "$lb" "(d['n'] == $LL_EACH and max(d['t']) - $tf < 2.5 and
			all(o in '$LL_OK'.split() for o in d['outcomes']))"
	for b in $LL_ALIVE; do
		n=$(jtest "$(ll_broken "$b")" "d['n'] == 0" && echo 0 || echo some)
		check "be$i $what: long-lived connections on $b untouched ($n broken)" \
			test "$n" = 0
	done
}

require "topology setup" topo_setup 3
require "bpffs" bpffs_mount
for i in 1 2 3; do
	serve "$i" "$PORT" || fail "server in be$i did not start"
done
cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
flow_table_size: 65536
hash_seed: 0x5eed
vips:
  - name: app
    address: $VIP4
    port: $PORT
    protocol: tcp
    when_all_down: drop
    health_check: { type: tcp, interval: 100ms, timeout: 100ms, rise: 2, fall: 3 }
    backends:
      - { address: $(be_addr4 1) }
      - { address: $(be_addr4 2) }
      - { address: $(be_addr4 3) }
EOF
check "agent starts and answers" agent_start
if [ "$FAILED" -gt 0 ]; then
	finish
	exit 1
fi

# Traffic: 100 new connections a second (1.5 s timeout each) and two
# long-lived connections to each backend (a line echoed every 20 ms).
LL_EACH=2
ip netns exec "$(ns_name client)" "$TRAFFIC" stream "$VIP4" "$PORT" 100 50 \
	--stop "$TMP/stream.stop" >"$TMP/stream.out" 2>&1 &
STREAM_PID=$!
check "long-lived connections open, $LL_EACH on each backend" \
	longlived ll "$VIP4" "$PORT" "$LL_EACH" 50 --each be1 be2 be3 \
	--keep-going --recv-timeout 3 --stop "$TMP/ll.stop"
sleep 1
w=$(window 0 "$EPOCHREALTIME")
echo "  stream before any fault: $w"
check "before: new connections answered by all three backends" \
	jtest "$w" "d['n'] >= 50 and not d['fails'] and len(d['names']) == 3"

# (1) be1's server process is killed: the held check connection closes,
# refused probes follow back to back. Its long-lived connections get the
# dying process's FIN or RST at once.
t_fault=$EPOCHREALTIME
serve_kill 1 "$PORT"
LL_OK="eof reset" LL_ALIVE="be2 be3" fault_checks 1 killed "$t_fault"

# (2) be2 is silenced: probes time out. Its long-lived connections'
# retransmissions hit flow entries pinned to a down backend, are
# rescheduled to be3, which has no such connection and resets them.
r0=$(reason flow_reschedule)
t_fault=$EPOCHREALTIME
be_link_down 2
LL_OK="reset" LL_ALIVE="be3" fault_checks 2 silenced "$t_fault"
r1=$(reason flow_reschedule)
check "be2 silenced: flows pinned to it were rescheduled ($r0 -> $r1)" \
	test "$r1" -gt "$r0"

# (3) Both come back: they rise and take new connections again.
# (Times from the start of each restore: be1's include its server's
# start-up; be2 may rise before be_link_up has put back the last route.)
t_back[1]=$EPOCHREALTIME
serve 1 "$PORT" || fail "server in be1 did not restart"
t_back[2]=$EPOCHREALTIME
be_link_up 2 || fail "be2's link did not come back"
t_up=0
what=("" "server restarted" "link back up")
for i in 1 2; do
	if t=$(wait_log "${t_back[i]}" "backend $(be_addr4 "$i") is up" 5); then
		pass "be$i back: declared up"
		info "be$i back (${what[i]}): up after $(ms_since "${t_back[i]}" "$t") ms"
		t_up=$(awk -v a="$t_up" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
	else
		fail "be$i back: declared up within 5 s"
		t_up=$EPOCHREALTIME
	fi
done
check "be1 back: packets forwarded to it again" counter_moves 1
check "be2 back: packets forwarded to it again" counter_moves 2
w=$(window "$(fadd "$t_up" 0.3)" "$EPOCHREALTIME")
echo "  stream from 300 ms after both are up: $w"
check "both back: new connections all answered, by all three backends" \
	jtest "$w" "d['n'] >= 50 and not d['fails'] and len(d['names']) == 3"
touch "$TMP/ll.stop"
wait "$LL_PID"
LL_PID=
echo "  long-lived: $(tail -n 1 "$TMP/ll.out")"
check "be3's long-lived connections lived through all of it" \
	test "$(ll_final be3)" = "$(printf 'ok %.0s' $(seq "$LL_EACH"))"

# (4) Every backend down (when_all_down: drop): connections fail. Then
# one server comes back: the VIP recovers with no operator action.
t_fault=$EPOCHREALTIME
for i in 1 2 3; do serve_kill "$i" "$PORT"; done
if t_none=$(wait_log "$t_fault" "no backend up" 5); then
	pass "all killed: the VIP has no backend up"
	info "all killed: no backend up after $(ms_since "$t_fault" "$t_none") ms"
else
	fail "all killed: the VIP has no backend up within 5 s"
	t_none=$EPOCHREALTIME
fi
d0=$(reason drop_all_down)
sleep 2.2
d1=$(reason drop_all_down)
check "all down: packets to the VIP dropped as drop_all_down ($d0 -> $d1)" \
	test "$d1" -gt "$d0"
w=$(window "$(fadd "$t_none" 0.1)" "$EPOCHREALTIME")
echo "  stream while all are down: $w"
check "all down: new connections fail meanwhile" \
	jtest "$w" "d['n'] >= 20 and not d['names']"
t_back3=$EPOCHREALTIME
serve 3 "$PORT" || fail "server in be3 did not restart"
if t_up=$(wait_log "$t_back3" "backend $(be_addr4 3) is up" 5); then
	pass "one back: be3 declared up by itself"
	info "one back (be3's server restarted): up after $(ms_since "$t_back3" "$t_up") ms"
else
	fail "one back: be3 declared up by itself within 5 s"
	t_up=$EPOCHREALTIME
fi
# at least a second of the stream, longer on a loaded host (bounded)
sleep 1
for ((i = 0; i < 20; i++)); do
	w=$(window "$(fadd "$t_up" 0.3)" "$EPOCHREALTIME")
	jtest "$w" "d['n'] >= 50" && break
	sleep 0.5
done
echo "  stream from 300 ms after be3 is up: $w"
check "one back: the VIP recovered, new connections answered by be3" \
	jtest "$w" "d['n'] >= 50 and not d['fails'] and list(d['names']) == ['be3']"

touch "$TMP/stream.stop"
wait "$STREAM_PID"
finish
