#!/bin/bash
# A refused change of an associated VSI with the keep bit (802.1Qbg 41.2.4:
# the bridge keeps the previous association): both ends must keep the
# association as it was confirmed before, and the refused filters must not
# slip in with the next keep-alive, nor into the stored intent (a restart
# would ask for them again and, with nothing confirmed yet, lose the VSI).
# vdpd vs vdp-bridge, fault rule "keep".
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
vsi_field() { json_q ".[0] | $2" vdpctl -j vsi show id "$1"; }
U=44444444-0000-4000-8000-000000000001

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:02:01 02:00:00:00:02:02
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 15; }; lldp = { tx_interval = 2; }; } );
CONF
vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 15; rte = 8; };
vdp = { types = ( { name = "web"; type_id = 5; version = 4; vlans = [ 11, 12 ]; } ); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
BG_PID_VDPD=$BG_PID
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"

vdpctl vsi add uplink eth0 mode assoc uuid $U typeid 5 typeidver 4 \
	filter mac 52:54:00:00:01:01 vid 11 >"$T_DIR/as.out" 2>&1 || fail "assoc: $(cat "$T_DIR/as.out")"
assert_eq "$(vbr_vsi $U '.filters[0].vid')" 11 "bridge VID before the change"

vbr fault set rule 5 reason 2 keep >/dev/null || fail "fault set rule 5 keep"
rc=0
vdpctl vsi add uplink eth0 mode assoc uuid $U typeid 5 typeidver 4 \
	filter mac 52:54:00:00:01:01 vid 12 >"$T_DIR/keep.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit status of a refused change (keep)"
assert_eq "$(vbr_vsi $U .mode)" assoc "bridge keeps the association"
assert_eq "$(vbr_vsi $U '.filters[0].vid')" 11 "bridge keeps the previously associated VID"
# Two keep-alives later nothing has changed at either end.
ka0=$(vbr_vsi $U .keepalives) || fail "no answer from the bridge for ka0"
more_ka() { [ "$(vbr_vsi $U .keepalives)" -ge $((ka0 + 2)) ]; }
wait_for 5 "two keep-alives after the kept refusal" more_ka
assert_eq "$(vbr_vsi $U '.filters[0].vid')" 11 "bridge VID after keep-alives"
assert_eq "$(vsi_field $U '.filters[0].vid')" 11 "vdpd's VID after keep-alives (what the bridge kept)"
INTENTS=${VDPD_INTENTS[1]:-}
if [ -n "$INTENTS" ]; then
	assert_eq "$(intents_now "$INTENTS" | jq --arg u $U '.vsis[] | select(.vsiid == $u) | .filters[0].vid')" 11 \
		"stored intent after the kept refusal (what the bridge kept)"
	# A restart asks for what the bridge kept: still associated, VID 11.
	kill -9 "$BG_PID_VDPD"
	wait "$BG_PID_VDPD" 2>/dev/null
	bg host vdpd2.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" \
		"${VDPD_INTENTS[@]}"
	assoc_again() { [ "$(vsi_field $U .state 2>/dev/null)" = assoc ]; }
	wait_for 10 "VSI associated again after kill -9 and restart" assoc_again
	assert_eq "$(vsi_field $U '.filters[0].vid')" 11 "VID after the restart"
	assert_eq "$(vbr_vsi $U .mode) $(vbr_vsi $U '.filters[0].vid')" "assoc 11" "bridge after the restart"
fi
done_ok
