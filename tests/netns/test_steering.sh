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
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init steering "${1:-build}" python3
LC_PORT=7100
ZONE_PORT=7200
N=300			# new connections per measurement
HELD=30			# long-lived connections held on be1
POLL=0.2		# each wait polls xlb show through python

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

# measure PORT: N new connections; prints the JSON counts.
measure() {
	in_ns client "$TRAFFIC" conns "$VIP4" "$1" "$N" --max-seconds 60
}

require "topology setup" topo_setup 4
require "bpffs" bpffs_mount
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

check "lc: $HELD long-lived connections held on be1" \
	longlived held "$VIP4" "$LC_PORT" "$HELD" 60 --each be1 --interval 0.5 \
	--stop "$TMP/held.stop"
HELD_PID=$LL_PID
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
	jtest "$J" 'all(d["counts"].get(k, 0) > 0.35 * sum(d["counts"].values()) for k in ("be2", "be3"))'
check "lc, be1 loaded: no new connection failed" jtest "$J" 'not d["fails"]'
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
	jtest "$J" 'd["counts"].get("be1") and d["counts"].get("be2")'
check "zoned, zone a healthy: show says no spill" \
	show_true 'v("zoned")["zone_spilling"] is False and v("zoned")["zone_local_share"] == 1'

serve_kill 2 "$ZONE_PORT" TERM
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
	jtest "$J" 'd["counts"].get("be3") and d["counts"].get("be4")'
check "zoned, be2 down: nothing to be2, no new connection failed" \
	jtest "$J" '"be2" not in d["counts"] and not d["fails"]'
check "zoned, be2 down: be3's why names the spill" \
	show_true '"spill" in b("zoned", 3)["weight_why"]'

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
	show_true 'b("zoned", 4)["weight_why"].startswith("other zone")'

echo "== summary"
echo "  lc, nothing held:      $(fmt "$LC_BASE")"
echo "  lc, $HELD held on be1:    $(fmt "$LC_HELD")"
echo "  lc, released:          $(fmt "$LC_AFTER")"
echo "  zoned, zone a healthy: $(fmt "$Z_HEALTHY")"
echo "  zoned, be2 down:       $(fmt "$Z_SPILL")"
echo "  zoned, be2 back:       $(fmt "$Z_BACK")"
finish
