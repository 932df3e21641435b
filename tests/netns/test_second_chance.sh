#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Second chance with real traffic. In lb, a balancer stand-in
# (gue_standin.py) sends what is routed to the VIPs to the first backend
# of a list, in GUE with the list; the backends run xlb decap.
#
#   client c0 ---- lc0 [lb] lb1 ---- eth0 be1    VIPs on lo, decap on eth0,
#                  xlbgue  lb2 ---- eth0 be2    echo servers on :7000
#                  (TUN)   lb3 ---- eth0 be3
#
# Long-lived connections (IPv4 and IPv6, every byte checked) are made
# while the list is [be2]; then it becomes [be1, be2, be3], as after a
# table change: be1 has a listener only for them and sends them on to
# be2, which finds theirs; new connections land on be1 and stay there; UDP
# stays on be1. be1 with forwarding off sends them back the way they came
# (to lb, which routes them). [be1, be3, be2]: two hops, be2 the last.
# Then the real balancer (the agent in lb, forwarding: gue): a backend its
# health checks see down while its server still serves keeps every
# connection through the others. No byte is lost or changed, and the
# counters of each backend say what happened.
# Usage: test_second_chance.sh BUILD_DIR
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init second_chance "${1:-build}" python3 ethtool nft

PORT=7000
LISTS=$TMP/lists.json
STANDIN=$(realpath "$(dirname "$0")/gue_standin.py")
CONNS=8		# long-lived connections per family
B4=("" "$(be_addr4 1)" "$(be_addr4 2)" "$(be_addr4 3)")
B6=("" "$(be_addr6 1)" "$(be_addr6 2)" "$(be_addr6 3)")

[ -x "$BUILD/xlb" ] || { fail "missing $BUILD/xlb (run make)"; finish; exit 1; }

# lists I...: the stand-in sends to beI..., in that order.
lists() {
	local i l4="" l6=""
	for i in "$@"; do
		l4+="${l4:+, }\"${B4[i]}\""
		l6+="${l6:+, }\"${B6[i]}\""
	done
	echo "{\"4\": [$l4], \"6\": [$l6]}" >"$LISTS.new" &&
		mv "$LISTS.new" "$LISTS"
	sleep 0.3	# the stand-in reads it within 0.1 s
}

setup() {
	local i
	topo_setup 3 || return 1
	# GUE with three IPv6 addresses adds 104 bytes: the client's
	# packets leave room for it on the 1500-byte links
	ip -n "$(ns_name client)" link set c0 mtu 1300 || return 1
	# the stand-in's TUN, where lb routes the VIPs
	ip -n "$(ns_name lb)" tuntap add dev xlbgue mode tun &&
		ip -n "$(ns_name lb)" link set xlbgue up &&
		ip -n "$(ns_name lb)" route add "$VIP4/32" dev xlbgue &&
		ip -n "$(ns_name lb)" -6 route add "$VIP6/128" dev xlbgue ||
		return 1
	# a backend sends what it passes on back out eth0 with XDP_TX:
	# a veth delivers that only to a peer that runs XDP too
	in_ns lb "$BUILD/xlb" decap attach dev lb1 dev lb2 dev lb3 \
		addr "$(gw_addr4 1)" mode native || return 1
	for i in 1 2 3; do
		# the kernel's next hop for the backends' XDP
		sysctl_ns "be$i" net.ipv4.conf.eth0.forwarding=1 \
			net.ipv6.conf.eth0.forwarding=1 || return 1
		serve "$i" "$PORT" || return 1
	done
	lists 2
	# not through in_ns: $! must be the stand-in itself
	ip netns exec "$(ns_name lb)" python3 "$STANDIN" xlbgue "$LISTS" \
		>"$TMP/standin.log" 2>&1 &
	STANDIN_PID=$!
	disown
}

# counter I NAME [FILE]: beI's decap counter NAME, now or as FILE (an
# "xlb decap show" of it) had it.
counter() {
	if [ -n "${3:-}" ]; then
		awk -v n="$2" '$1 == n { print $2 }' "$3"
	else
		in_ns "be$1" "$BUILD/xlb" decap show |
			awk -v n="$2" '$1 == n { print $2 }'
	fi
}

