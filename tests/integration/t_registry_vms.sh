#!/bin/bash
# Port-profile registry end to end: vdpd (station, namespace "host", eth0)
# and vdp-bridge (namespace "br", p0).  Two VMs bound on eth0 and attached
# to network A are associated at the bridge with A's VSI type and VLAN;
# one moves to network B and is re-associated with B's type and VLAN; a
# detach de-associates; kill -9 of vdpd and a restart keep the registry
# (snapshot + journal; a torn journal tail is dropped with a warning) and
# de-associate nothing at the bridge.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

VM1=0b3c9e2a-1111-4d4d-8e8e-000000000001
VM2=0b3c9e2a-1111-4d4d-8e8e-000000000002
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
STATE=$T_DIR/state/registry.json

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$BSOCK" "$@"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02

# Profiles and networks are static (vdpd.conf); bindings and attachments
# are run-time state (the state file).
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
registry = {
	policy = "off";
	profiles = (
		{ name = "web"; type = "802.1Qbg"; mgrid = 11; typeid = 5; typeidver = 4; },
		{ name = "db"; type = "802.1Qbg"; mgrid = 11; typeid = 6; typeidver = 4; }
	);
	uplinks = ( { dev = "eth0"; physnet = "datacenter"; mode = "vepa"; } );
	networks = (
		{ name = "A"; physnet = "datacenter"; profile = "web"; vlan = 10; },
		{ name = "B"; physnet = "datacenter"; profile = "db"; vlan = 20; }
	);
};
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; }, { name = "db"; type_id = 6; version = 4; } ); };
CONF

start_vdpd() {
	bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" -S "$STATE" "${VDPD_INTENTS[@]}"
	VDPD=$BG_PID
	wait_for 5 "vdpd answers on its socket" vdpctl registry show
}

start_vdpd
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged

# bridge_vsi UUID FIELD: a field of that VSI at the bridge ("" when absent)
bridge_vsi() { json_q "[.[] | select(.vsiid == \"$1\")] | .[0].$2 // empty" bridgectl -j vsi show; }
at_bridge() { [ "$(bridge_vsi "$1" mode)" = assoc ] && [ "$(bridge_vsi "$1" type_id)" = "$2" ] &&
	[ "$(bridge_vsi "$1" filters[0].vid)" = "$3" ]; }
gone_from_bridge() { json_none ".[] | select(.vsiid == \"$1\")" bridgectl -j vsi show; }

# ---- bind, then attach (VM1); attach, then bind (VM2) ------------------------
vdpctl bind $VM1 dev macvtap0 mac 52:54:00:00:00:01 uplink eth0 >/dev/null || fail "bind VM1"
assert_eq "$(vdpctl -j registry show | jq '.vsis | length')" 0 "a binding alone desires no VSI"
vdpctl attach $VM1 network A >/dev/null || fail "attach VM1"
vdpctl attach $VM2 network A >/dev/null || fail "attach VM2"
assert_eq "$(vdpctl -j registry show | jq '.vsis | length')" 1 "VM2's attachment waits for its binding"
vdpctl bind $VM2 dev macvtap1 mac 52:54:00:00:00:02 uplink eth0 >/dev/null || fail "bind VM2"
wait_for 10 "VM1 associated at the bridge with A's type 5, vlan 10" at_bridge $VM1 5 10
wait_for 10 "VM2 associated at the bridge with A's type 5, vlan 10" at_bridge $VM2 5 10
assert_eq "$(bridge_vsi $VM1 filters[0].mac)" 52:54:00:00:00:01 "VM1 MAC at the bridge"
pass "both VMs associated with network A's profile"

# resolve answers the hypervisor's question for VM1.
r=$(vdpctl -j resolve $VM1 2>&1); info "resolve: $r"
assert_eq "$(json_get "$r" .source_dev)" eth0.10 "source dev for A (VLAN device)"
assert_eq "$(json_get "$r" .virtualport.typeid)" 5 "typeid for A"
assert_eq "$(json_get "$r" .virtualport.instanceid)" $VM1 "instanceid = interface-id"

# ---- move VM1 to B --------------------------------------------------------------
vdpctl attach $VM1 network B >/dev/null || fail "move VM1"
wait_for 10 "VM1 re-associated with B's type 6, vlan 20" at_bridge $VM1 6 20
assert_eq "$(bridge_vsi $VM2 type_id)" 5 "VM2 stays on A"
pass "VM1 moved to network B in ${WAITED_MS} ms"

# ---- detach VM2 -----------------------------------------------------------------
vdpctl detach $VM2 >/dev/null || fail "detach VM2"
wait_for 10 "VM2 de-associated at the bridge" gone_from_bridge $VM2
pass "detach de-associated VM2"

