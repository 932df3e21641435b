#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-band hint: a client retrying its SYN on a flow the balancer
# already sent makes the agent probe that backend at once, so a silenced
# backend goes down long before its next regular probe (interval 60 s).
# Usage: test_hint.sh BUILD_DIR
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
BUILD=$(realpath "$BUILD")
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh
# shellcheck source=tests/netns/topology.sh
. tests/netns/topology.sh

[ "$(id -u)" -eq 0 ] || skip_test "needs root"
command -v python3 >/dev/null || skip_test "needs python3"
TMP=$(mktemp -d /tmp/xlb-hint.XXXXXX)
TRAFFIC="$PWD/tests/netns/traffic.py"
PORT=7000
trap agent_cleanup EXIT

if ! topo_setup 2 || ! bpffs_mount; then
	fail "topology setup"
	finish
	exit 1
fi
for i in 1 2; do
	ip netns exec "$(ns_name "be$i")" "$TRAFFIC" serve "be$i" "$PORT" \
		>/dev/null 2>&1 &
	disown
done
# Both listen before the agent starts: its first probes decide (rise 1,
# fall 1), and the next come 60 s later.
ok=true
for i in 1 2; do listening "be$i" "$PORT" || ok=false; done
check "echo servers listen" $ok
cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
control_socket: $TMP/xlb.sock
flow_table_size: 65536
vips:
  - name: app
    address: $VIP4
    port: $PORT
    protocol: tcp
    health_check: { type: tcp, interval: 60s, timeout: 300ms, rise: 1, fall: 1 }
    backends:
      - { address: $(be_addr4 1) }
      - { address: $(be_addr4 2) }
EOF
check "agent starts and answers" agent_start
both_up() {
	[ "$(show_get 'all(x["state"] == "up" for x in v("app")["backends"])' 2>/dev/null)" = True ]
}
for ((t = 0; t < 50; t++)); do
	both_up && break
	sleep 0.1
done
check "before: both backends up" both_up
out=$(in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 20)
check "before: 20 connections answered" grep -q '"fails": 0' <<<"$out"

# Silence be1: its link goes down, nothing answers, nothing is refused.
# (Only what the agent logs from here on counts.)
mark=$(wc -l <"$TMP/agent.log")
be1_down() {
	tail -n +"$((mark + 1))" "$TMP/agent.log" |
		grep -q "backend $(be_addr4 1) is down"
}
ip -n "$(ns_name be1)" link set eth0 down
# New connections: those hashed to be1 retry their SYN after 1 s.
in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 10 --max-seconds 15 \
	>"$TMP/during" 2>&1
for ((t = 0; t < 100; t++)); do
	be1_down && break
	sleep 0.1
done
check "retried SYNs were seen by the data path" python3 -c '
import json, sys
sys.exit(json.load(sys.stdin)["reasons"]["flow_syn_retry"] == 0)' \
	< <(xlb -j stats)
check "the hint took be1 down without waiting for the 60 s interval" \
	be1_down
out=$(in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 20)
check "after: 20 new connections answered, all by be2" \
	python3 -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(not (r["fails"] == 0 and r["counts"] == {"be2": 20}))' "$out"
finish
