#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for namespace tests: per-run names, veth pairs with fixed
# neighbour entries, teardown on exit (also after a failure), and the
# PASS/FAIL bookkeeping that ends in "N passed, N failed".
# Every host is a namespace made here; the root namespace sends nothing.

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

# listening NS PORT: until a TCP socket listens on PORT in namespace
# PREFIX-NS (bounded: 5 s).
listening() {
	local t
	for ((t = 0; t < 50; t++)); do
		in_ns "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

pass() { PASSED=$((PASSED + 1)); echo "PASS: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*"; }

# check DESCRIPTION CMD...: PASS if CMD succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

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