# snap: every backend's counters, for grew and same.
snap() {
	local i
	for i in 1 2 3; do
		in_ns "be$i" "$BUILD/xlb" decap show >"$TMP/snap$i"
	done
}
grew() { [ "$(counter "$1" "$2")" -gt "$(counter "$1" "$2" "$TMP/snap$1")" ]; }
same() { [ "$(counter "$1" "$2")" -eq "$(counter "$1" "$2" "$TMP/snap$1")" ]; }

# tun_up: the stand-in has opened its TUN (the device has a carrier).
tun_up() { ip -n "$(ns_name lb)" link show xlbgue | grep -q LOWER_UP; }

# clean: no backend counted a malformed packet or dropped one.
clean() {
	local i
	for i in 1 2 3; do
		same "$i" malformed && same "$i" bad_list &&
			same "$i" drop_no_route || return 1
	done
}

# alive: both sets of long-lived connections are up and clean.
alive() {
	kill -0 "$LL4" 2>/dev/null && kill -0 "$LL6" 2>/dev/null &&
		! grep -qs error "$TMP"/ll[46].out "$TMP"/lb[46].out
}

# phase WHAT: data flows for a while, then the connections are checked.
phase() {
	sleep 1.5
	check "every long-lived connection alive and exact: $1" alive
}

require "topology setup" setup
require "the stand-in holds its TUN" wait_until 5 tun_up

# 1: the list is [be2]: GUE with one candidate
longlived ll4 "$VIP4" "$PORT" "$CONNS" 60 --interval 0.01 \
	--stop "$TMP/stop"
LL4=$LL_PID
longlived ll6 "$VIP6" "$PORT" "$CONNS" 60 --interval 0.01 \
	--stop "$TMP/stop"
LL6=$LL_PID
check "ipv4 connections all on be2" \
	jtest "$(head -n 1 "$TMP/ll4.out")" "d['backends'] == ['be2'] * $CONNS"
check "ipv6 connections all on be2" \
	jtest "$(head -n 1 "$TMP/ll6.out")" "d['backends'] == ['be2'] * $CONNS"
check "be2 took GUE with one candidate" [ "$(counter 2 gue_one)" -gt 0 ]

# 2: [be1, be2, be3]: be1 sends them on, be2 keeps them
snap
lists 1 2 3
phase "[be1, be2, be3]"
check "be1 had a listener only: sent on" grew 1 fwd_listener
check "be1 sent them by the kernel's next hop (XDP_TX)" grew 1 tx
check "be2 found the established sockets" grew 2 local_socket
check "be3 saw nothing" eval 'same 3 gue_one && same 3 local_socket &&
	same 3 local_last && same 3 fwd_listener'
out=$(in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 10)
check "new ipv4 connections land on be1 ($out)" \
	jtest "$out" "d['counts'] == {'be1': 10} and d['fails'] == 0"
out=$(in_ns client "$TRAFFIC" conns "$VIP6" "$PORT" 10)
check "new ipv6 connections land on be1 ($out)" \
	jtest "$out" "d['counts'] == {'be1': 10} and d['fails'] == 0"
check "be1: their SYNs taken, then their sockets found" \
	eval 'grew 1 local_syn && grew 1 local_socket'
out=$(in_ns client "$TRAFFIC" udp "$VIP4" "$PORT" 10)
check "UDP stays on the first candidate ($out)" \
	jtest "$out" "d['counts'] == {'be1': 10} and d['fails'] == 0"
check "be1 counted UDP as local" grew 1 local_not_tcp

# 3: be1 with forwarding off: the kernel has no next hop for XDP; back
# to the MAC the packets came from (lb, which routes them on)
sysctl_ns be1 net.ipv4.conf.eth0.forwarding=0 \
	net.ipv6.conf.eth0.forwarding=0
sleep 0.3	# what was on its way before
snap
phase "be1 forwarding off"
check "be1 sent them back the way they came" grew 1 tx_fallback
check "be1: not by the kernel's next hop" same 1 tx
sysctl_ns be1 net.ipv4.conf.eth0.forwarding=1 \
	net.ipv6.conf.eth0.forwarding=1

# 4: [be1, be3, be2]: two hops, be2 the last candidate
snap
lists 1 3 2
phase "[be1, be3, be2]"
check "be1 and be3 had a listener only: sent on" eval 'grew 1 fwd_listener &&
	grew 3 fwd_listener'
check "be2 took them as the last candidate" grew 2 local_last
check "nothing malformed, nothing dropped" clean

