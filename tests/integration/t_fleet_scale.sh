#!/bin/bash
# N attachments over two hosts on the fleet registry (FLEET_N, default 400
# in make check; FLEET_N=10000 for the full figure, 2.1 s on a shared 2-core
# machine): a controller writes N
# edge bindings (half per host) and N attachments straight into etcd in
# transactions of 128 puts; printed: the time from its last write until
# both hosts' bridges hold all N associated.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/etcd.sh"
. "$(dirname "$0")/../lib/fleet.sh"

require_root
require_cmd etcd etcdctl jq
N=${FLEET_N:-400}
export VDPCTL_ETCD_PREFIX=/t
id_of() { printf '5ca1e000-0000-4000-8000-%012x' "$1"; }
mac_of() { printf '52:54:00:%02x:%02x:%02x' $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }

ns_add fleet
etcd_cluster fleet 3
vc() { nsx fleet "$T_BUILD/vdpctl" -t 8000 --etcd "$ETCD_EPS" "$@"; }
host_setup a 1
host_setup b 2
start_vdpd a 1
start_vdpd b 1
vc profile add web qbg mgrid 11 typeid 42 typeidver 1 >/dev/null || fail "profile add"
vc network add net-2 physnet physnet1 profile web vlan 200 >/dev/null || fail "network add"
VDPCTL_ETCD_HOST=host-a vc physnet add physnet1 dev eth0 >/dev/null || fail "physnet a"
VDPCTL_ETCD_HOST=host-b vc physnet add physnet1 dev eth0 >/dev/null || fail "physnet b"

# the controller's writes: bindings, then attachments, 128 puts a transaction
: >"$T_DIR/puts"
for i in $(seq 1 "$N"); do
	id=$(id_of "$i") h=$([ $((i % 2)) = 0 ] && echo a || echo b)
	printf 'put /t/hosts/host-%s/bindings/%s {"iface_id":"%s","mac":"%s","uplink":"eth0"}\n' \
		"$h" "$id" "$id" "$(mac_of "$i")" >>"$T_DIR/puts"
done
for i in $(seq 1 "$N"); do
	id=$(id_of "$i")
	printf 'put /t/attachments/%s {"iface_id":"%s","network":"net-2"}\n' "$id" "$id" >>"$T_DIR/puts"
done
split -l 128 "$T_DIR/puts" "$T_DIR/txn."
for f in "$T_DIR"/txn.*; do
	{ echo; cat "$f"; echo; echo; } | nsx fleet etcdctl --endpoints "$ETCD_EPS" txn >"$T_DIR/txn.out" 2>&1 ||
		fail "txn $f: $(tail -3 "$T_DIR/txn.out")"
	grep -q SUCCESS "$T_DIR/txn.out" || fail "txn $f: $(head -3 "$T_DIR/txn.out")"
done
t0=$(now_ms)
all_assoc() { local a b; a=$(br_assoc a) b=$(br_assoc b); echo "bridge a: $a, bridge b: $b"; [ "$a" = $((N / 2)) ] && [ "$b" = $((N - N / 2)) ]; }
wait_for $((60 + N / 20)) "$N associated at the two bridges" all_assoc
t=$(($(now_ms) - t0))
pass "$N attachments over two hosts: all associated $(ms_to_s $t) s after the controller's last write"
echo "FIGURE fleet_attach_to_assoc N=$N ms=$t"
if [ "$N" -le 1000 ]; then # a larger registry show exceeds the control socket's reply limit
	answer rs vd a -j registry show
	assert_eq "$(json_get "$rs" '.vsis | length')" $((N / 2)) "host A's desired VSIs"
	assert_eq "$(json_get "$rs" '.fleet.unapplied')" 0 "entries host A could not apply"
fi
done_ok
