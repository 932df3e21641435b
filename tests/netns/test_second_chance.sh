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
# table change: be1 has no socket for them and sends them on to be2, which
# finds theirs; new connections land on be1 and stay there; UDP stays on
# be1. be1 with forwarding off sends them back the way they came (to lb,
# which routes them). [be1, be3, be2]: two hops, be2 the last. No byte is
# lost or changed, and the counters of each backend say what happened.
# Usage: test_second_chance.sh BUILD_DIR
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init second_chance "${1:-build}" python3 ethtool

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
		! grep -q error "$TMP/ll4.out" "$TMP/ll6.out"
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
if [ "$FAILED" -gt 0 ]; then
	tail -n 5 "$TMP/ll4.out" "$TMP/ll6.out" "$TMP/standin.log"
	for i in 1 2 3; do
		echo "--- be$i"
		in_ns "be$i" "$BUILD/xlb" decap show
	done
fi
finish
