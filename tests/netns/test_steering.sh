#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Steering by active flows and by zone, with real traffic.
#
# VIP lc (weighting: least_connections, be1-be3): the data path counts
# each backend's active flows; 30 long-lived connections held on be1 make
# new connections go to be2 and be3, and once they close the shares even
# out again. VIP zoned (prefer_zone, host zone a): be1 and be2 in zone a,
# be3 and be4 in zone b. Every new flow stays in zone a while it is
# healthy; with be2 down (50 % of zone a's weight up, below the 70 %
# minimum) zone a keeps 0.5 / 0.7 = 71.4 % and 28.6 % spills to zone b;
# with be2 back, nothing spills. Shares are measured over N new
# connections each. Usage: test_steering.sh BUILD_DIR
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
TMP=$(mktemp -d /tmp/xlb-steering.XXXXXX)
TRAFFIC="$PWD/tests/netns/traffic.py"
LC_PORT=7100
ZONE_PORT=7200
N=300			# new connections per measurement
HELD=30			# long-lived connections held on be1
declare -A SERVE_PID
trap agent_cleanup EXIT

# serve I PORT: traffic.py's echo server "beI" in namespace beI.
serve() {
	# not through in_ns: $! must be the server itself (ip execs it)
	ip netns exec "$(ns_name "be$1")" "$TRAFFIC" serve "be$1" "$2" \
		>>"$TMP/serve$1-$2.log" 2>&1 &
	SERVE_PID[$1-$2]=$!
	disown
	listening "be$1" "$2"
}

write_config() {
	cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
metrics_listen: ""
flow_table_size: 65536
hash_seed: 0x5eed
zone: a
vips:
  - name: lc
    address: $VIP4
    port: $LC_PORT
    protocol: tcp
    weighting: least_connections
    slow_start: off
    health_check: &check { type: tcp, interval: 100ms, timeout: 200ms }
    backends:  # no zones: they are labels here
      - { address: $(be_addr4 1) }
      - { address: $(be_addr4 2) }
      - { address: $(be_addr4 3) }
  - name: zoned
    address: $VIP4
    port: $ZONE_PORT
    protocol: tcp
    weighting: static
    slow_start: off
    prefer_zone: true
    zone_min_healthy: 70%
    health_check: *check
    backends:
      - { address: $(be_addr4 1), zone: a }
      - { address: $(be_addr4 2), zone: a }
      - { address: $(be_addr4 3), zone: b }
      - { address: $(be_addr4 4), zone: b }
EOF
}

# wait_true SECONDS EXPR: polls show_get EXPR every 0.2 s until True.
wait_true() {
	local t
	for ((t = 0; t < $1 * 5; t++)); do
		[ "$(show_get "$2" 2>/dev/null)" = True ] && return 0
		sleep 0.2
	done
	return 1
}

# measure PORT: N new connections; prints the JSON counts.
measure() {
	in_ns client "$TRAFFIC" conns "$VIP4" "$1" "$N" --max-seconds 60
}

# pct JSON NAME...: the named backends' share of the answers, percent.
pct() {
	python3 -c '
import json, sys
r = json.loads(sys.argv[1]); c = r["counts"]; n = sum(c.values())
print("%.1f" % (100.0 * sum(c.get(k, 0) for k in sys.argv[2:]) / n if n else 0))' "$@"
}

# fmt JSON: "be1 33.1% be2 ... (N answered, F failed)".
fmt() {
	python3 -c '
import json, sys
r = json.loads(sys.argv[1]); c = r["counts"]; n = sum(c.values()) or 1
print(" ".join("%s %.1f%%" % (k, 100.0 * c[k] / n) for k in sorted(c)),
      "(%d answered, %d failed)" % (sum(c.values()), r["fails"]))' "$1"
}

# cmp_f A OP B: float comparison.
cmp_f() { python3 -c 'import sys; a, op, b = sys.argv[1:]; sys.exit(not eval(a + op + b))' "$@"; }

# within VALUE WANT POINTS: |VALUE - WANT| <= POINTS.
within() { python3 -c 'import sys; a, b, d = map(float, sys.argv[1:]); sys.exit(abs(a - b) > d)' "$@"; }

