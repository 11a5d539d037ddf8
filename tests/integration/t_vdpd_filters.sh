#!/bin/bash
# vdpd vs vdp-bridge: every filter info format (vid, mac-vid, group-vid,
# group-mac-vid; the group formats with group IDs negotiated in EVB on both
# sides, 802.1Qbg 41.2.8/41.2.9), associated and de-associated, checked in
# the bridge's own record (type, version, MAC, VLAN, group) and in vdpd's;
# pre-associate then associate; bridge errors without and with keep
# (41.2.4); a bridge-initiated De-Associate seen by vdpd, which associates
# the VSI again (it holds its desired state).
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
# vsi_field UUID JQ: one field of vdpd's record of a VSI
vsi_field() { json_q ".[0] | $2" vdpctl -j vsi show id "$1"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:01:01 02:00:00:00:01:02

cat >"$T_DIR/vdpd.conf" <<CONF
global = { mgrid = "blabla"; };
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; gid = true; }; lldp = { tx_interval = 2; }; } );
CONF
"$T_BUILD/vdpd" -t -f "$T_DIR/vdpd.conf" >/dev/null || fail "vdpd -t rejects the config"
vbr_start br 'interfaces = [ "p0" ];
evb = { bgid = true; rka = 15; rte = 8; };
vdp = { types = (
	{ name = "web"; type_id = 5; version = 4; vlan = 10; vlans = [ 11, 12, 13, 14, 15 ]; },
	{ name = "db"; type_id = 7; version = 1; vlan = 20; }
); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
wait_for 5 "vdp-bridge EVB converged on p0" vbr_converged p0
pass "EVB negotiated after ${WAITED_MS} ms"

# Group IDs are in use only if the bridge says BGID and the station SGID.
answer nb vdpctl -j neighbor show
assert_eq "$(json_get "$nb" '.[0].evb.bgid')" true "bridge's BGID as vdpd received it"
answer up vbr -j uplink show port p0
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j neighbor show"
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"
sgid=$(printf '%s' "$up" | jq -r '.. | objects | select(has("sgid")) | .sgid' | head -1)
assert_eq "$sgid" true "station's SGID as vdp-bridge received it"

# ---- one association per filter format -----------------------------------------
# format  uuid  filter words  expected mac  vid  group
check_format()
{
	local fmt=$1 uuid=$2 words=$3 mac=$4 vid=$5 grp=$6 b
	vdpctl vsi add uplink eth0 mode assoc uuid "$uuid" mgrid blabla typeid 5 typeidver 4 \
		filter $words format "$fmt" >"$T_DIR/add.out" 2>&1 ||
		fail "$fmt: vsi add: $(cat "$T_DIR/add.out")"
	assert_eq "$(vsi_field "$uuid" .state)" assoc "$fmt: vdpd state"
	assert_eq "$(vsi_field "$uuid" .filter_format)" "$fmt" "$fmt: vdpd filter format"
	b=$(vbr_vsi "$uuid") || fail "$fmt: bridge has no record of $uuid"
	assert_eq "$(json_get "$b" .mode)" assoc "$fmt: bridge mode"
	assert_eq "$(json_get "$b" .filter_format)" "$fmt" "$fmt: bridge filter format"
	assert_eq "$(json_get "$b" .type_id)/$(json_get "$b" .type_version)" 5/4 "$fmt: bridge type/version"
	assert_eq "$(json_get "$b" .mgrid)" blabla "$fmt: bridge manager ID"
	assert_eq "$(json_get "$b" '.filters | length')" 1 "$fmt: bridge filter count"
	assert_eq "$(printf '%s' "$b" | jq -r '.filters[0].mac')" "$mac" "$fmt: bridge MAC"
	assert_eq "$(printf '%s' "$b" | jq -r '.filters[0].vid')" "$vid" "$fmt: bridge VID"
	assert_eq "$(printf '%s' "$b" | jq -r '.filters[0].group')" "$grp" "$fmt: bridge group"
	vdpctl vsi del uplink eth0 uuid "$uuid" >"$T_DIR/del.out" 2>&1 ||
		fail "$fmt: vsi del: $(cat "$T_DIR/del.out")"
	assert_eq "$(vdpctl -j vsi show id "$uuid")" "[]" "$fmt: vdpd forgot the VSI"
	wait_for 5 "$fmt: bridge removed $uuid" vbr_no_vsi "$uuid"
	pass "$fmt: de-associated on the bridge"
}
check_format vid 11111111-0000-4000-8000-000000000001 "vid 11" null 11 null
check_format mac-vid 11111111-0000-4000-8000-000000000002 "mac 52:54:00:00:00:02 vid 12" \
	52:54:00:00:00:02 12 null
check_format group-vid 11111111-0000-4000-8000-000000000003 "vid 13 group 1003" null 13 1003
check_format group-mac-vid 11111111-0000-4000-8000-000000000004 \
	"mac 52:54:00:00:00:04 vid 14 group 1004" 52:54:00:00:00:04 14 1004
# VID 0: the bridge chooses the type's VLAN and vdpd adopts it.
check_format mac-vid 11111111-0000-4000-8000-000000000005 "mac 52:54:00:00:00:05 vid 0" \
	52:54:00:00:00:05 10 null

# ---- pre-associate, then associate ---------------------------------------------
U=22222222-0000-4000-8000-000000000001
vdpctl vsi add uplink eth0 mode preassoc uuid $U mgrid blabla typeid 5 typeidver 4 \
	filter mac 52:54:00:00:01:01 vid 11 >"$T_DIR/pre.out" 2>&1 || fail "preassoc: $(cat "$T_DIR/pre.out")"
assert_eq "$(vsi_field $U .state)" preassoc "vdpd state after pre-associate"
assert_eq "$(vbr_vsi $U .mode)" preassoc "bridge mode after pre-associate"
vdpctl vsi add uplink eth0 mode assoc uuid $U mgrid blabla typeid 5 typeidver 4 \
	filter mac 52:54:00:00:01:01 vid 11 >"$T_DIR/as.out" 2>&1 || fail "assoc: $(cat "$T_DIR/as.out")"
assert_eq "$(vsi_field $U .state)" assoc "vdpd state after associate"
assert_eq "$(vbr_vsi $U .mode)" assoc "bridge mode after associate"
assert_eq "$(vbr_j '[.[] | select(.mode == "preassoc")] | length' vsi show)" 0 "no pre-association left at the bridge"

# ---- bridge error without keep: a new VSI is refused and ends -------------------
# (reason 5: final; reasons 2 and 3 are asked again, t_vdpd_heal)
vbr fault set rule 7 reason 5 >/dev/null || fail "fault set rule 7"
U2=33333333-0000-4000-8000-000000000001
rc=0
vdpctl vsi add uplink eth0 mode assoc uuid $U2 mgrid blabla typeid 7 typeidver 1 \
	filter mac 52:54:00:00:02:01 vid 20 >"$T_DIR/rej.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit status of a refused association"
grep -q "invalid VID, GroupID or MAC address" "$T_DIR/rej.out" || fail "refusal text: $(cat "$T_DIR/rej.out")"
assert_eq "$(vsi_field $U2 .end_reason)" "rejected by bridge" "vdpd end reason (no keep)"
assert_eq "$(vsi_field $U2 '.status % 16')" 5 "vdpd keeps the bridge's reason 5"
assert_eq "$(vsi_field $U2 .retry.state)" given-up "not asked again"
assert_eq "$(vsi_field $U2 .state)" none "refused VSI not associated at vdpd"
vbr_no_vsi $U2 || fail "bridge kept a refused VSI"
pass "bridge has no record of the refused VSI"

# ---- bridge error with keep: a refused change keeps the association ------------
vbr fault set rule 5 reason 2 keep >/dev/null || fail "fault set rule 5 keep"
rc=0
vdpctl vsi add uplink eth0 mode assoc uuid $U mgrid blabla typeid 5 typeidver 4 \
	filter mac 52:54:00:00:01:01 vid 12 >"$T_DIR/keep.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit status of a refused change (keep)"
assert_eq "$(vsi_field $U .state)" assoc "vdpd keeps the association (keep bit)"
# The refusal's status as vdpd logged it when the answer came: the record's
# status is the last answer's, and the next keep-alive's (due ~0.5 s after
# the refusal) is a success without the keep bit (seen under load).
grep -q "refused by the bridge: .* (kept: state assoc)" "$T_DIR/keep.out" || fail "vsi add's answer: $(cat "$T_DIR/keep.out")"
st=$(grep -o "VSI $U: kept (.*, status 0x[0-9a-f]*" "$T_DIR/vdpd.log" | tail -1 | sed 's/.*status 0x//')
[ -n "$st" ] || fail "no kept line for $U in vdpd.log"
assert_eq "$(((16#$st >> 5) & 1))" 1 "vdpd saw the keep bit (status 0x$st)"
assert_eq "$(vbr_vsi $U .mode)" assoc "bridge keeps the association"
# Which filters each end keeps after a kept refusal: t_vdpd_keep.sh.
[ "$(vbr_counter .vdp.keep)" -ge 1 ] || fail "bridge keep counter"
# The association lives on: keep-alives continue to be answered (rules decide new
# requests only).  Two more keep-alives at the bridge prove it.
ka0=$(vbr_vsi $U .keepalives) || fail "no answer from the bridge for ka0"
more_ka() { [ "$(vbr_vsi $U .keepalives)" -ge $((ka0 + 2)) ]; }
wait_for 5 "two keep-alives after the kept refusal" more_ka
assert_eq "$(vsi_field $U .state)" assoc "vdpd still associated after keep-alives"
vbr fault clear >/dev/null || fail "fault clear"

# ---- bridge-initiated De-Associate -----------------------------------------------
# vdpd holds this VSI's desired state (vsi add): its reconciler asks again.
bd() { vdpctl -j stats | jq -er '.daemon.vsi_events["bridge-deassociated"]'; }
bd0=$(bd) || fail "stats"
[[ $bd0 =~ ^[0-9]+$ ]] || fail "bridge-deassociated events: '$bd0'"
re0=$(vdpctl -j stats | jq -er .reconcile.reassociations) || fail "stats"
vbr vsi deassoc $U >"$T_DIR/bdeassoc.out" 2>&1 || fail "bridge deassoc: $(cat "$T_DIR/bdeassoc.out")"
seen() { local n; n=$(bd) && [ "$n" -gt "$bd0" ]; }
wait_for 5 "vdpd sees the bridge's De-Associate" seen
pass "bridge De-Associate reached vdpd in ${WAITED_MS} ms"
healed() { local n; n=$(vdpctl -j stats | jq -er .reconcile.reassociations) && [ "$n" -gt "$re0" ] &&
	[ "$(vsi_field $U .state)" = assoc ] && vbr_has_vsi $U assoc; }
wait_for 5 "vdpd associates it again" healed
pass "re-associated by vdpd after the bridge's De-Associate"
vdpctl vsi del uplink eth0 uuid $U >/dev/null || fail "vsi del"
vbr_gone() { vbr_no_vsi $U && [ "$(vbr_j 'length' vsi show)" = 0 ]; }
wait_for 5 "bridge has no VSI left after vsi del" vbr_gone
pass "bridge has no VSI left"

done_ok
