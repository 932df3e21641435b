#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The namespace topology the demo and the agent tests share (it sources
# lib.sh; BUILD and TMP must be set before its functions run):
#
#   client c0 ---- lc0 [lb] lb1 ---- eth0 be1    VIPs on lo, decap on eth0
#                       [lb] lb2 ---- eth0 be2    HTTP server on :80
#                       ...  lbN ---- eth0 beN
#
# lb runs the balancer on lc0 and redirects tunnels to lbI; as the
# client's and backends' router it forwards the direct replies in its
# kernel. Point-to-point links with permanent neighbour entries.

if ! declare -F test_init >/dev/null; then
	# shellcheck source=tests/netns/lib.sh
	. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

VIP4=203.0.113.10
VIP6=2001:db8:203::10
CLIENT4=198.51.100.2
CLIENT6=2001:db8:198::2
ROUTER4=198.51.100.1
ROUTER6=2001:db8:198::1
HTTP_PORT=80

be_addr4() { echo "192.0.2.$((10 + $1))"; }
be_addr6() { echo "2001:db8:192::$((10 + $1))"; }
gw_addr4() { echo "192.0.2.$1"; }
gw_addr6() { echo "2001:db8:192::$1"; }

sysctl_ns() {
	local ns=$1
	shift
	in_ns "$ns" sysctl -qw "$@" >/dev/null
}

# neigh NS IF ADDR MAC: a permanent neighbour entry (no ARP/ND needed).
neigh() {
	ip -n "$(ns_name "$1")" neigh replace "$3" lladdr "$4" dev "$2" \
		nud permanent
}

# topo_backend I: namespace beI on link lbI, VIPs on lo, decap attached.
topo_backend() {
	local i=$1 be="be$1" lbif="lb$1" b4 b6 g4 g6
	b4=$(be_addr4 "$i")
	b6=$(be_addr6 "$i")
	g4=$(gw_addr4 "$i")
	g6=$(gw_addr6 "$i")
	ns_add "$be" && veth_pair lb "$lbif" "$be" eth0 || return 1
	ip -n "$(ns_name lb)" addr add "$g4" peer "$b4/32" dev "$lbif"
	ip -n "$(ns_name lb)" addr add "$g6" peer "$b6/128" dev "$lbif" nodad
	sysctl_ns lb "net.ipv4.conf.$lbif.rp_filter=0"
	ip -n "$(ns_name "$be")" addr add "$b4" peer "$g4/32" dev eth0
	ip -n "$(ns_name "$be")" addr add "$b6" peer "$g6/128" dev eth0 nodad
	ip -n "$(ns_name "$be")" route add default via "$g4"
	ip -n "$(ns_name "$be")" -6 route add default via "$g6"
	# the VIPs: local, never announced
	ip -n "$(ns_name "$be")" addr add "$VIP4/32" dev lo
	ip -n "$(ns_name "$be")" addr add "$VIP6/128" dev lo nodad
	sysctl_ns "$be" net.ipv4.conf.all.arp_ignore=1 \
		net.ipv4.conf.all.arp_announce=2 \
		net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0
	neigh lb "$lbif" "$b4" "$(mac_of "$be" eth0)"
	neigh lb "$lbif" "$b6" "$(mac_of "$be" eth0)"
	neigh "$be" eth0 "$g4" "$(mac_of lb "$lbif")"
	neigh "$be" eth0 "$g6" "$(mac_of lb "$lbif")"
	# decap also gives eth0 the XDP program a veth needs to take
	# redirected frames
	in_ns "$be" "$BUILD/xlb" decap attach dev eth0 addr "$b4" addr "$b6" \
		mode native
}

# topo_setup N: client, lb and N backends.
topo_setup() {
	local n=$1 i
	ns_add client && ns_add lb || return 1
	veth_pair client c0 lb lc0 || return 1
	ip -n "$(ns_name client)" addr add "$CLIENT4/24" dev c0
	ip -n "$(ns_name client)" addr add "$CLIENT6/64" dev c0 nodad
	ip -n "$(ns_name client)" route add default via "$ROUTER4"
	ip -n "$(ns_name client)" -6 route add default via "$ROUTER6"
	ip -n "$(ns_name lb)" addr add "$ROUTER4/24" dev lc0
	ip -n "$(ns_name lb)" addr add "$ROUTER6/64" dev lc0 nodad
	sysctl_ns lb net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.lc0.rp_filter=0
	neigh client c0 "$ROUTER4" "$(mac_of lb lc0)"
	neigh client c0 "$ROUTER6" "$(mac_of lb lc0)"
	neigh lb lc0 "$CLIENT4" "$(mac_of client c0)"
	neigh lb lc0 "$CLIENT6" "$(mac_of client c0)"
	for ((i = 1; i <= n; i++)); do
		topo_backend "$i" || return 1
	done
	# A veth leaves the TCP checksum to "hardware"; a frame the balancer
	# redirects loses that note and arrives with a partial checksum. A
	# real client's NIC sends complete checksums: so does this one.
	in_ns client ethtool -K c0 tx off >/dev/null || return 1
	# the balancer may XDP_TX toward the client (ICMP too-big)
	in_ns client "$BUILD/xlb" decap attach dev c0 addr "$CLIENT4" \
		mode native
}

