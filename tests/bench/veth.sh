#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# veth throughput: xlb against a bare XDP forwarder, in the same run.
#
#   client c0 ---- lc0 [lb] lb1 ---- eth0 be1   sink: count, XDP_DROP
#                       [lb] lb2 ---- eth0 be2
#                       [lb] lb3 ---- eth0 be3
#
# xlb-udpflood in client sends small UDP frames to a VIP from FLOWS source
# ports; on lc0 either the balancer (xlb-testload: Maglev, flow table, IPIP
# to three backends) or xlb-benchxdp's bare forwarder (MACs rewritten,
# redirected by source port, nothing else); the backends' eth0 carry a
# counting XDP_DROP sink in place of decap. Rounds alternate the two, the
# order swapped every round. Prints a markdown table on stdout (progress
# on stderr). Usage: tests/bench/veth.sh BUILD [ROUNDS] [SECONDS]
set -u
BUILD=${1:-build}
ROUNDS=${2:-5}
SECS=${3:-3}
cd "$(dirname "$0")/../.." || exit 1
BUILD=$(realpath "$BUILD")
XLB_PREFIX="xlbve$$"
# shellcheck source=tests/netns/lib.sh
. tests/netns/lib.sh
# shellcheck source=tests/netns/topology.sh
. tests/netns/topology.sh

[ "$(id -u)" -eq 0 ] || { echo "veth bench: needs root" >&2; exit 1; }
FLOOD="$BUILD/tests/xlb-udpflood"
BXDP="$BUILD/tests/xlb-benchxdp"
TESTLOAD="$BUILD/tests/xlb-testload"
for f in "$FLOOD" "$BXDP" "$TESTLOAD"; do
	[ -x "$f" ] || { echo "veth bench: $f missing (make bench)" >&2; exit 1; }
done
TMP=$(mktemp -d /tmp/xlb-vethbench.XXXXXX)
PORT=9000
FLOWS=4096
MAXPKTS=50000000	# per round, besides the time bound
STATS0=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$STATS0"
	ns_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

die() { echo "veth bench: $*" >&2; exit 1; }

topo_setup 3 >/dev/null || die "topology setup failed"
fwd_args=()
for i in 1 2 3; do
	in_ns "be$i" "$BXDP" detach dev eth0 || die "be$i: detach decap"
	in_ns "be$i" "$BXDP" sink dev eth0 || die "be$i: sink"
	fwd_args+=(tx "lb$i" "$(mac_of "be$i" eth0)")
done
LC0_MAC=$(mac_of lb lc0)
sysctl -qw kernel.bpf_stats_enabled=1

attach() {
	case $1 in
	xlb) in_ns lb "$TESTLOAD" dev lc0 mode native seed 42 flows 262144 \
		src4 192.0.2.128 hostbits 4 tx lb1 tx lb2 tx lb3 \
		vip "$VIP4" "$PORT" udp backend "$(be_addr4 1)" 1 \
		backend "$(be_addr4 2)" 1 backend "$(be_addr4 3)" 1 >/dev/null ;;
	bare) in_ns lb "$BXDP" fwd dev lc0 "${fwd_args[@]}" ;;
	esac
}

sink_total() {
	local i s=0 c
	for i in 1 2 3; do
		c=$(in_ns "be$i" "$BXDP" count dev eth0) || return 1
		s=$((s + c))
	done
	echo "$s"
}

# kernel and total busy jiffies over all CPUs
cpu_jiffies() {
	awk '$1 == "cpu" { print $4 + $7 + $8, $2 + $3 + $4 + $7 + $8 + $9 }' \
		/proc/stat
}

# round KIND: one timed run; appends a line to $TMP/rounds
round() {
	local kind=$1 s0 s1 st0 st1 c0 c1 out
	attach "$kind" || die "$kind: attach failed"
	# a short warm-up: flows learnt, caches warm
	in_ns client "$FLOOD" dev c0 dstmac "$LC0_MAC" src "$CLIENT4" \
		dst "$VIP4" port "$PORT" flows "$FLOWS" count 200000 seconds 1 \
		>/dev/null || die "udpflood failed"
	s0=$(sink_total) || die "sink count"
	st0=$(in_ns lb "$BXDP" stat dev lc0) || die "stat"
	c0=$(cpu_jiffies)
	out=$(in_ns client "$FLOOD" dev c0 dstmac "$LC0_MAC" src "$CLIENT4" \
		dst "$VIP4" port "$PORT" flows "$FLOWS" count "$MAXPKTS" \
		seconds "$SECS") || die "udpflood failed"
	c1=$(cpu_jiffies)
	st1=$(in_ns lb "$BXDP" stat dev lc0) || die "stat"
	sleep 0.2	# what is in flight reaches the sinks
	s1=$(sink_total) || die "sink count"
	echo "$kind $out rx $((s1 - s0)) bpf $st0 $st1 cpu $c0 $c1" \
		>>"$TMP/rounds"
	echo "  $kind: $out, delivered $((s1 - s0))" >&2
	case $kind in
	xlb) in_ns lb "$TESTLOAD" detach dev lc0 ;;
	bare) in_ns lb "$BXDP" detach dev lc0 ;;
	esac || die "$kind: detach failed"
}

