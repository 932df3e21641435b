#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for namespace tests: the opening every test shares (test_init),
# per-run names, veth pairs with fixed neighbour entries, teardown on exit
# (also after a failure), waits and checks, and the PASS/FAIL bookkeeping
# that ends in "N passed, N failed".
# Every host is a namespace made here; the root namespace sends nothing.
#
# A test starts:
#	. "$(dirname "$0")/topology.sh"		(or lib.sh alone)
#	test_init NAME "${1:-build}" [TOOL...]

XLB_PREFIX=${XLB_PREFIX:-xlbt$$}
XLB_NAMESPACES=()
PASSED=0
FAILED=0

ns_name() { echo "${XLB_PREFIX}-$1"; }

# ns_add NAME: creates namespace PREFIX-NAME with lo up.
ns_add() {
	local ns
	ns=$(ns_name "$1")
	ip netns add "$ns" || return 1
	XLB_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
}

# in_ns NAME CMD...: runs CMD inside namespace PREFIX-NAME.
in_ns() {
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

# veth_pair NS1 IF1 NS2 IF2: a veth pair between two namespaces, both up.
# Names are short because interface names are limited to 15 characters.
veth_pair() {
	local tmp1="xv$$a${RANDOM}" tmp2="xv$$b${RANDOM}"
	ip link add "${tmp1:0:15}" type veth peer name "${tmp2:0:15}" || return 1
	ip link set "${tmp1:0:15}" netns "$(ns_name "$1")" name "$2"
	ip link set "${tmp2:0:15}" netns "$(ns_name "$3")" name "$4"
	ip -n "$(ns_name "$1")" link set "$2" up
	ip -n "$(ns_name "$3")" link set "$4" up
}

# mac_of NS IF
mac_of() { ip -n "$(ns_name "$1")" -br link show "$2" | awk '{print $3}'; }

# Kills what runs in our namespaces and deletes them.
ns_cleanup() {
	local ns pid
	for ns in "${XLB_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	XLB_NAMESPACES=()
}
trap ns_cleanup EXIT
trap 'exit 130' INT TERM

# needs TOOL [HINT]: skips the test when TOOL is not installed.
needs() {
	command -v "$1" >/dev/null || skip_test "needs $1${2:+ ($2)}"
}

# test_init NAME BUILD [TOOL...]: unset variables are errors, the tree's
# top is the working directory, BUILD (relative to the top) becomes an
# absolute path; skipped without root or one of the TOOLs; TMP is a new
# directory; test_cleanup runs on exit.
test_init() {
	local name=$1 build=$2 tool
	shift 2
	set -u
	cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
	# shellcheck disable=SC2034 # the test's
	BUILD=$(realpath "$build")
	[ "$(id -u)" -eq 0 ] || skip_test "needs root"
	for tool in "$@"; do
		needs "$tool"
	done
	TMP=$(mktemp -d "/tmp/xlb-$name.XXXXXX")
	trap test_cleanup EXIT
}

# at_exit CMD: a command (a function and its words) test_cleanup runs,
# in the order they were added, before the namespaces go.
AT_EXIT=()
at_exit() { AT_EXIT+=("$*"); }

# test_cleanup: the EXIT trap of test_init: what at_exit added, then the
# namespaces (with what runs in them), the bpffs, TMP.
test_cleanup() {
	local cmd
	for cmd in "${AT_EXIT[@]}"; do
		eval "$cmd"
	done
	ns_cleanup
	bpffs_umount
	[ -n "${TMP:-}" ] && rm -rf "$TMP"
}

# A bpffs of this run's own: "ip netns exec" gives commands a private
# /sys, so pins must live on a bpffs mounted out here.
bpffs_mount() {
	BPFFS="$TMP/bpf"
	mkdir -p "$BPFFS" && mount -t bpf bpf "$BPFFS"
}

bpffs_umount() {
	[ -n "${BPFFS:-}" ] && umount "$BPFFS" 2>/dev/null
}

# wait_until SECONDS CMD...: runs CMD (its output thrown away) every POLL
# seconds (0.1; a test whose CMDs cost more sets more) until it succeeds;
# fails after SECONDS. WAITED: the seconds it took, one decimal.
wait_until() {
	local t0 end now
	t0=${EPOCHREALTIME//[!0-9]/}
	end=$((t0 + $1 * 1000000))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && break
		now=${EPOCHREALTIME//[!0-9]/}
		if [ "$now" -ge "$end" ]; then
			WAITED=$(((now - t0) / 1000000)).$(((now - t0) / 100000 % 10))
			return 1
		fi
		sleep "${POLL:-0.1}"
	done
	now=${EPOCHREALTIME//[!0-9]/}
	WAITED=$(((now - t0) / 1000000)).$(((now - t0) / 100000 % 10))
}
# shellcheck disable=SC2034 # the test's
WAITED=0

# listens NS PORT: a TCP socket listens on PORT in namespace PREFIX-NS.
listens() { in_ns "$1" ss -Hltn "sport = :$2" | grep -q .; }

# listening NS PORT: until one does (bounded: 20 s; a loaded host starts
# python slowly, and the wait ends as soon as it listens).
listening() { wait_until 20 listens "$1" "$2"; }

# port_free NS PORT: nothing listens on PORT in namespace PREFIX-NS.
port_free() { ! listens "$1" "$2"; }

# pid_gone PID: no such process (any more).
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# check DESCRIPTION CMD...: PASS if CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

# ---- traffic.py: echo servers in beI, clients in client ----

TRAFFIC=$(realpath "$(dirname "${BASH_SOURCE[0]}")/traffic.py")

# serve I PORT: traffic.py's echo server "beI" on PORT in namespace beI,
# its log in $TMP/serveI-PORT.log, its pid in SERVE_PIDS[I-PORT]. Waits
# for the port to be free (a killed server's socket may outlive it for a
# moment), starts the server and returns once it listens: a health check
# started after it never finds the port closed.
declare -A SERVE_PIDS
serve() {
	wait_until 5 port_free "be$1" "$2"
	# not through in_ns: $! must be the server itself (ip execs it)
	ip netns exec "$(ns_name "be$1")" "$TRAFFIC" serve "be$1" "$2" \
		>>"$TMP/serve$1-$2.log" 2>&1 &
	SERVE_PIDS[$1-$2]=$!
	disown	# killed on purpose later: no job-control chatter
	listening "be$1" "$2"
}

# serve_kill I PORT [SIGNAL]: ends beI's server on PORT (SIGKILL).
serve_kill() {
	kill "-${3:-KILL}" "${SERVE_PIDS[$1-$2]}" 2>/dev/null
}

# pct JSON NAME...: the named backends' share of the answers in traffic.py's
# (or weights_load.py's) counts, percent.
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

# longlived TAG ARGS...: traffic.py longlived ARGS from the client, its
# output in $TMP/TAG.out, its pid in LL_PID; returns once every connection
# is up (bounded: 30 s).
longlived() {
	local tag=$1
	shift
	rm -f "$TMP/$tag.ready"
	# not through in_ns: $! must be traffic.py itself
	ip netns exec "$(ns_name client)" "$TRAFFIC" longlived "$@" \
		--ready "$TMP/$tag.ready" >"$TMP/$tag.out" 2>&1 &
	# shellcheck disable=SC2034 # the test's
	LL_PID=$!
	wait_until 30 test -e "$TMP/$tag.ready"
}

# require WHAT CMD...: the test cannot go on unless CMD succeeds: FAIL
# WHAT and end here.
require() {
	local what=$1
	shift
	"$@" && return 0
	fail "$what"
	finish
	exit 1
}

# jtest JSON EXPR: the Python expression EXPR holds for d = JSON.
jtest() {
	python3 -c 'import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

# cmp_f A OP B: float comparison.
cmp_f() { python3 -c 'import sys; a, op, b = sys.argv[1:]; sys.exit(not eval(a + op + b))' "$@"; }

# within VALUE WANT POINTS: |VALUE - WANT| <= POINTS.
within() { python3 -c 'import sys; a, b, d = map(float, sys.argv[1:]); sys.exit(abs(a - b) > d)' "$@"; }

# skip_test REASON: the machine cannot run this test (exit code 4, counted
# neither passed nor failed by the runner).
skip_test() {
	echo "SKIP: $*"
	echo "0 passed, 0 failed"
	exit 0
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
