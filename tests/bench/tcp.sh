#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# New TCP connections/s and requests/s through xlb (the agent, XDP native,
# direct return) and through HAProxy in TCP mode, same topology, backends
# and client, in the same run, with the CPU each spends on the balancer.
#
#   client c0 ---- lc0 [lb] lb1 ---- eth0 be1   xlb-httpd :80
#                       [lb] lb2 ---- eth0 be2   (decap on eth0)
#                       [lb] lb3 ---- eth0 be3
#
# xlb balances VIP 203.0.113.10:80 from lc0; HAProxy listens on
# 203.0.113.20:80 (on lb's lo; not an xlb VIP, so xlb passes it) and
# proxies to the same backends' own addresses. wrk in the client: with
# "Connection: close" (one request per connection: connections/s) and with
# keep-alive (requests/s). Rounds alternate the four runs, the order
# reversed every round. A markdown table on stdout (progress on stderr).
# Usage: tests/bench/tcp.sh BUILD [ROUNDS] [SECONDS]
set -u
BUILD=${1:-build}
ROUNDS=${2:-5}
SECS=${3:-3}
cd "$(dirname "$0")/../.." || exit 1
BUILD=$(realpath "$BUILD")
XLB_PREFIX="xlbtc$$"
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh
# shellcheck source=tests/netns/topology.sh
. tests/netns/topology.sh

[ "$(id -u)" -eq 0 ] || { echo "tcp bench: needs root" >&2; exit 1; }
HTTPD="$BUILD/tests/xlb-httpd"
BXDP="$BUILD/tests/xlb-benchxdp"
for f in "$HTTPD" "$BXDP"; do
	[ -x "$f" ] || { echo "tcp bench: $f missing (make bench)" >&2; exit 1; }
done
for c in haproxy wrk; do
	command -v "$c" >/dev/null ||
		{ echo "tcp bench: $c not installed (scripts/install-deps.sh)" >&2; exit 1; }
done
TMP=$(mktemp -d /tmp/xlb-tcpbench.XXXXXX)
VIPH=203.0.113.20
PORT=80
CONNS=64	# wrk connections (2 threads)
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
HAPROXY_PID=
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$STATS0"
	[ -n "$HAPROXY_PID" ] && kill -9 "$HAPROXY_PID" 2>/dev/null
	agent_cleanup 30
}
trap cleanup EXIT

die() {
	echo "tcp bench: $*" >&2
	[ -e "$TMP/agent.log" ] && tail -n 20 "$TMP/agent.log" >&2
	[ -e "$TMP/haproxy.log" ] && tail -n 20 "$TMP/haproxy.log" >&2
	exit 1
}

topo_setup 3 >/dev/null || die "topology setup failed"
bpffs_mount || die "cannot mount a bpffs"
for ns in client lb be1 be2 be3; do
	sysctl_ns "$ns" net.ipv4.ip_local_port_range="1024 65000" \
		net.ipv4.tcp_tw_reuse=1 net.core.somaxconn=4096 \
		net.ipv4.tcp_max_syn_backlog=4096
done
for i in 1 2 3; do
	ip netns exec "$(ns_name "be$i")" "$HTTPD" "$PORT" "be$i" 600 \
		>"$TMP/httpd$i.log" 2>&1 &
	disown
done

cat >"$TMP/xlb.yaml" <<EOF2
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
flow_table_size: 262144
vips:
  - name: web
    address: $VIP4
    port: $PORT
    protocol: tcp
    health_check: { type: tcp, interval: 2s, timeout: 1s, fall: 3, rise: 2 }
    backends:
      - { address: $(be_addr4 1) }
      - { address: $(be_addr4 2) }
      - { address: $(be_addr4 3) }
EOF2
: >"$TMP/agent.log"
agent_start || die "agent did not start"

# HAProxy with the same health checks as the agent's
ip -n "$(ns_name lb)" addr add "$VIPH/32" dev lo
cat >"$TMP/haproxy.cfg" <<EOF2
global
    maxconn 8000
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind $VIPH:$PORT
    default_backend be
backend be
    balance roundrobin
    server be1 $(be_addr4 1):$PORT check inter 2s fall 3 rise 2
    server be2 $(be_addr4 2):$PORT check inter 2s fall 3 rise 2
    server be3 $(be_addr4 3):$PORT check inter 2s fall 3 rise 2
EOF2
ip netns exec "$(ns_name lb)" haproxy -db -f "$TMP/haproxy.cfg" \
	>"$TMP/haproxy.log" 2>&1 &
HAPROXY_PID=$!
disown

# both answer before anything is timed (bounded)
for vip in "$VIP4" "$VIPH"; do
	for ((t = 0; t < 50; t++)); do
		in_ns client curl -s --max-time 1 --noproxy '*' \
			"http://$vip/" 2>/dev/null | grep -q '^be' && break
		sleep 0.2
	done
	[ "$t" -lt 50 ] || die "$vip does not answer"
done
sysctl -qw kernel.bpf_stats_enabled=1

