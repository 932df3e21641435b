#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# xlb doctor on namespaces set up right and wrong (each wrong setting named
# in its output), the XDP probe leaving attached programs alone, and
# make install / make uninstall into a DESTDIR. Usage: test_doctor.sh BUILD
# shellcheck source=tests/netns/topology.sh
. "$(dirname "$0")/topology.sh"
test_init doctor "${1:-build}"

# doctor NS ARGS...: xlb doctor inside NS, output in $TMP/out, its exit
# status returned. "ip netns exec" mounts a fresh /sys: bpffs is mounted
# on it there (in that command's own mount namespace) as on a real host.
doctor() {
	local ns=$1
	shift
	in_ns "$ns" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$@"' sh \
		"$BUILD/xlb" doctor "$@" >"$TMP/out" 2>&1
}

# has REGEX: the last doctor output has a line matching REGEX.
has() { grep -Eq "$1" "$TMP/out"; }

# xdp_prog_id NS IF: the id of the XDP program on IF, empty if none.
xdp_prog_id() {
	ip -n "$(ns_name "$1")" -d link show "$2" |
		sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1
}

require "topology" topo_setup 1

# ---- a backend set up right: every check OK ----
doctor be1 --backend "$VIP4" "$VIP6"
rc=$?
cat "$TMP/out"
check "right backend: exit 0" [ "$rc" -eq 0 ]
check "right backend: every check OK" \
	bash -c "! grep -Ev '^(OK |0 failed, 0 warnings)' '$TMP/out'"
check "right backend: decap seen on eth0" has '^OK +decap .*eth0 native'
check "right backend: VIP on lo" has "^OK +vip $VIP4 .*on lo"
check "right backend: JSON parses" bash -c \
	"ip netns exec $(ns_name be1) $BUILD/xlb -j doctor -b $VIP4 |
	python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d[\"failed\"])'"

# ---- a backend set up wrong: each wrong setting named ----
if ! { ns_add bad && veth_pair lb lbbad bad eth0; }; then
	fail "bad namespace"
fi
ip -n "$(ns_name bad)" addr add 192.0.2.99/24 dev eth0
sysctl_ns bad net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.all.arp_ignore=0 \
	net.ipv4.conf.all.arp_announce=0 net.ipv4.conf.eth0.rp_filter=1
doctor bad --backend "$VIP4"
rc=$?
cat "$TMP/out"
check "wrong backend: non-zero exit" [ "$rc" -ne 0 ]
check "wrong backend: VIP missing named" \
	has "^FAIL +vip $VIP4 .*not a local address.*ip addr add $VIP4/32 dev lo"
check "wrong backend: no decap named" has '^FAIL +decap .*xlb decap attach'
check "wrong backend: strict rp_filter named" \
	has '^FAIL +rp_filter eth0 .*strict.*all=1'
check "wrong backend: arp_ignore 0 named" \
	has '^FAIL +arp_ignore eth0 .*arp_ignore=1'
check "wrong backend: arp_announce 0 named" \
	has '^FAIL +arp_announce eth0 .*arp_announce=2'

# one fix at a time: rp_filter loose (2) is fine
sysctl_ns bad net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2
doctor bad --backend "$VIP4"
check "loose rp_filter: OK" has '^OK +rp_filter eth0 .*2 '

# ---- a balancer: the probe, a foreign program, the agent's ----
bpffs_mount || fail "bpffs"
cat >"$TMP/xlb.yaml" <<YAML
interfaces: [lc0]
xdp_mode: native
control_socket: $TMP/xlb.sock
metrics_listen: ""
flow_table_size: 65536
vips:
  - name: web4
    address: $VIP4
    port: 80
    protocol: tcp
    health_check: { type: none }
    backends:
      - { address: $(be_addr4 1) }
YAML
doctor lb -c "$TMP/xlb.yaml" --pin-dir "$BPFFS/xlb"
rc=$?
cat "$TMP/out"
check "no agent: non-zero exit" [ "$rc" -ne 0 ]
check "no agent: native XDP probed" has '^OK +xdp mode lc0 +native'
check "no agent: missing program named" has '^FAIL +xdp program lc0 .*agent'
check "no agent: the probe left nothing attached" \
	[ -z "$(xdp_prog_id lb lc0)" ]
check "no agent: MTU warning" has '^WARN +mtu lc0 .*MTU 1500'

# the client's c0 runs xlb_decap: reported, and left attached
id=$(xdp_prog_id client c0)
sed 's/\[lc0\]/[c0]/' "$TMP/xlb.yaml" >"$TMP/c0.yaml"
doctor client -c "$TMP/c0.yaml"
check "foreign program named" has '^FAIL +xdp program c0 .*xlb_decap'
check "foreign program left attached" [ "$(xdp_prog_id client c0)" = "$id" ]

agent_start || fail "agent start"
id=$(xdp_prog_id lb lc0)
ip -n "$(ns_name lb)" link set lc0 mtu 1520
ip -n "$(ns_name client)" link set c0 mtu 1520
doctor lb -c "$TMP/xlb.yaml" --pin-dir "$BPFFS/xlb"
rc=$?
cat "$TMP/out"
check "agent: exit 0" [ "$rc" -eq 0 ]
check "agent: program and mode reported" \
	has '^OK +xdp program lc0 +xlb_balancer .*native mode, link pinned'
check "agent: socket answers" has '^OK +agent '
check "agent: MTU 1520 OK" has '^OK +mtu lc0 '
check "agent: program untouched" [ "$(xdp_prog_id lb lc0)" = "$id" ]
check "agent: forwarding on lc0 OK" has '^OK +forwarding ipv4 lc0 '
# forwarding off: the data path's route lookups fail
sysctl_ns lb net.ipv4.conf.lc0.forwarding=0
doctor lb -c "$TMP/xlb.yaml" --pin-dir "$BPFFS/xlb"
rc=$?
sysctl_ns lb net.ipv4.conf.lc0.forwarding=1
check "forwarding off: non-zero exit" [ "$rc" -ne 0 ]
check "forwarding off: named with its fix" \
	has '^FAIL +forwarding ipv4 lc0 .*drop_no_route.*net.ipv4.conf.lc0.forwarding=1'
# a bgp: section whose BIRD cannot run
{ cat "$TMP/xlb.yaml"; cat <<YAML; } >"$TMP/bgp.yaml"
bgp:
  local_as: 65001
  bird: /nonexistent/bird
  neighbors: [{ address: 192.0.2.1, as: 65000 }]
YAML
doctor lb -c "$TMP/bgp.yaml" --pin-dir "$BPFFS/xlb"
rc=$?
check "bgp without BIRD: non-zero exit" [ "$rc" -ne 0 ]
check "bgp without BIRD: named with its fix" \
	has '^FAIL +bgp speaker .*/nonexistent/bird.*apt-get install bird2'

# ---- bash completion against the running agent ----
complete_words() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	in_ns lb bash -c '
		. scripts/xlb.bash-completion
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_xlb; echo "${COMPREPLY[*]}"' sh "$@"
}
check "completion: subcommands" \
	[ "$(complete_words "$BUILD/xlb" doc)" = doctor ]