no_fails() { python3 -c 'import json, sys; sys.exit(json.loads(sys.argv[1])["fails"])' "$1"; }

if ! topo_setup 4 || ! bpffs_mount; then
	fail "topology setup"
	finish
	exit 1
fi
ok=true
for i in 1 2 3; do serve "$i" "$LC_PORT" || ok=false; done
for i in 1 2 3 4; do serve "$i" "$ZONE_PORT" || ok=false; done
check "echo servers listen" $ok
write_config
check "agent starts and answers" agent_start
check "every backend up" wait_true 10 \
	'all(x["state"] == "up" for n in ("lc", "zoned") for x in v(n)["backends"])'

# ---- least_connections ----
echo "== least_connections (VIP lc)"
check "show: a backend without a zone shows '-'" \
	bash -c "'$BUILD/xlb' -s '$TMP/xlb.sock' show lc | grep -Eq '^  $(be_addr4 1) +- '"
J=$(measure "$LC_PORT")
LC_BASE=$J
echo "  no held flows: $(fmt "$J")"
for i in 1 2 3; do
	check "lc, nothing held: be$i within 10 points of 33.3% ($(pct "$J" "be$i")%)" \
		within "$(pct "$J" "be$i")" 33.3 10
done
check "lc, nothing held: short connections leave no active flow behind" \
	wait_true 5 'sum(x["flows"] for x in v("lc")["backends"]) == 0'

ip netns exec "$(ns_name client)" "$TRAFFIC" longlived "$VIP4" "$LC_PORT" \
	"$HELD" 60 --each be1 --interval 0.5 --stop "$TMP/held.stop" \
	--ready "$TMP/held.ready" >"$TMP/held.out" 2>&1 &
HELD_PID=$!
for ((t = 0; t < 300; t++)); do
	[ -e "$TMP/held.ready" ] && break
	sleep 0.1
done
check "lc: $HELD long-lived connections held on be1" test -e "$TMP/held.ready"
check "lc: xlb show counts them as be1's active flows" \
	wait_true 5 "b('lc', 1)['flows'] >= $HELD"
echo "  active flows: $(show_get '" ".join("be%d %d" % (i, b("lc", i)["flows"]) for i in (1, 2, 3))')"
check "lc: be1's effective weight falls below half of the others'" \
	wait_true 20 'b("lc", 1)["effective_weight"] < 0.5 * min(b("lc", 2)["effective_weight"], b("lc", 3)["effective_weight"])'
sleep 6		# the scores' 5 s smoothing settles
echo "  effective weights: $(show_get '" | ".join("be%d %.1f (%s)" % (i, b("lc", i)["effective_weight"], b("lc", i)["weight_why"]) for i in (1, 2, 3))')"
J=$(measure "$LC_PORT")
LC_HELD=$J
echo "  $HELD held on be1: $(fmt "$J")"
check "lc, be1 loaded: its share of new flows ($(pct "$J" be1)%) < 20%" \
	cmp_f "$(pct "$J" be1)" '<' 20
check "lc, be1 loaded: be2 ($(pct "$J" be2)%) and be3 ($(pct "$J" be3)%) take the rest, each > 35%" \
	python3 -c 'import json, sys; c = json.loads(sys.argv[1])["counts"]; n = sum(c.values()); sys.exit(not all(c.get(k, 0) > 0.35 * n for k in ("be2", "be3")))' "$J"
check "lc, be1 loaded: no new connection failed" no_fails "$J"
check "lc: the held connections kept flowing" kill -0 "$HELD_PID"

touch "$TMP/held.stop"
wait "$HELD_PID"
rc=$?
check "lc: the held connections ended cleanly ($(tail -n 1 "$TMP/held.out"))" \
	test "$rc" -eq 0
check "lc: their FINs took be1's active flows back to 0" \
	wait_true 5 'b("lc", 1)["flows"] == 0'
check "lc: be1's weight returns to within 10% of the others'" \
	wait_true 30 'b("lc", 1)["effective_weight"] > 0.9 * min(b("lc", 2)["effective_weight"], b("lc", 3)["effective_weight"])'
