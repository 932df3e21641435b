#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Scale-out: two balancers behind a router that spreads the VIP over them
# with ECMP, each agent announcing the VIP over BGP through its BIRD:
#
#   client c0 --- r0 [router: BIRD, ECMP] br0 ---+--- eth0 lb1 (agent+BIRD)
#                                                +--- eth0 lb2 (agent+BIRD)
#                                                +--- eth0 be1..be3 (decap)
#
# Both balancers announce and split new connections; one is killed (agent
# kill -9, its interface deleted): its route is withdrawn and every
# long-lived connection it carried goes on through the other, which
# hashes it to the same backend; it comes back and takes its share again;
# one balancer whose health checks are blocked withdraws the VIP alone; a
# frozen speaker is caught by BFD. Usage: test_bgp.sh BUILD_DIR
# shellcheck source=tests/netns/lib.sh
. "$(dirname "$0")/lib.sh"
test_init bgp "${1:-build}" bird birdc nft python3
VIP=203.0.113.10
PORT=7000
CLIENT=198.51.100.2
ROUTER_UP=198.51.100.1
ROUTER=192.0.2.1
LB_ADDR=([1]=192.0.2.2 [2]=192.0.2.3)
BE_ADDR=([1]=192.0.2.11 [2]=192.0.2.12 [3]=192.0.2.13)
declare -a AGENT_PID LB_MAC

# The agents' and the router's logs if a check failed; the agents killed,
# their programs detached.
bgp_teardown() {
	local i
	if [ "$FAILED" -gt 0 ]; then
		for i in 1 2; do
			[ -e "$TMP/agent$i.log" ] || continue
			echo "--- lb$i agent log (last 25 lines)"
			tail -n 25 "$TMP/agent$i.log"
		done
		[ -e "$TMP/router.log" ] && tail -n 20 "$TMP/router.log"
	fi
	for i in 1 2; do
		[ -n "${AGENT_PID[i]:-}" ] && kill -9 "${AGENT_PID[i]}" 2>/dev/null
		[ -n "${BPFFS:-}" ] && "$BUILD/xlb" agent --detach \
			--pin-dir "$BPFFS/lb$i" >/dev/null 2>&1
	done
}
at_exit bgp_teardown

xlb_on() { local i=$1; shift; "$BUILD/xlb" -s "$TMP/lb$i.sock" "$@"; }

# lb_link I: lbI's interface on the router's bridge (again, after it was
# deleted), with its address.
lb_link() {
	local i=$1
	veth_pair "lb$i" eth0 router "plb$i" || return 1
	# the same host coming back: the same MAC (the neighbours' ARP
	# caches still hold it)
	if [ -n "${LB_MAC[i]:-}" ]; then
		ip -n "$(ns_name "lb$i")" link set eth0 address "${LB_MAC[i]}"
	else
		LB_MAC[i]=$(mac_of "lb$i" eth0)
	fi
	ip -n "$(ns_name router)" link set "plb$i" master br0
	# A veth takes the frames its peer sends with XDP_TX only when it
	# runs an XDP program itself: decap, which passes all this traffic.
	in_ns router "$BUILD/xlb" decap attach dev "plb$i" addr "$ROUTER" \
		mode native >/dev/null || return 1
	ip -n "$(ns_name "lb$i")" addr add "${LB_ADDR[i]}/24" dev eth0
	for b in 1 2 3; do
		ip -n "$(ns_name "lb$i")" neigh replace "${BE_ADDR[b]}" \
			lladdr "$(mac_of "be$b" eth0)" dev eth0 nud permanent
	done
}