echo "veth throughput: $ROUNDS rounds of ${SECS}s each, xlb and bare forwarder alternating" >&2
for ((r = 0; r < ROUNDS; r++)); do
	if ((r % 2)); then round bare; round xlb; else round xlb; round bare; fi
done

python3 - "$TMP/rounds" "$(getconf CLK_TCK)" "$FLOWS" "$SECS" "$ROUNDS" <<'PY'
import sys, statistics as st
rounds, hz = sys.argv[1], int(sys.argv[2])
res = {"xlb": [], "bare": []}
for line in open(rounds):
    w = line.split()
    kind = w[0]
    sent, secs = int(w[2]), float(w[4])
    rx = int(w[8])
    cnt0, ns0, cnt1, ns1 = map(int, w[10:14])
    k0, b0, k1, b1 = map(int, w[15:19])
    runs = cnt1 - cnt0
    res[kind].append(dict(
        txpps=sent / secs, rxpps=rx / secs, loss=max(0, 1 - rx / sent) if sent else 0,
        bpfns=(ns1 - ns0) / runs if runs else 0,
        kern=(k1 - k0) * 1e9 / hz / rx if rx else 0,
        busy=(b1 - b0) * 1e9 / hz / rx if rx else 0))
def med(kind, key):
    return st.median(r[key] for r in res[kind])
def spread(kind, key):
    v = [r[key] for r in res[kind]]
    return min(v), max(v)
print("%s rounds of %s s per path, alternating; %s flows (UDP source ports), "
      "60-byte frames; kernel.bpf_stats_enabled=1 throughout (both paths pay "
      "it). Median [min-max]." % (sys.argv[5], sys.argv[4], sys.argv[3]))
print()
print("| path on lc0 | delivered Mpps | offered Mpps | lost | BPF ns/packet on lc0 | kernel CPU ns per delivered packet (all CPUs) | busy CPU ns per delivered packet (all CPUs) |")
print("|---|---|---|---|---|---|---|")
names = {"bare": "bare forwarder (MAC rewrite + redirect)",
         "xlb": "xlb balancer (flow table + Maglev + IPIP)"}
for kind in ("bare", "xlb"):
    def cell(key, scale=1, fmt="%.2f"):
        lo, hi = spread(kind, key)
        return (fmt + " [" + fmt + "-" + fmt + "]") % (
            med(kind, key) * scale, lo * scale, hi * scale)
    print("| %s | %s | %s | %s | %s | %s | %s |" % (
        names[kind], cell("rxpps", 1e-6, "%.3f"), cell("txpps", 1e-6, "%.3f"),
        cell("loss", 100, "%.0f") + " %", cell("bpfns", 1, "%.0f"),
        cell("kern", 1, "%.0f"), cell("busy", 1, "%.0f")))
pairs = [x["rxpps"] / b["rxpps"] for x, b in zip(res["xlb"], res["bare"])
         if b["rxpps"]]
print()
print("- xlb delivered packets/s as a share of the bare forwarder's "
      "(per round pair): median %.0f %% [%.0f-%.0f %%]" % (
          st.median(pairs) * 100, min(pairs) * 100, max(pairs) * 100))
share = st.median(pairs) * 100
print("- target (issue 7): at least 90 %%: %s" % (
    "met" if share >= 90 else "missed by %.0f points" % (90 - share)))
print("- BPF time per packet on lc0, xlb / bare: %.1fx; busy CPU per "
      "delivered packet, xlb / bare: %.2fx" % (
          med("xlb", "bpfns") / med("bare", "bpfns"),
          med("xlb", "busy") / med("bare", "busy")))
PY