J=$(measure "$LC_PORT")
LC_AFTER=$J
echo "  released: $(fmt "$J")"
check "lc, released: be1's share back within 10 points of 33.3% ($(pct "$J" be1)%)" \
	within "$(pct "$J" be1)" 33.3 10

# ---- zones ----
echo "== prefer_zone (VIP zoned): zone a = be1, be2; zone b = be3, be4"
xlb show zoned | sed 's/^/  /'
check "zoned: show names the host's zone and each backend's" \
	test "$(show_get 'd["zone"] + "".join(b("zoned", i)["zone"] for i in (1, 2, 3, 4))')" = aaabb
J=$(measure "$ZONE_PORT")
Z_HEALTHY=$J
echo "  zone a healthy: $(fmt "$J")"
check "zoned, zone a healthy: every new flow in zone a ($(pct "$J" be1 be2)%)" \
	test "$(pct "$J" be3 be4)" = 0.0
check "zoned, zone a healthy: both local backends used" \
	python3 -c 'import json, sys; c = json.loads(sys.argv[1])["counts"]; sys.exit(not (c.get("be1") and c.get("be2")))' "$J"
check "zoned, zone a healthy: show says no spill" \
	test "$(show_get 'v("zoned")["zone_spilling"] is False and v("zoned")["zone_local_share"] == 1')" = True

kill "${SERVE_PID[2-$ZONE_PORT]}"
check "zoned: be2 down (its server killed)" \
	wait_true 10 'b("zoned", 2)["state"] == "down"'
check "zoned: show: 50% of zone a up, spilling" \
	wait_true 5 'v("zoned")["zone_spilling"] and abs(v("zoned")["zone_health"] - 0.5) < 1e-9'
xlb show zoned | sed 's/^/  /'
J=$(measure "$ZONE_PORT")
Z_SPILL=$J
echo "  be2 down: $(fmt "$J")"
s=$(pct "$J" be3 be4)
check "zoned, be2 down: zone b's share ($s%) within 10 points of 28.6%" \
	within "$s" 28.6 10
check "zoned, be2 down: spilled to both of zone b's backends" \
	python3 -c 'import json, sys; c = json.loads(sys.argv[1])["counts"]; sys.exit(not (c.get("be3") and c.get("be4")))' "$J"
check "zoned, be2 down: nothing to be2, no new connection failed" \
	python3 -c 'import json, sys; r = json.loads(sys.argv[1]); sys.exit("be2" in r["counts"] or r["fails"])' "$J"
check "zoned, be2 down: be3's why names the spill" \
	test "$(show_get '"spill" in b("zoned", 3)["weight_why"]')" = True

serve 2 "$ZONE_PORT"
check "zoned: be2 back up" wait_true 10 'b("zoned", 2)["state"] == "up"'
check "zoned: show: zone a healthy again, no spill" \
	wait_true 5 'not v("zoned")["zone_spilling"] and v("zoned")["zone_health"] == 1'
J=$(measure "$ZONE_PORT")
Z_BACK=$J
echo "  be2 back: $(fmt "$J")"
check "zoned, be2 back: every new flow in zone a again ($(pct "$J" be1 be2)%)" \
	test "$(pct "$J" be3 be4)" = 0.0
check "zoned, be2 back: be2 takes new flows ($(pct "$J" be2)%)" \
	cmp_f "$(pct "$J" be2)" '>' 30
check "zoned, be2 back: other zone's backends show why they get none" \
	test "$(show_get 'b("zoned", 4)["weight_why"].startswith("other zone")')" = True

echo "== summary"
echo "  lc, nothing held:      $(fmt "$LC_BASE")"
echo "  lc, $HELD held on be1:    $(fmt "$LC_HELD")"
echo "  lc, released:          $(fmt "$LC_AFTER")"
echo "  zoned, zone a healthy: $(fmt "$Z_HEALTHY")"
echo "  zoned, be2 down:       $(fmt "$Z_SPILL")"
echo "  zoned, be2 back:       $(fmt "$Z_BACK")"
finish