check "completion: VIP names from the agent" [ "$(complete_words \
	"$BUILD/xlb" -s "$TMP/xlb.sock" backend drain "")" = web4 ]
check "completion: backend addresses from the agent" [ "$(complete_words \
	"$BUILD/xlb" -s "$TMP/xlb.sock" backend del web4 "")" = "$(be_addr4 1)" ]
check "completion: xlb table takes VIP names" [ "$(complete_words \
	"$BUILD/xlb" -s "$TMP/xlb.sock" table "")" = web4 ]
check "completion: bgp and table are subcommands" [ "$(complete_words \
	"$BUILD/xlb" b)" = "backend bgp" ] && [ "$(complete_words \
	"$BUILD/xlb" ta)" = table ]

# ---- help ----
check "help doctor" bash -c "'$BUILD/xlb' help doctor | grep -q -- --backend"
check "help of every subcommand" bash -c "for c in agent backend bgp decap \
	doctor help reload show stats table top version vip; do
	'$BUILD/xlb' help \$c | grep -q '^Usage: xlb' || exit 1; done"
# groff-base is in every Debian install but minimal containers
if command -v groff >/dev/null; then
	check "man page renders without warnings" bash -c \
		"groff -man -Tutf8 -ww -z docs/xlb.8 2>&1 | { ! grep -q .; }"
fi
for c in agent show stats top vip backend reload decap doctor version help \
	table bgp; do
	check "man page covers $c" grep -q "^\\.SS xlb $c" docs/xlb.8
done
missing=
for k in gateway_mac $(sed -n 's/^ *-\{0,1\} *\([a-z_0-9]*\):.*/\1/p' \
	etc/xlb.yaml | sort -u); do
	grep -Eq "^\\.BR? $k( |\$)" docs/xlb.8 || missing="$missing $k"
done
check "man page covers every config key${missing:+ (missing:$missing)}" \
	[ -z "$missing" ]

# ---- make install / uninstall into a DESTDIR ----
DEST="$TMP/dest"
# mk TARGET: make TARGET into $DEST, never rebuilding what it installs
mk() {
	make -s -o "$BUILD/xlb" -o "$BUILD/balancer.bpf.o" \
		-o "$BUILD/decap.bpf.o" BUILD="$BUILD" DESTDIR="$DEST" \
		PREFIX=/usr "$1"
}
installed=(usr/sbin/xlb usr/share/man/man8/xlb.8
	usr/share/bash-completion/completions/xlb
	usr/lib/systemd/system/xlb.service etc/xlb/xlb.yaml
	usr/share/doc/xlb/xlb.yaml.sample)
all_there() {
	local f
	for f in "${installed[@]}"; do
		[ -e "$DEST/$f" ] || { echo "missing $f"; return 1; }
	done
}
none_there() {
	[ -z "$(find "$DEST" -type f)" ] || { find "$DEST" -type f; return 1; }
}
check "make install" mk install
check "install: every file in place" all_there
check "install: unit points at the binary" \
	grep -q '^ExecStart=/usr/sbin/xlb agent -c /etc/xlb/xlb.yaml' \
	"$DEST/usr/lib/systemd/system/xlb.service"
echo "# edited" >>"$DEST/etc/xlb/xlb.yaml"
mk install >/dev/null
check "install: an existing config is kept" \
	grep -q '^# edited' "$DEST/etc/xlb/xlb.yaml"
mk uninstall >/dev/null
check "uninstall: an edited config is kept" [ -e "$DEST/etc/xlb/xlb.yaml" ]
rm -f "$DEST/etc/xlb/xlb.yaml"
mk install >/dev/null
check "make uninstall" mk uninstall
check "uninstall: every file gone" none_there

finish