topology() {
	local i
	for n in client router lb1 lb2 be1 be2 be3; do
		ns_add "$n" || return 1
	done
	ip -n "$(ns_name router)" link add br0 type bridge || return 1
	ip -n "$(ns_name router)" link set br0 up
	ip -n "$(ns_name router)" addr add "$ROUTER/24" dev br0
	veth_pair client c0 router r0 || return 1
	ip -n "$(ns_name client)" addr add "$CLIENT/24" dev c0
	ip -n "$(ns_name client)" route add default via "$ROUTER_UP"
	ip -n "$(ns_name router)" addr add "$ROUTER_UP/24" dev r0
	# ECMP by the 5-tuple: connections from many ports take both paths
	in_ns router sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	for i in 1 2 3; do
		veth_pair "be$i" eth0 router "pbe$i" || return 1
		ip -n "$(ns_name router)" link set "pbe$i" master br0
		ip -n "$(ns_name "be$i")" addr add "${BE_ADDR[i]}/24" dev eth0
		ip -n "$(ns_name "be$i")" route add default via "$ROUTER"
		ip -n "$(ns_name "be$i")" addr add "$VIP/32" dev lo
		in_ns "be$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0
		in_ns "be$i" "$BUILD/xlb" decap attach dev eth0 \
			addr "${BE_ADDR[i]}" mode native >/dev/null || return 1
	done
	for i in 1 2; do
		lb_link "$i" || return 1
		# bpf_fib_lookup answers only where forwarding is on
		in_ns "lb$i" sysctl -qw net.ipv4.ip_forward=1 \
			net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
	done
	# the client's NIC computes its checksums (see topology.sh)
	in_ns client ethtool -K c0 tx off >/dev/null
}

# The router: BGP with both balancers, routes merged into one ECMP route
# in its kernel; BFD with lb1 (a frozen lb1 is noticed in a fraction of a
# second), the hold time alone with lb2.
router_start() {
	cat >"$TMP/router.conf" <<EOF
log stderr all;
router id $ROUTER;
protocol device { scan time 10; }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
protocol bfd { interface "*" { interval 100 ms; multiplier 3; }; }
template bgp balancer {
	local $ROUTER as 65000;
	hold time 3;
	connect delay time 1;
	connect retry time 1;
	error wait time 1, 10;
	ipv4 { import all; export none; };
}
protocol bgp lb1 from balancer { neighbor ${LB_ADDR[1]} as 65001; bfd on; }
protocol bgp lb2 from balancer { neighbor ${LB_ADDR[2]} as 65001; }
EOF
	ip netns exec "$(ns_name router)" bird -f -c "$TMP/router.conf" \
		-s "$TMP/router.ctl" >"$TMP/router.log" 2>&1 &
	disown
}

write_config() {
	local i=$1
	cat >"$TMP/lb$i.yaml" <<EOF
interfaces: [eth0]
xdp_mode: native
control_socket: $TMP/lb$i.sock
metrics_listen: 127.0.0.1:9469   # each balancer's own namespace
flow_table_size: 65536
hash_secret_file: $TMP/hash.key   # the same on both: the same choices
vips:
  - name: web
    address: $VIP
    port: $PORT
    protocol: tcp
    # per-host measurements would give each host its own table: a flow
    # moving between balancers must find the same backend
    weighting: static
    slow_start: off
    health_check: { type: tcp, interval: 100ms, timeout: 100ms, rise: 2, fall: 2 }
    backends:
      - { address: ${BE_ADDR[1]} }
      - { address: ${BE_ADDR[2]} }
      - { address: ${BE_ADDR[3]} }
bgp:
  local_as: 65001
  router_id: ${LB_ADDR[i]}
  hold_time: 3s
  bfd: $([ "$i" = 1 ] && echo true || echo false)
  communities: ["65001:80"]
  run_dir: $TMP/bird-lb$i
  neighbors:
    - { address: $ROUTER, as: 65000 }
EOF
}

agent_up() {
	local i=$1
	ip netns exec "$(ns_name "lb$i")" "$BUILD/xlb" agent -c "$TMP/lb$i.yaml" \
		--pin-dir "$BPFFS/lb$i" >>"$TMP/agent$i.log" 2>&1 &
	AGENT_PID[i]=$!
	disown
	wait_until 5 xlb_on "$i" show
}

# nexthops: the router's next hops for the VIP, one a line, sorted.
nexthops() {
	ip -n "$(ns_name router)" route show "$VIP" |
		grep -oE 'via [0-9.]+' | awk '{print $2}' | sort
}

# wait_nexthops WANT SECONDS: until the next hops are WANT (a space
# separated sorted list, "" for none); prints the milliseconds it took.
wait_nexthops() {
	local want=$1 t0 now
	t0=$(date +%s%N)
	while :; do
		now=$(date +%s%N)
		if [ "$(nexthops | tr '\n' ' ' | sed 's/ $//')" = "$want" ]; then
			echo $(((now - t0) / 1000000))
			return 0
		fi
		[ $((now - t0)) -gt $(($2 * 1000000000)) ] && return 1
		sleep 0.005
	done
}