# http_start I: an HTTP server in beI answering with "beI" (and
# /healthz), its request log in $TMP/httpI.log (appended to: it may be
# emptied meanwhile), its pid in HTTP_PID[I]; returns once it listens.
declare -a HTTP_PID
http_start() {
	local i=$1 dir="$TMP/www$1"
	mkdir -p "$dir"
	echo "be$i" >"$dir/index.html"
	echo ok >"$dir/healthz"
	# not through in_ns: $! must be the server itself (ip execs it)
	ip netns exec "$(ns_name "be$i")" python3 -m http.server --bind :: \
		--directory "$dir" "$HTTP_PORT" >>"$TMP/http$i.log" 2>&1 &
	HTTP_PID[i]=$!
	disown	# killed on purpose later: no job-control chatter
	listening "be$i" "$HTTP_PORT" && return 0
	echo "be$i: HTTP server did not start" >&2
	return 1
}

http_stop() {
	kill -9 "${HTTP_PID[$1]}" 2>/dev/null
}

# fetch_many N URL: N HTTP GETs from the client, each on a new connection
# (new source port, so a new flow); prints one body (or "FAIL") a line.
fetch_many() {
	local n=$1 url=$2 i
	for ((i = 0; i < n; i++)); do
		in_ns client curl -s --max-time 2 --noproxy '*' "$url" ||
			echo FAIL
	done
}

# be_link_down I: silences beI: its link goes down, so nothing reaches it
# and nothing it sends leaves: no RST, no ICMP, probes just time out.
be_link_down() {
	ip -n "$(ns_name "be$1")" link set eth0 down
}

# be_link_up I: undoes be_link_down. A link going down takes its IPv4
# routes, IPv6 addresses and neighbour entries with it: they come back.
be_link_up() {
	local i=$1 be="be$1" mac
	mac=$(mac_of lb "lb$i")
	ip -n "$(ns_name "$be")" link set eth0 up || return 1
	ip -n "$(ns_name "$be")" addr replace "$(be_addr6 "$i")" \
		peer "$(gw_addr6 "$i")/128" dev eth0 nodad
	ip -n "$(ns_name "$be")" route replace default via "$(gw_addr4 "$i")"
	ip -n "$(ns_name "$be")" -6 route replace default via "$(gw_addr6 "$i")"
	neigh "$be" eth0 "$(gw_addr4 "$i")" "$mac"
	neigh "$be" eth0 "$(gw_addr6 "$i")" "$mac"
}

# ---- the agent in lb, pinned on this run's bpffs ----

AGENT_PID=
AGENT_AT_EXIT=
xlb() { "$BUILD/xlb" -s "$TMP/xlb.sock" "$@"; }

# show_get EXPR: evaluates the Python expression EXPR on the JSON of
# `xlb -j show`, with v(VIP) = the VIP and b(VIP, I) = its backend beI;
# prints the result.
show_get() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
def v(name):
    return [x for x in d["vips"] if x["name"] == name][0]
def b(name, i):
    a = "192.0.2.%d" % (10 + i)
    return [x for x in v(name)["backends"] if x["address"] == a][0]
print(eval(sys.argv[1]))' "$1" < <(xlb -j show)
}

# show_true EXPR: show_get EXPR prints True.
show_true() { [ "$(show_get "$1" 2>/dev/null)" = True ]; }

# wait_true SECONDS EXPR: until show_get EXPR prints True.
wait_true() { wait_until "$1" show_true "$2"; }

# agent_wait: until the agent answers (bounded, 20 s).
agent_wait() { wait_until 20 xlb show; }

# agent_start: runs the agent on $TMP/xlb.yaml, logging to $TMP/agent.log
# (through the command AGENT_LOG_FILTER when set), and waits until it
# answers. Its teardown (agent_teardown) runs at exit.
agent_start() {
	# not through in_ns: $! must be the agent itself
	if [ -n "${AGENT_LOG_FILTER:-}" ]; then
		ip netns exec "$(ns_name lb)" "$BUILD/xlb" agent \
			-c "$TMP/xlb.yaml" --pin-dir "$BPFFS/xlb" \
			> >($AGENT_LOG_FILTER >>"$TMP/agent.log") 2>&1 &
	else
		ip netns exec "$(ns_name lb)" "$BUILD/xlb" agent \
			-c "$TMP/xlb.yaml" --pin-dir "$BPFFS/xlb" \
			>>"$TMP/agent.log" 2>&1 &
	fi
	AGENT_PID=$!
	disown
	[ -n "$AGENT_AT_EXIT" ] || at_exit agent_teardown
	AGENT_AT_EXIT=1
	agent_wait
}

# agent_teardown [LINES]: the agent's last LINES (AGENT_LOG_LINES, 30) of
# log if a check failed, then the agent killed and its pins and links
# removed.
agent_teardown() {
	local lines=${1:-${AGENT_LOG_LINES:-30}}
	if [ "$FAILED" -gt 0 ] && [ -e "$TMP/agent.log" ]; then
		echo "--- agent log (last $lines lines)"
		tail -n "$lines" "$TMP/agent.log"
	fi
	[ -n "$AGENT_PID" ] && kill -9 "$AGENT_PID" 2>/dev/null
	[ -n "${BPFFS:-}" ] &&
		"$BUILD/xlb" agent --detach --pin-dir "$BPFFS/xlb" >/dev/null 2>&1
}

# agent_cleanup [LINES]: an EXIT trap for scripts without test_init (the
# demo, the benches): agent_teardown, then everything this run made:
# namespaces (with what runs in them), bpffs, temporary files.
agent_cleanup() {
	agent_teardown "${1:-30}"
	ns_cleanup
	bpffs_umount
	rm -rf "$TMP"
}
