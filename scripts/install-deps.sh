#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Installs every Debian package xlb's build, tests and demo need; with
# --bench, also what make bench runs beside xlb (HAProxy, wrk, gnuplot).
# Idempotent: does nothing (and needs no network) when all are present.
set -eu

PACKAGES="clang llvm make gcc pkg-config libbpf-dev libelf-dev zlib1g-dev
bpftool iproute2 libcmocka-dev libyaml-dev libjson-c-dev
libcurl4-openssl-dev curl openssl python3 procps iputils-ping ethtool
libmicrohttpd-dev prometheus python3-grpcio tmux bird2 nftables"
if [ "${1:-}" = --bench ]; then
	PACKAGES="$PACKAGES haproxy wrk gnuplot-nox"
fi

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root to install)" >&2
	exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing

# The tests run Prometheus, BIRD (and the benchmark HAProxy) themselves,
# in namespaces; the agent runs its own BIRD: the system services the
# packages enable when they are newly installed are not wanted.
for svc in prometheus haproxy bird; do
	case " $missing " in
	*" $svc "* | *" ${svc}2 "*)
		if [ -d /run/systemd/system ]; then
			systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
		fi
		;;
	esac
done
