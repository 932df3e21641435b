#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test suite and prints one closing line: N passed, N failed.
# Each suite ends with its own "N passed, N failed" line (cmocka's summary
# is read too); a suite that dies without one counts as one failure.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1

total_pass=0
total_fail=0
failed_suites=()

# Adds the counts a suite printed (in $2, a log file) to the totals.
tally() {
	local name=$1 log=$2 rc=$3 p=0 f=0 line
	line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	else
		p=$(sed -nE 's/.*\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log" | tail -n 1)
		f=$(sed -nE 's/.*\[  FAILED  \] ([0-9]+) test.*/\1/p' "$log" | tail -n 1)
		p=${p:-0}
		f=${f:-0}
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# died without saying what failed
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -eq 0 ] || failed_suites+=("$name")
	printf '== %-28s %3d passed, %d failed\n' "$name" "$p" "$f"
}

run_suite() {
	local name=$1 log rc
	shift
	log=$(mktemp)
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally "$name" "$log" "$rc"
	rm -f "$log"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "make test needs root (BPF programs, network namespaces)" >&2
	exit 1
fi

for t in tests/unit/*/test_*.c; do	# unit/LAYER/test_NAME
	[ -e "$t" ] || continue
	t=${t#tests/}
	run_suite "${t%.c}" "$BUILD/tests/${t%.c}"
done
for t in tests/bpf/*_test.c; do
	[ -e "$t" ] || continue
	run_suite "bpf/$(basename "$t" .c)" "$BUILD/tests/$(basename "$t" .c)"
done
# the packet fuzzer's smoke: its seed frames, then a few seconds from a
# fixed seed (make fuzz runs it as long as asked)
if [ -x "$BUILD/tests/xlb-fuzz" ]; then
	run_suite "fuzz/smoke" "$BUILD/tests/xlb-fuzz" --smoke -t 5 -s 1 \
		-d tests/fuzz/seeds -o "$BUILD/fuzz"
fi
for s in tests/netns/test_*.sh; do
	[ -e "$s" ] || continue
	run_suite "netns/$(basename "$s" .sh)" timeout 600 bash "$s" "$BUILD"
done

if [ ${#failed_suites[@]} -gt 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
