#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End to end: a client reaches an HTTP server behind a VIP through the
# balancer, and the backend answers directly (DSR): IPv4 in IPIP, IPv6 in
# IP6IP6, IPv4 in IPv6.
#
#   client c0 ---- lc0 [lb] lb1 ---- eth0 be1   VIPs on lo, decap on eth0
#                       [lb] lb2 ---- eth0 be2
#
# lb runs the balancer (XDP on lc0, redirect to lb1/lb2) and, as the
# client's and backends' router, forwards the backends' replies in its
# kernel. Usage: test_e2e.sh BUILD_DIR   (XLB_E2E_MODES="native generic")
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init e2e "${1:-build}" python3 curl ethtool

TESTLOAD=$BUILD/tests/xlb-testload
MODES=${XLB_E2E_MODES:-native generic}
CONNS=20	# connections per family and mode
DOWN_CONNS=8	# more with one backend flagged down
PORT=$HTTP_PORT
VIP46=203.0.113.11	# IPv4 VIP on IPv6 backends: 4-in-6 tunnels
BE4=("$(be_addr4 1)" "$(be_addr4 2)")
BE6=("$(be_addr6 1)" "$(be_addr6 2)")
SRC4=192.0.2.128		# outer source base, 4 host bits from the flow
SRC6=2001:db8:192::100:0

for f in "$BUILD/xlb" "$TESTLOAD"; do
	[ -x "$f" ] || { fail "missing $f (run make)"; finish; exit 1; }
done

# setup: topology.sh's client, lb and two backends, the 4-in-6 VIP on the
# backends too, an HTTP server on each.
setup() {
	local i
	topo_setup 2 || return 1
	for i in 1 2; do
		ip -n "$(ns_name "be$i")" addr add "$VIP46/32" dev lo
		http_start "$i" || return 1
	done
}

# load MODE: the balancer on lc0 with one VIP per family and a 4-in-6 one,
# each on both backends (backend ids 1-2, 3-4, 5-6).
load() {
	in_ns lb "$TESTLOAD" dev lc0 mode "$1" seed 42 flows 65536 \
		src4 "$SRC4" src6 "$SRC6" hostbits 4 tx lb1 tx lb2 \
		vip "$VIP4" "$PORT" tcp \
		backend "${BE4[0]}" 1 backend "${BE4[1]}" 1 \
		vip "$VIP6" "$PORT" tcp \
		backend "${BE6[0]}" 1 backend "${BE6[1]}" 1 \
		vip "$VIP46" "$PORT" tcp \
		backend "${BE6[0]}" 1 backend "${BE6[1]}" 1
}

# fetch VIP: one HTTP GET from the client; prints
# "CODE REMOTE_IP LOCAL_PORT BODY" (code 000 when it failed).
fetch() {
	local url
	case $1 in
	*:*) url="http://[$1]:$PORT/" ;;
	*) url="http://$1:$PORT/" ;;
	esac
	in_ns client curl -s --max-time 2 --noproxy '*' \
		-w '\n%{http_code} %{remote_ip} %{local_port}\n' "$url" \
		2>/dev/null | awk 'NR == 1 {body = $0} END {print $0, body}'
}

# http_round VIP N: N connections from the client (ephemeral source
# ports); sets OK (good answers), N1/N2 (answered by be1/be2), NPORTS
# (distinct source ports) and BAD (the first bad answer). Stops after
# three failures in a row, so a broken path fails fast.
http_round() {
	local vip=$1 n=$2 i out code ip port body miss=0 ports=""
	OK=0 N1=0 N2=0 BAD=""
	for ((i = 0; i < n && miss < 3; i++)); do
		out=$(fetch "$vip")
		read -r code ip port body <<<"$out"
		ports+="$port "
		if [ "$code" = 200 ] && [ "$ip" = "$vip" ] &&
			{ [ "$body" = be1 ] || [ "$body" = be2 ]; }; then
			OK=$((OK + 1))
			miss=0
			[ "$body" = be1 ] && N1=$((N1 + 1))
			[ "$body" = be2 ] && N2=$((N2 + 1))
		else
			miss=$((miss + 1))
			BAD=${BAD:-" (first bad answer: '$out')"}
		fi
	done
	NPORTS=$(tr ' ' '\n' <<<"$ports" | sort -u | grep -c .)
}