# process CPU (utime + stime, clock ticks) of PID
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
kern_ticks() { awk '$1 == "cpu" { print $4 + $7 + $8 }' /proc/stat; }
bpf_ns() { in_ns lb "$BXDP" stat dev lc0 | awk '{ print $2 }'; }

# run WHO MODE: one timed wrk run; a line in $TMP/runs:
# WHO MODE req/s errors lb-process-ticks bpf-ns kernel-ticks requests
run() {
	local who=$1 mode=$2 vip pid hdr=() p0 p1 b0 b1 k0 k1 out rps n err
	if [ "$who" = xlb ]; then vip=$VIP4 pid=$AGENT_PID; else vip=$VIPH pid=$HAPROXY_PID; fi
	[ "$mode" = conn ] && hdr=(-H "Connection: close")
	p0=$(proc_ticks "$pid") b0=$(bpf_ns) k0=$(kern_ticks)
	out=$(in_ns client timeout $((SECS + 10)) wrk -t2 -c"$CONNS" \
		-d"${SECS}s" "${hdr[@]}" "http://$vip:$PORT/" 2>&1) ||
		die "wrk failed: $out"
	p1=$(proc_ticks "$pid") b1=$(bpf_ns) k1=$(kern_ticks)
	rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
	n=$(awk '/requests in/ { print $1 }' <<<"$out")
	err=$(awk '/Socket errors/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }
		/Non-2xx/ { print $NF }' <<<"$out" | awk '{ s += $1 } END { print s + 0 }')
	echo "$who $mode $rps $err $((p1 - p0)) $((b1 - b0)) $((k1 - k0)) $n" >>"$TMP/runs"
	echo "  $who $mode: $rps req/s, $n requests, $err errors" >&2
}

echo "tcp: $ROUNDS rounds, ${SECS}s per run, wrk -t2 -c$CONNS" >&2
order=("xlb conn" "haproxy conn" "xlb req" "haproxy req")
for ((r = 0; r < ROUNDS; r++)); do
	for ((j = 0; j < 4; j++)); do
		if ((r % 2)); then k=$((3 - j)); else k=$j; fi
		# shellcheck disable=SC2086
		run ${order[k]}
	done
done

python3 - "$TMP/runs" "$(getconf CLK_TCK)" "$ROUNDS" "$SECS" "$CONNS" <<'PY'
import sys, statistics as st
hz = int(sys.argv[2])
rows = {}
for line in open(sys.argv[1]):
    who, mode, rps, err, pt, bns, kt, n = line.split()
    n = int(n)
    rows.setdefault((who, mode), []).append(dict(
        rps=float(rps), err=int(err), n=n,
        lbus=(int(pt) * 1e6 / hz + int(bns) / 1e3) / n,   # µs per request
        bpfus=int(bns) / 1e3 / n, procus=int(pt) * 1e6 / hz / n,
        kernus=int(kt) * 1e6 / hz / n))
def m(k, key): return st.median(r[key] for r in rows[k])
def cell(k, key, fmt):
    v = [r[key] for r in rows[k]]
    return (fmt + " [" + fmt + "-" + fmt + "]") % (m(k, key), min(v), max(v))
print("%s rounds of %s s per run, the four runs alternating; wrk -t2 -c%s; "
      "3 backends (xlb-httpd); median [min-max]." % (
          sys.argv[3], sys.argv[4], sys.argv[5]))
print()
print("| balancer | test | per s | errors (all runs) | balancer CPU µs per request | of which BPF (xlb) | of which process (agent / haproxy) | kernel CPU µs per request, whole host |")
print("|---|---|---|---|---|---|---|---|")
label = {"conn": "new connections (Connection: close)",
         "req": "requests (keep-alive)"}
for mode in ("conn", "req"):
    for who in ("xlb", "haproxy"):
        k = (who, mode)
        print("| %s | %s | %s | %d | %s | %s | %s | %s |" % (
            "xlb (XDP, DSR)" if who == "xlb" else "HAProxy 2.6 (TCP mode)",
            label[mode], cell(k, "rps", "%.0f"),
            sum(r["err"] for r in rows[k]), cell(k, "lbus", "%.2f"),
            cell(k, "bpfus", "%.2f") if who == "xlb" else "-",
            cell(k, "procus", "%.2f"), cell(k, "kernus", "%.1f")))
print()
for mode in ("conn", "req"):
    x, h = ("xlb", mode), ("haproxy", mode)
    ratio = [a["rps"] / b["rps"] for a, b in zip(rows[x], rows[h])]
    print("- %s: xlb / HAProxy per second %.2fx (median of round pairs, "
          "[%.2f-%.2f]); balancer-side CPU per request, HAProxy / xlb: %.0fx" % (
              label[mode], st.median(ratio), min(ratio), max(ratio),
              m(h, "lbus") / m(x, "lbus")))
# connections/s for the same balancer-side CPU: the inverse CPU ratio
k = m(("haproxy", "conn"), "lbus") / m(("xlb", "conn"), "lbus")
print("- target (issue 7): more than 3x HAProxy's connections/s for the same "
      "balancer-side CPU: %.0fx, %s" % (k, "met" if k > 3 else "missed"))
PY
