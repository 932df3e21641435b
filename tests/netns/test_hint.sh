#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The in-band hint: a client retrying its SYN on a flow the balancer
# already sent makes the agent probe that backend at once, so a silenced
# backend goes down long before its next regular probe (interval 60 s).
# Usage: test_hint.sh BUILD_DIR
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init hint "${1:-build}" python3
PORT=7000

require "topology setup" topo_setup 2
require "bpffs" bpffs_mount
# Both servers listen before the agent starts: its first probes decide
# (rise 1, fall 1), and the next come 60 s later.
ok=true
for i in 1 2; do serve "$i" "$PORT" || ok=false; done
check "echo servers listen" $ok
cat >"$TMP/xlb.yaml" <<EOF2
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
EOF2
check "agent starts and answers" agent_start
check "before: both backends up" wait_true 5 \
	'all(x["state"] == "up" for x in v("app")["backends"])'
out=$(in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 20)
check "before: 20 connections answered" grep -q '"fails": 0' <<<"$out"

# Silence be1: its link goes down, nothing answers, nothing is refused.
mark=$(wc -l <"$TMP/agent.log")
be1_down() {
	tail -n +"$((mark + 1))" "$TMP/agent.log" |
		grep -q "backend $(be_addr4 1) is down"
}
be_link_down 1
# New connections: those hashed to be1 retry their SYN after 1 s.
in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 10 --max-seconds 15 \
	>"$TMP/during" 2>&1
wait_until 10 be1_down
check "retried SYNs were seen by the data path" python3 -c '
import json, sys
sys.exit(json.load(sys.stdin)["reasons"]["flow_syn_retry"] == 0)' \
	< <(xlb -j stats)
check "the hint took be1 down without waiting for the 60 s interval" \
	be1_down
out=$(in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 20)
check "after: 20 new connections answered, all by be2" \
	jtest "$out" "d['fails'] == 0 and d['counts'] == {'be2': 20}"
finish
