#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a client, a balancer and three HTTP backends in namespaces;
# the agent balances real requests by weight, drains one backend, loses
# another, and the traffic moves. Everything is removed on exit, Ctrl-C too.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
BUILD=$(realpath "$BUILD")
XLB_PREFIX="xlbdemo$$"
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh
# shellcheck source=tests/netns/topology.sh
. tests/netns/topology.sh

[ "$(id -u)" -eq 0 ] || { echo "make demo needs root" >&2; exit 1; }
TMP=$(mktemp -d /tmp/xlb-demo.XXXXXX)
trap agent_cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# spread N: N requests to the VIP, one connection each; counts answers.
spread() {
	fetch_many "$1" "http://$VIP4/" | sort | uniq -c |
		awk '{printf "   %-5s %4d requests\n", $2, $1}'
}

say "namespaces: client, lb, be1..be3 (HTTP servers answering their name)"
topo_setup 3 || exit 1
for i in 1 2 3; do http_start "$i" || exit 1; done
bpffs_mount || exit 1

cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
flow_table_size: 65536
hash_seed: 0x5eed
encap_source4: $(gw_addr4 1)
vips:
  - name: web
    address: $VIP4
    port: 80
    protocol: tcp
    when_all_down: drop
    health_check: { type: http, path: /healthz, interval: 200ms, timeout: 200ms, rise: 2, fall: 2 }
    backends:
      - { address: $(be_addr4 1), weight: 100 }
      - { address: $(be_addr4 2), weight: 100 }
      - { address: $(be_addr4 3), weight: 50 }
EOF
say "agent config"
cat "$TMP/xlb.yaml"

say "starting xlb agent in lb"
agent_start || exit 1
sed 's/^/   agent: /' "$TMP/agent.log"
xlb show || exit 1

say "300 requests through $VIP4 (weights 100:100:50)"
spread 300

say "drain be1: no new connections, existing ones keep going"
xlb backend drain web "$(be_addr4 1)"
spread 100

say "kill be2's HTTP server: health checks notice, traffic moves"
http_stop 2
sleep 0.5
grep -E "backend .* is (up|down)" "$TMP/agent.log" | sed 's/^/   agent: /'
spread 100

say "xlb show"
xlb show
say "xlb stats"
xlb stats | sed -n '/data path counters/,$p' | awk '$2 != 0'
say "done; removing the namespaces"
