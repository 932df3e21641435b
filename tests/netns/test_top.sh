#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xlb top on a tmux screen (VIP, backends, non-zero rates, sort key, 'q'
# and SIGTERM restore the terminal) and xlb stats --interval (text and one
# JSON object a line), with long-lived connections flowing through the
# agent. Usage: test_top.sh BUILD_DIR
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init top "${1:-build}" python3 tmux
PORT=7000
TMUX_SOCK="$TMP/tmux.sock"

top_cleanup() {
	[ -e "$TMP/ll.stop" ] || touch "$TMP/ll.stop" 2>/dev/null
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
}
at_exit top_cleanup

tm() { tmux -S "$TMUX_SOCK" "$@"; }
screen() { tm capture-pane -p -t top; }

cat >"$TMP/xlb.yaml" <<EOF
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
flow_table_size: 4096
vips:
  - name: web4
    address: $VIP4
    port: $PORT
    protocol: tcp
    health_check: { type: tcp, interval: 200ms, timeout: 200ms }
    backends:
      - { address: $(be_addr4 1), weight: 100 }
      - { address: $(be_addr4 2), weight: 100 }
EOF

require "topology setup" topo_setup 2
require "bpffs" bpffs_mount
for i in 1 2; do
	serve "$i" "$PORT" || fail "be$i: server did not start"
done
check "agent starts and answers" agent_start

# 8 connections, a line every 20 ms each, both ways: steady packets/s
check "long-lived connections are up" \
	longlived ll "$VIP4" "$PORT" 8 60 --stop "$TMP/ll.stop"
disown "$LL_PID"

# ---- xlb top on a tmux screen ----
XLB_TOP="$BUILD/xlb -s $TMP/xlb.sock top -i 1"
# the pane: terminal settings before and after top, and its exit status
tm new-session -d -s top -x 150 -y 40 \
	"stty -g >$TMP/stty.before; $XLB_TOP; echo \"top-exited rc=\$?\"; stty -g >$TMP/stty.after; sleep 60"

# the screen has the VIP, its two backends and non-zero packets/s and
# bits/s on the VIP and on each backend row
rates_ok() {
	local s
	s=$(screen)
	grep -q "^web4 $VIP4:$PORT/tcp" <<<"$s" || return 1
	awk -v vip="web4" -v b1="$(be_addr4 1)" -v b2="$(be_addr4 2)" '
		$1 == vip && $3 != "0" && $4 != "0" { v = 1 }
		$1 == b1 && $2 == "up" && $4 != "0" && $5 != "0" { x = 1 }
		$1 == b2 && $2 == "up" && $4 != "0" && $5 != "0" { y = 1 }
		END { exit !(v && x && y) }' <<<"$s"
}
check "top: the screen shows the VIP, both backends, non-zero rates" \
	wait_until 8 rates_ok
screen | grep -v '^$' | sed 's/^/  | /'
check "top: the screen is on the alternate screen while top runs" \
	test "$(tm display -p -t top '#{alternate_on}')" = 1
check "top: sorted by packets/s at first" grep -q "sorted by packets/s" \
	<(screen)
tm send-keys -t top s
check "top: 's' cycles the sort (bits/s)" \
	wait_until 3 bash -c "tmux -S '$TMUX_SOCK' capture-pane -p -t top | grep -q 'sorted by bits/s'"
tm send-keys -t top q
exited() { grep -q "top-exited rc=0" <(screen); }
check "top: 'q' quits with status 0" wait_until 5 exited
check "top: the terminal settings are restored after 'q'" \
	wait_until 2 cmp -s "$TMP/stty.before" "$TMP/stty.after"
check "top: the alternate screen is left after 'q'" \
	test "$(tm display -p -t top '#{alternate_on}')" = 0
tm kill-session -t top 2>/dev/null

# SIGTERM: top restores the terminal too (and dies of the signal)
tm new-session -d -s top -x 150 -y 40 \
	"stty -g >$TMP/stty2.before; $XLB_TOP </dev/tty & echo \$! >$TMP/top.pid; wait; stty -g >$TMP/stty2.after; echo top-gone; sleep 60"
