#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark plots, from the tables make bench wrote:
#   docs/bench-pps.png   packets/s per path (one CPU, from the BPF ns/run
#                        medians) against the XDP_DROP floor, and the veth
#                        throughput of xlb against the bare forwarder
#   docs/failover.png    failover detection times, one curve per fault
#                        kind (cumulative share of trials)
# Usage: tests/bench/plots.sh   (needs gnuplot; reads docs/*.md only)
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
command -v gnuplot >/dev/null ||
	{ echo "plots: gnuplot not installed (scripts/install-deps.sh)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/xlb-plots.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

python3 - docs/bench.md docs/failover.md "$TMP" <<'PY'
import re, sys
bench, failover, tmp = sys.argv[1:4]
section = None
tr, veth = [], []
for line in open(bench):
    if line.startswith("## "):
        section = line
        continue
    cols = [c.strip() for c in line.strip().strip("|").split("|")]
    if not line.startswith("| ") or len(cols) < 5 or \
            cols[0] in ("case", "path on lc0") or cols[0].startswith("---"):
        continue
    try:
        if section and section.startswith("## Data path"):
            tr.append((cols[0], 1e3 / float(cols[4].split()[0])))  # Mpps
        elif section and section.startswith("## veth"):
            veth.append((cols[0].split(" (")[0], float(cols[1].split()[0])))
    except ValueError:
        pass
with open(tmp + "/pps.dat", "w") as f:
    for name, v in tr:
        name = name.replace("flow hit over 1000000 flows", "hit, 1M flows")
        f.write('"%s" %.3f 1\n' % (name, v))
    for name, v in veth:
        f.write('"veth: %s" %.3f 2\n' % (name, v))
kind = None
trials = {}
for line in open(failover):
    m = re.match(r"(\w+): (\d+) trials, check (.*)", line)
    if m:
        kind = "%s (%s)" % (m.group(1), m.group(3).replace("tcp ", ""))
        trials[kind] = []
        continue
    m = re.search(r"detect +([-\d.]+) ms", line)
    if m and kind:
        trials[kind].append(float(m.group(1)))
with open(tmp + "/fo.dat", "w") as f:
    for k, v in trials.items():
        v.sort()
        f.write('"%s"\n' % k)
        for i, x in enumerate(v):
            f.write("%.3f %.3f\n" % (max(x, 0.01), (i + 1) / len(v)))
        f.write("\n\n")
with open(tmp + "/fo.n", "w") as f:
    f.write("%d\n" % len(trials))
PY

gnuplot <<GP
set terminal pngcairo size 900,520 font ",10"
set output "docs/bench-pps.png"
set termoption noenhanced
set title "xlb: packets/s per path (from docs/bench.md)"
set ylabel "Mpps"
set style fill solid 0.8 border -1
set boxwidth 0.7
set xtics rotate by -30 left
set grid ytics
set key top right
set yrange [0:*]
set offsets 0.5, 0.5, 0, 0
set bmargin 9
plot "$TMP/pps.dat" using 0:(\$3 == 1 ? \$2 : 1/0):xtic(1) with boxes lc rgb "#4477aa" \
	title "BPF_PROG_TEST_RUN: 1000 / kernel ns per run (one CPU; the floor is XDP_DROP)", \
	"" using 0:(\$3 == 2 ? \$2 : 1/0) with boxes lc rgb "#ee7733" \
	title "veth: delivered packets/s (whole path, shared CPUs)", \
	"" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.8 notitle
GP

n=$(cat "$TMP/fo.n")
gnuplot <<GP
set terminal pngcairo size 900,500 font ",10"
set output "docs/failover.png"
set termoption noenhanced
set title "xlb failover: fault to decision, every trial (from docs/failover.md)"
set xlabel "detection time, ms (log scale)"
set ylabel "share of trials"
set logscale x
set grid
set key bottom right
set yrange [0:1.05]
plot for [i=0:$((n - 1))] "$TMP/fo.dat" index i using 1:2 with steps lw 2 title columnheader(1), \
	for [i=0:$((n - 1))] "$TMP/fo.dat" index i using 1:2 with points pt 7 ps 0.6 notitle
GP
echo "written docs/bench-pps.png docs/failover.png"