touch "$TMP/stop"
wait_until 5 pid_gone "$LL4"
wait_until 5 pid_gone "$LL6"
check "ipv4 connections ended clean" grep -q '"ok": true' "$TMP/ll4.out"
check "ipv6 connections ended clean" grep -q '"ok": true' "$TMP/ll6.out"

# 5: the real balancer: the agent in lb, GUE. A backend its health checks
# see down while its server still serves: each of its connections'
# packets goes to the new pick first, with it as the next candidate.
# (Until the balancer's GUE (branch i13-dp) is in this tree: skipped, and
# said so.)
if ! grep -q XLB_FORWARD_GUE bpf/xlb_abi.h; then
	echo "SKIP: through the real balancer: it has no GUE in this tree yet"
else
	kill "$STANDIN_PID"
	ip -n "$(ns_name lb)" route del "$VIP4/32" dev xlbgue
	ip -n "$(ns_name lb)" -6 route del "$VIP6/128" dev xlbgue
	{
		echo "interfaces: [lc0]"
		echo "xdp_mode: native"
		echo "control_socket: $TMP/xlb.sock"
		echo "flow_table_size: 65536"
		echo "vips:"
		for v in "web4 $VIP4 $(be_addr4 1) $(be_addr4 2) $(be_addr4 3)" \
			"web6 $VIP6 $(be_addr6 1) $(be_addr6 2) $(be_addr6 3)"; do
			read -r name vip a1 a2 a3 <<<"$v"
			echo "  - name: $name"
			echo "    address: $vip"
			echo "    port: $PORT"
			echo "    protocol: tcp"
			echo "    forwarding: gue"
			echo "    health_check: { type: tcp, interval: 100ms,"
			echo "                    timeout: 100ms, rise: 1, fall: 1 }"
			echo "    backends: [ { address: $a1 }, { address: $a2 },"
			echo "                { address: $a3 } ]"
		done
	} >"$TMP/xlb.yaml"
	require "bpffs" bpffs_mount
	require "the agent runs (forwarding: gue)" agent_start
	rm -f "$TMP/stop"
	longlived lb4 "$VIP4" "$PORT" 3 60 --each be1 be2 be3 --interval 0.01 \
		--stop "$TMP/stop"
	LL4=$LL_PID
	longlived lb6 "$VIP6" "$PORT" 3 60 --each be1 be2 be3 --interval 0.01 \
		--stop "$TMP/stop"
	LL6=$LL_PID
	check "through the balancer: 3 connections on each backend" alive
	sleep 0.5
	snap
	# be2 drops the health checks (from lb's addresses), not the clients'
	printf '%s\n' "table inet xlbhc {" "chain in {" \
		"type filter hook input priority 0;" \
		"ip saddr $(gw_addr4 2) tcp dport $PORT drop" \
		"ip6 saddr $(gw_addr6 2) tcp dport $PORT drop" "}" "}" >"$TMP/hc.nft"
	in_ns be2 nft -f "$TMP/hc.nft"
	check "be2 seen down by the balancer" wait_true 5 \
		"b('web4', 2)['state'] == 'down' and [x['state'] for x in
		 v('web6')['backends'] if x['address'] == '$(be_addr6 2)'] == ['down']"
	phase "be2 down, its server still serving"
	check "be2 took its connections as the last candidate" grew 2 local_last
	check "be1 or be3 sent them on (a listener only there)" \
		eval 'grew 1 fwd_listener || grew 3 fwd_listener'
	check "be1 and be3 kept their own (hits: one candidate)" \
		eval 'grew 1 gue_one && grew 3 gue_one'
	in_ns be2 nft delete table inet xlbhc
	touch "$TMP/stop"
	wait_until 5 pid_gone "$LL4"
	wait_until 5 pid_gone "$LL6"
	check "through the balancer: ipv4 connections ended clean" \
		grep -q '"ok": true' "$TMP/lb4.out"
	check "through the balancer: ipv6 connections ended clean" \
		grep -q '"ok": true' "$TMP/lb6.out"
fi
if [ "$FAILED" -gt 0 ]; then
	tail -n 5 "$TMP/ll4.out" "$TMP/ll6.out" "$TMP/standin.log"
	for i in 1 2 3; do
		echo "--- be$i"
		in_ns "be$i" "$BUILD/xlb" decap show
	done
fi
finish
