#!/bin/bash
# The registry path with a real libvirtd (tests/libvirt/libvirtd.sh): vdpd's
# registry knows two 802.1Qbg profiles on physical network "lab" (uplink
# bqbg0); `vdpctl export libvirt-network web` gives the libvirt <network>
# (forward vepa, one portgroup per profile), virsh net-define/net-start take
# it, and domains with <source network='web' portgroup='...'/> are associated
# at the bridge with their portgroup's VSI type (docs/registry.md).
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
. "$(dirname "$0")/libvirtd.sh"

MGR=11
WEB_T=1193047 WEB_V=2 WEB_VLAN=100
DB_T=4711 DB_V=3 DB_VLAN=200
NET=web

lv_setup "registry = {
	profiles = (
		{ name = \"web\"; type = \"802.1Qbg\"; mgrid = $MGR; typeid = $WEB_T; typeidver = $WEB_V; },
		{ name = \"db\"; type = \"802.1Qbg\"; mgrid = $MGR; typeid = $DB_T; typeidver = $DB_V; }
	);
	uplinks = ( { dev = \"$LV_DEV\"; physnet = \"lab\"; mode = \"vepa\"; } );
	networks = (
		{ name = \"web\"; physnet = \"lab\"; profile = \"web\"; },
		{ name = \"db\"; physnet = \"lab\"; profile = \"db\"; }
	);
};" "{ name = \"web\"; type_id = $WEB_T; version = $WEB_V; vlan = $WEB_VLAN; },
{ name = \"db\"; type_id = $DB_T; version = $DB_V; vlan = $DB_VLAN; }"

# ---- the exported network -----------------------------------------------------------
vdpctl export libvirt-network $NET >"$T_DIR/net.xml" 2>&1 || fail "vdpctl export: $(cat "$T_DIR/net.xml")"
info "vdpctl export libvirt-network $NET:"
sed 's/^/    /' "$T_DIR/net.xml" >&2
xq() { xmllint --xpath "$1" - <"$T_DIR/net.xml" 2>/dev/null; }
if command -v xmllint >/dev/null; then
	assert_eq "$(xq 'string(/network/forward/@mode)')" vepa "exported forward mode"
	assert_eq "$(xq 'string(/network/forward/interface/@dev)')" $LV_DEV "exported uplink"
	assert_eq "$(xq "string(//portgroup[@name='db']/virtualport/parameters/@typeid)")" $DB_T "portgroup db typeid"
fi
grep -q "<forward mode=\"vepa\">" "$T_DIR/net.xml" || fail "no vepa forward in the export"
out=$(virsh net-define /dev/stdin <"$T_DIR/net.xml" 2>&1) || fail "virsh net-define: $out"
out=$(virsh net-start $NET 2>&1) || fail "virsh net-start: $out"
assert_eq "$(virsh net-info $NET | awk '/^Active:/ {print $2}')" yes "libvirt network $NET active"

# ---- one domain per portgroup (and one on the default) ----------------------------------
# check_dom NAME UUID MAC PORTGROUP TYPE VERSION VLAN
check_dom()
{
	local name=$1 uuid=$2 mac=$3 pg=$4 type=$5 ver=$6 vlan=$7 inst live
	lv_define "$name" "$uuid" "    <interface type='network'>
      <mac address='$mac'/>
      <source network='$NET'${pg:+ portgroup='$pg'}/>
      <model type='virtio'/>
      <rom enabled='no'/>
    </interface>"
	lv_start "$name"
	[ $LV_RC = 0 ] || fail "virsh start $name: $LV_OUT"
	pass "virsh start $name (portgroup ${pg:-default}) took $(ms_to_s $LV_MS) s"
	NET_START_MS="$NET_START_MS $(ms_to_s $LV_MS)"
	live=$(virsh dumpxml "$name")
	# libvirt merged the network's virtualport and generated the instanceid
	inst=$(echo "$live" | sed -n "s/.*<parameters [^>]*instanceid='\([0-9a-f-]*\)'.*/\1/p" | head -1)
	[ -n "$inst" ] || fail "no instanceid in the live XML of $name: $(echo "$live" | grep -A4 '<interface')"
	echo "$live" | grep -q "typeid='$type'" || fail "live XML of $name lacks typeid $type"
	echo "$live" | grep -q "<source network='$NET'.* dev='$LV_DEV' mode='vepa'" ||
		fail "live XML of $name: $(echo "$live" | grep '<source')"
	on_bridge() { [ "$(vbr_vsi "$inst" .mode)" = assoc ]; }
	wait_for 5 "bridge has $name's VSI" on_bridge
	assert_eq "$(vbr_vsi "$inst" .type_id)/$(vbr_vsi "$inst" .type_version)" "$type/$ver" \
		"bridge: $name ($inst) type/version"
	assert_eq "$(vbr_vsi "$inst" '.filters[0].mac')/$(vbr_vsi "$inst" '.filters[0].vid')" "$mac/$vlan" \
		"bridge: $name filter MAC/VID"
	assert_eq "$(json_get "$(vdpctl -j vsi show id "$inst")" '.[0].state')" assoc "vdpctl: $name state"
	eval "INST_$name=$inst"
}

check_dom dbvm 22222222-2222-3333-4444-555555555551 52:54:00:00:db:01 db $DB_T $DB_V $DB_VLAN
check_dom webvm 22222222-2222-3333-4444-555555555552 52:54:00:00:eb:01 "" $WEB_T $WEB_V $WEB_VLAN
assert_eq "$(vbr_j 'length' vsi show)" 2 "bridge VSIs"

# ---- stop: both de-associated, network torn down --------------------------------------
for d in dbvm webvm; do
	out=$(virsh destroy $d 2>&1) || fail "virsh destroy $d: $out"
done
gone() { vbr_no_vsi "$INST_dbvm" && vbr_no_vsi "$INST_webvm"; }
wait_for 5 "bridge dropped both VSIs" gone
pass "both VSIs de-associated after destroy"
out=$(virsh net-destroy $NET 2>&1) || fail "virsh net-destroy: $out"

info "figures: virsh start (network portgroups)$NET_START_MS s, libvirtd ready $(ms_to_s $LV_START_MS) s after ${LV_TRIES} start(s)"
done_ok