has_vip() { grep -q "^web4 " <(screen); }
check "top (second run) draws its screen" wait_until 5 has_vip
kill -TERM "$(cat "$TMP/top.pid")"
gone() { grep -q "top-gone" <(screen); }
check "top: SIGTERM ends it" wait_until 5 gone
check "top: the terminal settings are restored after SIGTERM" \
	cmp -s "$TMP/stty2.before" "$TMP/stty2.after"
check "top: the alternate screen is left after SIGTERM" \
	test "$(tm display -p -t top '#{alternate_on}')" = 0
tm kill-session -t top 2>/dev/null

# -n COUNT without a terminal: COUNT frames, then exit 0
out=$(timeout 10 "$BUILD/xlb" -s "$TMP/xlb.sock" top -i 0.5 -n 2 </dev/null)
rc=$?
check "top -n 2 off a terminal: exits 0 after 2 frames (rc $rc)" \
	test "$rc" = 0 -a "$(grep -c "^web4 " <<<"$out")" = 2
bad=$(xlb top -i 0 2>&1)
check "top -i 0 is refused" grep -q "seconds" <<<"$bad"

# ---- xlb stats --interval ----
out=$(timeout 10 "$BUILD/xlb" -s "$TMP/xlb.sock" stats --interval 1 --count 2)
echo "$out" | head -n 6 | sed 's/^/  /'
check "stats --interval 1 --count 2: two blocks of rates" \
	test "$(grep -c "^rates per second" <<<"$out")" = 2
vip_rate_ok() { awk '$1 == "web4" && $3 != "0" { ok = 1 } END { exit !ok }'; }
check "stats --interval: the VIP's packets/s is not zero" vip_rate_ok <<<"$out"
out=$(timeout 10 "$BUILD/xlb" -s "$TMP/xlb.sock" -j stats --interval 1 \
	--count 2)
json_lines_ok() {
	python3 -c '
import json, sys
lines = sys.stdin.read().splitlines()
assert len(lines) == 2, lines
for line in lines:
    d = json.loads(line)
    v = [v for v in d["vips"] if v["name"] == "web4"][0]
    assert v["packets_per_s"] > 0 and v["bits_per_s"] > 0, v
    assert len(v["backends"]) == 2, v
    for b in v["backends"]:
        for k in ("packets_per_s", "bits_per_s", "new_flows_per_s",
                  "flows", "state", "effective_weight",
                  "latency_p50_us", "latency_p99_us"):
            assert k in b, k
    assert "flow_miss" in d["reasons_per_s"], d
' <<<"$out"
}
check "xlb -j stats --interval 1 --count 2: 2 lines, each valid JSON with rates" \
	json_lines_ok
# 300 short connections while a 2 s interval is measured: new flows/s
in_ns client "$TRAFFIC" conns "$VIP4" "$PORT" 300 --max-seconds 10 \
	>/dev/null 2>&1 &
CONNS_PID=$!
out=$(timeout 10 "$BUILD/xlb" -s "$TMP/xlb.sock" -j stats --interval 2 \
	--count 1)
wait "$CONNS_PID"
new_flows_ok() {
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
v = [v for v in d["vips"] if v["name"] == "web4"][0]
print("  new flows/s: data path %s, web4 %s" % (d["new_flows_per_s"],
                                               v["new_flows_per_s"]))
assert d["new_flows_per_s"] > 0 and v["new_flows_per_s"] > 0
' <<<"$out"
}
check "stats --interval: new flows/s while connections open" new_flows_ok
check "stats --count without --interval is refused" \
	bash -c "! '$BUILD/xlb' -s '$TMP/xlb.sock' stats --count 2 2>/dev/null"
check "plain xlb -j stats still gives totals" \
	python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit("flow_miss" not in d["reasons"])' \
	< <(xlb -j stats)

# ---- xlb show VIP: why each effective weight, last check result ----
out=$(xlb show web4)
xlb show web4 | sed 's/^/  /'
check "show VIP: each backend's weight reason and last check" \
	test "$(grep -c "weight: " <<<"$out")" = 2 -a \
	"$(grep -c "last check: ok" <<<"$out")" = 2
check "xlb -j show VIP is valid JSON with weight_why and last_result" \
	python3 -c 'import json,sys; d=json.load(sys.stdin); b=d["vips"][0]["backends"]; sys.exit(not all(x["weight_why"] and x["health"]["last_result"] for x in b))' \
	< <(xlb -j show web4)

touch "$TMP/ll.stop"
finish