# ---- kill -9 and restart --------------------------------------------------------
[ -s "$STATE" ] || fail "no state file $STATE"
# Every change after the first is a journal record, not a snapshot rewrite.
JOURNAL=$T_DIR/state/registry.journal
answer __j vdpctl -j registry show; records=$(json_get "$__j" '.status.journal.records')
[ "$records" -ge 5 ] || fail "journal holds $records records, expected the 5 changes after the first"
answer __j bridgectl -j counters show; deassoc_before=$(json_get "$__j" '.vdp.requests.deassoc')
kill -9 "$VDPD"
wait_for 5 "vdpd is gone" bash -c "! kill -0 $VDPD 2>/dev/null"
rm -f "$SOCK" "$T_DIR/vdpd.pid"
# What a crash in the middle of an append leaves: a short last record.
printf 'J 00000000000000ff 00000040 0000' >>"$JOURNAL"
start_vdpd
grep -q "registry.journal: torn last record at offset .* dropped" "$T_DIR/vdpd.log" ||
	fail "torn journal tail not reported"
assert_eq "$(vdpctl -j registry show | jq '.status.journal.torn_records')" 1 "torn record counted"
answer reg vdpctl -j registry show
assert_eq "$(json_get "$reg" '.attachments | map(select(.iface_id == "'$VM1'")) | .[0].network')" B \
	"VM1's attachment survived"
assert_eq "$(json_get "$reg" '.bindings | length')" 2 "both bindings survived"
assert_eq "$(json_get "$reg" '.vsis | length')" 1 "one desired VSI after restart"
wait_for 10 "EVB negotiated again" converged
# Keep-alives from the new vdpd reach the bridge for the same VSI.
ka=$(bridge_vsi $VM1 keepalives)
more_ka() { [ "$(bridge_vsi $VM1 keepalives)" -gt "$ka" ]; }
wait_for 30 "keep-alives for VM1 after the restart" more_ka
at_bridge $VM1 6 20 || fail "VM1 not associated with B's type after restart"
assert_eq "$(bridgectl -j counters show | jq '.vdp.requests.deassoc')" "$deassoc_before" \
	"no De-Associate reached the bridge across kill -9 + restart"
gone_from_bridge $VM2 || fail "VM2 came back"
pass "restart kept the registry and every association"

# ---- SIGHUP reloads the registry group -------------------------------------------
sed -i 's/name = "B"; physnet = "datacenter"; profile = "db"/name = "B"; physnet = "datacenter"; profile = "web"/' \
	"$T_DIR/vdpd.conf"
"$T_BUILD/vdpd" -t -f "$T_DIR/vdpd.conf" >/dev/null || fail "vdpd -t rejects the changed config"
kill -HUP "$VDPD"
wait_for 10 "VM1 re-associated with type 5 (network B now uses profile web)" at_bridge $VM1 5 20
pass "reload re-derived VM1 from the new profile in ${WAITED_MS} ms"
# Network B renamed while VM1 is attached to it: the whole reload is refused.
sed -i 's/name = "B"; physnet/name = "C"; physnet/' "$T_DIR/vdpd.conf"
kill -HUP "$VDPD"
wait_for 5 "bad reload refused" grep -q "reload refused, configuration unchanged: registry: " "$T_DIR/vdpd.log"
grep -q "reload refused, configuration unchanged: registry: .*attachments\[0\]: interface $VM1: network 'B' does not exist" \
	"$T_DIR/vdpd.log" || fail "refusal reason not logged"
# ... and kept for the operator (vdpctl stats, config show).
vdpctl stats | grep -q "last reload refused: registry: .*network 'B' does not exist" ||
	fail "refusal reason not in vdpctl stats: $(vdpctl stats | head -2)"
assert_eq "$(vdpctl -j network show B | jq -r '.[0].profile')" web "network B unchanged"
at_bridge $VM1 5 20 || fail "VM1 changed by a refused reload"
# vdpd -t checks the registry group too.
sed 's/typeid = 6;/typeid = 16777216;/' "$T_DIR/vdpd.conf" >"$T_DIR/bad.conf"
rc=0
"$T_BUILD/vdpd" -t -f "$T_DIR/bad.conf" >/dev/null 2>"$T_DIR/t.err" || rc=$?
assert_eq "$rc" 1 "vdpd -t exit code for a bad registry group"
grep -q 'registry.profiles\[1\]: "typeid" 16777216 out of range' "$T_DIR/t.err" || fail "vdpd -t: $(cat "$T_DIR/t.err")"
pass "bad registry reload refused; vdpd -t: $(cat "$T_DIR/t.err")"

done_ok