# vip_packets I: packets lbI forwarded for the VIP.
vip_packets() {
	xlb_on "$1" -j stats web 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["vips"][0]["packets"])' 2>/dev/null || echo 0
}

# split_ok N: N new connections from the client are all answered, and
# each balancer forwarded a fair part of them.
split_ok() {
	local n=$1 p1 p2 out d1 d2
	p1=$(vip_packets 1)
	p2=$(vip_packets 2)
	out=$(in_ns client "$TRAFFIC" conns "$VIP" "$PORT" "$n" \
		--max-seconds 60)
	d1=$(($(vip_packets 1) - p1))
	d2=$(($(vip_packets 2) - p2))
	echo "  $n connections: $out; packets through lb1 $d1, lb2 $d2"
	python3 -c '
import json, sys
r = json.loads(sys.argv[1]); n = int(sys.argv[2])
d1, d2 = int(sys.argv[3]), int(sys.argv[4])
ok = r["fails"] == 0 and sum(r["counts"].values()) == n
# each connection is 4 to 6 packets from the client: a fair share of
# the ECMP split is at least a quarter on each side
ok = ok and min(d1, d2) >= 0.25 * (d1 + d2)
sys.exit(0 if ok else 1)' "$out" "$n" "$d1" "$d2"
}

# all_answered N: N new connections, none failed.
all_answered() {
	in_ns client "$TRAFFIC" conns "$VIP" "$PORT" "$1" --max-seconds 30 |
		grep -q '"fails": 0'
}

# ll_start TAG: 16 long-lived connections from the client (a numbered
# line each way every 20 ms, every byte checked) until ll_stop; returns
# once they are up.
ll_start() {
	LL_OUT="$TMP/ll-$1.out"
	rm -f "$TMP/ll.stop"
	longlived "ll-$1" "$VIP" "$PORT" 16 120 --interval 0.02 \
		--stop "$TMP/ll.stop" --recv-timeout 5
}

# ll_stop WHAT: ends them; passes when every one ran clean to the end.
ll_stop() {
	touch "$TMP/ll.stop"
	wait "$LL_PID" 2>/dev/null
	if grep -q '"ok": true' "$LL_OUT"; then
		pass "long-lived connections ran clean $1 ($(tail -n 1 "$LL_OUT"))"
	else
		fail "long-lived connections ran clean $1 ($(tail -n 1 "$LL_OUT"))"
	fi
}

longlived_alive() {
	kill -0 "$LL_PID" 2>/dev/null && ! grep -q error "$LL_OUT"
}

# ---- setup ----

require "topology setup" topology
require "bpffs" bpffs_mount
# The servers listen before the agents start: a first probe refused
# would take a backend down, and the VIP with it for a moment.
ok=true
for i in 1 2 3; do serve "$i" "$PORT" || ok=false; done
check "echo servers listen" $ok
router_start
# the fleet's flow hash key: one root-only file both agents read
(umask 077 && python3 -c "import os; print(os.urandom(16).hex())" \
	>"$TMP/hash.key")
for i in 1 2; do
	write_config "$i"
	check "lb$i: agent starts" agent_up "$i"
done

# ---- 1. both announce; the router has two next hops; connections split

if ms=$(wait_nexthops "${LB_ADDR[1]} ${LB_ADDR[2]}" 20); then
	pass "ECMP route through both balancers ($((ms)) ms after start)"
else
	fail "ECMP route through both balancers: $(nexthops | tr '\n' ' ')"
fi
out=$(xlb_on 1 bgp)
while IFS= read -r line; do echo "  lb1: $line"; done <<<"$out"
check "xlb bgp: the session is established" \
	grep -q "neighbor $ROUTER .* up .*Established" <<<"$out"
check "xlb bgp: the VIP is announced" \
	grep -q "vip web $VIP: announced (3 of 3 backends up)" <<<"$out"
check "xlb bgp -j is valid JSON" \
	sh -c "'$BUILD/xlb' -s '$TMP/lb1.sock' -j bgp | python3 -m json.tool >/dev/null"