# run_family MODE VIP CLIENT FIRST_ID: balanced connections, then with
# be1 (backend id FIRST_ID) flagged down.
run_family() {
	local mode=$1 vip=$2 client=$3 id=$4
	: >"$TMP/http1.log"
	: >"$TMP/http2.log"
	http_round "$vip" "$CONNS"
	echo "  $mode $vip: $OK/$CONNS answered (be1 $N1, be2 $N2)," \
		"$NPORTS source ports"
	check "$mode $vip: $CONNS/$CONNS HTTP 200 through the VIP$BAD" \
		test "$OK" -eq "$CONNS"
	check "$mode $vip: both backends answered" \
		test "$N1" -gt 0 -a "$N2" -gt 0
	check "$mode $vip: every connection had its own source port" \
		test "$NPORTS" -eq "$CONNS"
	# DSR keeps the client's address: the backends saw it, not the lb's
	check "$mode $vip: backends saw the client address $client" \
		grep -qE "^(::ffff:)?${client//./\\.} " "$TMP/http1.log" \
		"$TMP/http2.log"

	# one map write takes be1 out of new flows, before any rebuild
	if in_ns lb "$TESTLOAD" down dev lc0 backend "$id"; then
		http_round "$vip" "$DOWN_CONNS"
		check "$mode $vip: be1 down, $DOWN_CONNS/$DOWN_CONNS answered by be2$BAD" \
			test "$OK" -eq "$DOWN_CONNS" -a "$N2" -eq "$DOWN_CONNS"
	else
		fail "$mode $vip: flag backend $id down"
	fi
	in_ns lb "$TESTLOAD" up dev lc0 backend "$id" ||
		fail "$mode $vip: flag backend $id up"
}

# pmtu_check MODE VIP: a request bigger than one full-size segment. With
# the tunnel header it no longer fits the backend link: the balancer
# answers ICMP frag-needed / packet-too-big and the client's TCP shrinks.
pmtu_check() {
	local mode=$1 vip=$2 url pad out
	case $vip in
	*:*) url="http://[$vip]:$PORT/" ;;
	*) url="http://$vip:$PORT/" ;;
	esac
	pad=$(printf '%*s' 4000 '' | tr ' ' x)
	out=$(in_ns client curl -s --max-time 5 --noproxy '*' -H "X-Pad: $pad" \
		-w ' %{http_code}' "$url" 2>/dev/null | tr -d '\n')
	check "$mode $vip: 4 KB request answered (path MTU learnt: '$out')" \
		grep -qE '^be[12] 200$' <<<"$out"
}

# reason_count NAME: one reason counter from "xlb-testload stats" ($STATS).
reason_count() {
	awk -v n="$1" '$1 == "reason" && $2 == n {c = $3} END {print c + 0}' \
		<<<"$STATS"
}

# drops: the sum of the drop_* reasons in $STATS.
drops() {
	awk '$1 == "reason" && $2 ~ /^drop_/ {s += $3} END {print s + 0}' \
		<<<"$STATS"
}

# idle_backends: how many backends in $STATS forwarded no packet.
idle_backends() {
	awk '$1 == "backend" {
		p = 0
		for (i = 3; i < NF; i++) if ($i == "packets") p = $(i + 1)
		if (p == 0) n++
	} END {print n + 0}' <<<"$STATS"
}

# forwarded: IPv4 + IPv6 datagrams lb's kernel has routed so far.
forwarded() {
	in_ns lb nstat -az Ip6OutForwDatagrams IpForwDatagrams |
		awk '/Forw/ {s += $2} END {print s + 0}'
}

run_mode() {
	local mode=$1 out fwd0
	if ! out=$(load "$mode" 2>&1); then
		fail "$mode: $out"
		return
	fi
	pass "$mode: balancer loaded ($out)"
	check "$mode: non-VIP traffic passes (client pings the router)" \
		in_ns client ping -c 1 -W 2 -q "$ROUTER4" >/dev/null
	fwd0=$(forwarded)
	run_family "$mode" "$VIP4" "$CLIENT4" 1
	run_family "$mode" "$VIP6" "$CLIENT6" 3
	run_family "$mode" "$VIP46" "$CLIENT4" 5
	in_ns client ip route flush cache
	in_ns client ip -6 route flush cache
	pmtu_check "$mode" "$VIP4"
	pmtu_check "$mode" "$VIP6"
	# the replies took the kernel's route through lb, never the balancer
	check "$mode: replies were routed by lb's kernel (direct return)" \
		test "$(forwarded)" -gt "$fwd0"

	STATS=$(in_ns lb "$TESTLOAD" stats dev lc0)
	echo "$STATS" | awk '$1 == "backend" || $3 != 0' | sed 's/^/  /'
	check "$mode: counters read back" test -n "$STATS"
	check "$mode: packets were redirected to the backends" \
		test "$(reason_count fwd_redirect)" -gt 0
	check "$mode: at least $((3 * CONNS)) new flows scheduled" \
		test "$(reason_count flow_miss)" -ge $((3 * CONNS))
	check "$mode: oversize packets answered with ICMP too-big" \
		test "$(reason_count icmp_too_big_sent)" -ge 2
	check "$mode: later packets hit the flow table" \
		test "$(reason_count flow_hit)" -gt 0
	check "$mode: nothing dropped" test "$(drops)" -eq 0
	check "$mode: every backend forwarded packets" \
		test "$(idle_backends)" -eq 0

	in_ns lb "$TESTLOAD" detach dev lc0 || fail "$mode: detach"
}

require "topology setup" setup
for mode in $MODES; do
	run_mode "$mode"
done
finish