check "the router got the community 65001:80" \
	sh -c "birdc -s '$TMP/router.ctl' show route all $VIP/32 | grep -q '(65001,80)'"
d1=$(xlb_on 1 -j table web | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')
d2=$(xlb_on 2 -j table web | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')
echo "  table digests: lb1 $d1, lb2 $d2"
check "same key and backends: identical tables on both balancers" \
	test -n "$d1" -a "$d1" = "$d2"
check "the flow hash is keyed (SipHash-1-3)" \
	test "$(xlb_on 1 -j table web | python3 -c 'import json,sys; print(json.load(sys.stdin)["hash"])')" = siphash-1-3
check "new connections are split across both balancers" split_ok 200

# ---- 2. long-lived connections through both; lb1 dies abruptly

check "long-lived connections up" ll_start kill
p1=$(vip_packets 1)
p2=$(vip_packets 2)
sleep 1
p1=$(($(vip_packets 1) - p1))
p2=$(($(vip_packets 2) - p2))
echo "  long-lived: $(head -n 1 "$LL_OUT"); in 1 s lb1 forwarded $p1, lb2 $p2 packets"
check "long-lived connections flow through both balancers" \
	test "$p1" -gt 0 -a "$p2" -gt 0

kill -9 "${AGENT_PID[1]}"
AGENT_PID[1]=
ip -n "$(ns_name lb1)" link del eth0
if ms=$(wait_nexthops "${LB_ADDR[2]}" 10); then
	pass "lb1 killed: its route withdrawn in $ms ms"
	WITHDRAW_KILL_MS=$ms
else
	fail "lb1 killed: its route withdrawn: $(nexthops | tr '\n' ' ')"
fi
sleep 2
check "every long-lived connection goes on through lb2" longlived_alive
check "new connections are all answered through lb2" all_answered 50

# ---- 4. lb1 comes back: re-announces, takes its share, nothing breaks

lb_link 1
check "lb1: agent starts again" agent_up 1
if ms=$(wait_nexthops "${LB_ADDR[1]} ${LB_ADDR[2]}" 20); then
	pass "lb1 back: announced again ($ms ms after its agent answered)"
	REANNOUNCE_MS=$ms
else
	fail "lb1 back: announced again: $(nexthops | tr '\n' ' ')"
fi
sleep 1
check "long-lived connections survive lb1's return" longlived_alive
check "new connections are split across both balancers again" split_ok 200
ll_stop "through lb1's death and return"

# ---- 3. lb1's health checks blocked: lb1 alone withdraws the VIP.
# (Connections lb1 carries meanwhile are rescheduled as its backends go
# down one by one, and reset: it believes them dead.)

in_ns lb1 nft -f - <<EOF
table inet xlbtest {
	chain out {
		type filter hook output priority 0;
		ip daddr 192.0.2.0/24 tcp dport $PORT drop
	}
}
EOF
if ms=$(wait_nexthops "${LB_ADDR[2]}" 10); then
	pass "lb1's checks blocked: lb1 withdrew the VIP ($ms ms), lb2 kept it"
else
	fail "lb1's checks blocked: lb1 withdrew the VIP: $(nexthops | tr '\n' ' ')"
fi
check "xlb bgp on lb1 says why" \
	sh -c "'$BUILD/xlb' -s '$TMP/lb1.sock' bgp | grep -q 'not announced (0 of 3 backends up): no backend up'"
# metric NS LINE: lbI's /metrics has LINE
metric() {
	in_ns "$1" curl -s --max-time 2 http://127.0.0.1:9469/metrics |
		grep -qxF "$2"
}
check "lb1's /metrics: the VIP not announced" metric lb1 \
	"xlb_bgp_vip_announced{vip=\"web\",address=\"$VIP\"} 0"
check "lb2's /metrics: the VIP announced" metric lb2 \
	"xlb_bgp_vip_announced{vip=\"web\",address=\"$VIP\"} 1"
check "lb2's /metrics: the speaker up" metric lb2 "xlb_bgp_speaker_up 1"
check "lb1's data path stays attached meanwhile" \
	sh -c "ip -n '$(ns_name lb1)' link show eth0 | grep -q xdp"
in_ns lb1 nft delete table inet xlbtest
if ms=$(wait_nexthops "${LB_ADDR[1]} ${LB_ADDR[2]}" 10); then
	pass "lb1's checks pass again: announced again ($ms ms)"
else
	fail "lb1's checks pass again: announced again"
fi

# ---- the data path detached under a running agent: withdrawn

ip netns exec "$(ns_name lb1)" "$BUILD/xlb" agent --detach \
	--pin-dir "$BPFFS/lb1" >/dev/null
if ms=$(wait_nexthops "${LB_ADDR[2]}" 10); then
	pass "lb1 detached: withdrawn ($ms ms)"
else
	fail "lb1 detached: withdrawn: $(nexthops | tr '\n' ' ')"
fi
check "xlb bgp on lb1 says why" \
	sh -c "'$BUILD/xlb' -s '$TMP/lb1.sock' bgp | grep -q 'not announced (3 of 3 backends up): the data path is not attached'"
check "lb1: xlb reload attaches again" xlb_on 1 reload
if ms=$(wait_nexthops "${LB_ADDR[1]} ${LB_ADDR[2]}" 10); then
	pass "lb1 attached again: announced again ($ms ms)"
else
	fail "lb1 attached again: announced again"
fi
check "lb1's maps pinned again (a later restart adopts them)" \
	test -e "$BPFFS/lb1/maps-v1/flows"
check "new connections are all answered" all_answered 50

# ---- 5. a frozen speaker (a host that hangs): BFD (lb1) or the hold
# time (lb2) withdraws its route; its data path goes on meanwhile

# freeze I WANT_LEFT WHAT: stops lbI's BIRD until its route is gone, and
# lets it go on until it is back; prints the withdrawal time.
freeze() {
	local i=$1 pid ms
	pid=$(cat "$TMP/bird-lb$i/bird.pid")
	kill -STOP "$pid"
	if ms=$(wait_nexthops "$2" 10); then
		pass "lb$i's speaker frozen: $3 withdrew its route in $ms ms"
		echo "$ms" >"$TMP/freeze$i.ms"
	else
		fail "lb$i's speaker frozen: $3 withdrew its route"
	fi
	kill -CONT "$pid"
	if ms=$(wait_nexthops "${LB_ADDR[1]} ${LB_ADDR[2]}" 20); then
		pass "lb$i's speaker thawed: announced again ($ms ms)"
	else
		fail "lb$i's speaker thawed: announced again"
	fi
}

check "long-lived connections up again" ll_start freeze
freeze 1 "${LB_ADDR[2]}" "BFD (3 x 100 ms)"
freeze 2 "${LB_ADDR[1]}" "the hold time (3 s)"
sleep 1
check "long-lived connections survive both freezes" longlived_alive

# ---- a clean stop withdraws at once

bird2=$(cat "$TMP/bird-lb2/bird.pid")
kill -TERM "${AGENT_PID[2]}"
if ms=$(wait_nexthops "${LB_ADDR[1]}" 10); then
	pass "lb2's agent stopped cleanly: its route withdrawn in $ms ms"
else
	fail "lb2's agent stopped cleanly: its route withdrawn"
fi
wait_until 5 pid_gone "${AGENT_PID[2]}"
check "lb2's agent exited, its speaker with it" \
	sh -c "! kill -0 ${AGENT_PID[2]} 2>/dev/null && ! kill -0 $bird2 2>/dev/null"
check "lb2's BIRD removed its control socket" \
	test ! -e "$TMP/bird-lb2/bird.ctl"
AGENT_PID[2]=
sleep 1
check "long-lived connections survive on lb1 alone" longlived_alive
ll_stop "through the freezes and lb2's stop"

echo "== summary"
echo "  route withdrawn after kill -9 of a balancer's agent: ${WITHDRAW_KILL_MS:-?} ms"
echo "  route withdrawn after its speaker froze, BFD 3 x 100 ms: $(cat "$TMP/freeze1.ms" 2>/dev/null) ms"
echo "  route withdrawn after its speaker froze, hold time 3 s: $(cat "$TMP/freeze2.ms" 2>/dev/null) ms"
echo "  route back after the balancer's agent answered: ${REANNOUNCE_MS:-?} ms"
finish
