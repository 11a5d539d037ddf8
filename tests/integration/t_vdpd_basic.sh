#!/bin/bash
# vdpd end to end: vdpd (station) in namespace "host" on eth0, vdp-bridge
# (bridge role) in namespace "br" on the veth peer p0.  EVB negotiation,
# association seen on both sides, a refused VSI type, usage errors, link
# down/up re-association, SIGHUP reload without touching VSIs,
# de-association, and a stop that leaves the bridge's VSIs in place.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

UUID1=a1412857-60f7-4ce1-e95a-2164943f53dd
UUID2=09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
UUID3=6e5a1f0c-1d2b-4c3a-9e8f-7a6b5c4d3e2f
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bridgectl() { "$T_BUILD/vdp-bridge" -s "$BSOCK" "$@"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02

cat >"$T_DIR/vdpd.conf" <<CONF
global = { mgrid = "blabla"; };
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; } ); };
CONF

"$T_BUILD/vdpd" -t -f "$T_DIR/vdpd.conf" >/dev/null || fail "vdpd -t rejects a good config"
pass "vdpd -t accepts the config"

bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" -S "$T_DIR/state.json" -i "$T_DIR/vsis.json"
VDPD=$BG_PID
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show

# A second daemon on the same pid file refuses to start.
if nsx host "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$T_DIR/other.sock" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/other.json" -i "$T_DIR/other-vsis.json" 2>"$T_DIR/second.err"; then
	fail "a second vdpd started on the same pid file"
fi
grep -q "already running" "$T_DIR/second.err" || fail "second vdpd: $(cat "$T_DIR/second.err")"
pass "second vdpd refused: $(cat "$T_DIR/second.err")"

converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
pass "EVB negotiated after ${WAITED_MS} ms"

answer nb vdpctl -j neighbor show
assert_eq "$(json_get "$nb" '.[0].chassis_id')" 02:00:00:00:00:02 "neighbour chassis"
assert_eq "$(json_get "$nb" '.[0].port_id')" p0 "neighbour port"
assert_eq "$(json_get "$nb" '.[0].negotiated.rka')" 20 "negotiated RKA (max of 16 and 20)"
assert_eq "$(json_get "$nb" '.[0].negotiated.rte')" 10 "negotiated RTE (max of 10 and 8)"

# Events as they happen: one JSON object per line.
bg host monitor.log "$T_BUILD/vdpctl" -s "$SOCK" -j monitor vsi uplink
# subscribers, not clients: connected is not yet subscribed
wait_for 5 "monitor subscribed" bash -c "[ \"\$('$T_BUILD/vdpctl' -s '$SOCK' -j stats | jq '.ctl.subscribers')\" -ge 1 ]"

# ---- associate ----------------------------------------------------------------
vdpctl vsi add uplink eth0 mode assoc uuid $UUID1 mgrid 11 typeid 5 typeidver 4 \
	filter mac 52:54:00:c7:3e:ce vid 10 >"$T_DIR/add.out" 2>&1 ||
	fail "vsi add: $(cat "$T_DIR/add.out")"
answer v vdpctl -j vsi show id $UUID1
assert_eq "$(json_get "$v" 'length')" 1 "vdpd lists one VSI"
assert_eq "$(json_get "$v" '.[0].state')" assoc "vdpd VSI state"
assert_eq "$(json_get "$v" '.[0].filters[0].mac')" 52:54:00:c7:3e:ce "vdpd VSI MAC"
# The monitor is a process of its own: the event may reach its file after
# vsi add's answer.
wait_for 5 "monitor wrote a vsi event" grep -m1 '"event":"vsi"' "$T_DIR/monitor.log"
ev=$WAIT_OUT
assert_eq "$(json_get "$ev" '.data.event')" associated "monitor: vsi event"
assert_eq "$(json_get "$ev" '.data.vsi.vsiid')" $UUID1 "monitor: VSI of the event"
answer b bridgectl -j vsi show
assert_eq "$(json_get "$b" "[.[] | select(.vsiid == \"$UUID1\")] | .[0].mode")" assoc "bridge VSI mode"
assert_eq "$(json_get "$b" "[.[] | select(.vsiid == \"$UUID1\")] | .[0].filters[0].vid")" 10 "bridge VSI VID"

# A type the bridge does not know: refused, exit 1, reason printed.
rc=0
vdpctl vsi add uplink eth0 mode assoc uuid $UUID2 mgrid 11 typeid 99 typeidver 1 \
	filter mac 52:54:00:00:00:99 vid 11 >"$T_DIR/bad.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit code of a refused association"
grep -q "rejected by bridge" "$T_DIR/bad.out" || fail "refusal reason: $(cat "$T_DIR/bad.out")"
pass "refusal reported: $(grep Error "$T_DIR/bad.out")"

# Usage errors: exit 2 and "What is".
rc=0
vdpctl vsi add uplink eth0 colour red >"$T_DIR/usage.out" 2>&1 || rc=$?
assert_eq "$rc" 2 "exit code of a usage error"
grep -q 'What is "colour"?' "$T_DIR/usage.out" || fail "usage error text: $(head -1 "$T_DIR/usage.out")"
rc=0
vdpctl vsi add uplink eth9 mode assoc uuid $UUID3 typeid 5 typeidver 4 filter vid 3 \
	>"$T_DIR/nodev.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit code for an unknown uplink"
grep -q "eth9 is not a configured uplink (configured: eth0)" "$T_DIR/nodev.out" ||
	fail "unknown uplink text: $(cat "$T_DIR/nodev.out")"
# -j output is an array also with nothing to show.
assert_eq "$(vdpctl -j vsi show id $UUID3)" "[]" "empty vsi show in JSON"

# ---- link down / up -------------------------------------------------------------
ip -n "$(nsname host)" link set eth0 down
linkstate() { [ "$(json_q '.[0].link' vdpctl -j uplink show)" = "$1" ]; }
wait_for 5 "vdpd sees eth0 down" linkstate down
assert_eq "$(json_get "$(vdpctl -j vsi show id $UUID1)" '.[0].mode')" assoc "desired state kept while down"
# The bridge restarts meanwhile and forgets everything.
bridgectl restart >/dev/null || fail "bridge restart"
ip -n "$(nsname host)" link set eth0 up
wait_for 5 "vdpd sees eth0 up" linkstate up
# bridge_mode UUID: the VSI's mode at the bridge, "" if it answered without it
bridge_mode() { json_q "[.[] | select(.vsiid == \"$1\")] | .[0].mode // empty" bridgectl -j vsi show; }
on_bridge() { [ "$(bridge_mode "$1")" = assoc ]; }
wait_for 10 "VSI re-associated on the bridge after link up" on_bridge $UUID1
pass "re-associated ${WAITED_MS} ms after link up"
# Both directions, in this order, for eth0: the monitor's uplink events.
link_events() { jq -r 'select(.event == "uplink" and .data.uplink == "eth0") | .data.event' \
	"$T_DIR/monitor.log" | grep -x 'link-down\|link-up' | tr '\n' ' '; }
down_then_up() { local e; e=$(link_events); echo "$e"; [[ " $e" == *" link-down link-up "* ]]; }
wait_for 5 "monitor: link-down, then link-up of eth0" down_then_up
pass "monitor saw eth0 go down, then up: $WAIT_OUT"
answer __j vdpctl -j stats; le=$(json_get "$__j" '.daemon.link_events')
[ "$le" -ge 2 ] || fail "link events counted: $le"
pass "link events counted: $le"

# ---- reload -----------------------------------------------------------------
sed -i 's/rka = 16/rka = 17/' "$T_DIR/vdpd.conf"
answer __j vdpctl -j stats; reqs=$(json_get "$__j" '.uplinks[0].vdp.requests')
kill -HUP "$VDPD"
rka() { [ "$(vdpctl -j uplink show | jq -r '.[0].config.evb.rka')" = 17 ]; }
wait_for 5 "reload applied (rka 17)" rka
assert_eq "$(vdpctl -j stats | jq -r '.uplinks[0].vdp.requests')" "$reqs" "no new VSI request by reload"
assert_eq "$(json_get "$(vdpctl -j vsi show id $UUID1)" '.[0].state')" assoc "VSI still associated after reload"
echo 'uplinks = ( { name = "eth0"; evb = { r = 9; }; } );' >"$T_DIR/vdpd.conf"
kill -HUP "$VDPD"
wait_for 5 "bad reload logged" grep -q "reload refused, configuration unchanged" "$T_DIR/vdpd.log"
assert_eq "$(vdpctl -j uplink show | jq -r '.[0].config.evb.rka')" 17 "bad reload changed nothing"

# ---- de-associate ---------------------------------------------------------------
vdpctl vsi del uplink eth0 uuid $UUID1 >"$T_DIR/del.out" 2>&1 || fail "vsi del: $(cat "$T_DIR/del.out")"
assert_eq "$(vdpctl -j vsi show id $UUID1)" "[]" "vdpd forgot the de-associated VSI"
gone() { json_none ".[] | select(.vsiid == \"$UUID1\")" bridgectl -j vsi show; }
wait_for 5 "bridge removed the VSI" gone

# ---- stop keeps associations ------------------------------------------------------
vdpctl vsi add uplink eth0 mode assoc uuid $UUID3 mgrid 11 typeid 5 typeidver 4 \
	filter mac 52:54:00:00:00:03 vid 12 >/dev/null 2>&1 || fail "second association"
kill -TERM "$VDPD"
wait_for 5 "vdpd exits on SIGTERM" bash -c "! kill -0 $VDPD 2>/dev/null"
grep -q "stopping; VSIs stay associated" "$T_DIR/vdpd.log" || fail "no stop message"
[ ! -e "$SOCK" ] || fail "control socket left behind"
[ ! -e "$T_DIR/vdpd.pid" ] || fail "pid file left behind"
answer bvsis bridgectl -j vsi show
assert_eq "$(json_get "$bvsis" "[.[] | select(.vsiid == \"$UUID3\")] | .[0].mode")" assoc \
	"the bridge keeps the VSI when vdpd stopped"
pass "bridge keeps the VSI after vdpd stopped"

# ---- restart: the operator's VSIs come back from the intents file ------------
assert_eq "$(jq '.vsis | length' "$T_DIR/vsis.json")" 1 "intents kept on disk"
answer __j bridgectl -j counters show; deassocs=$(json_get "$__j" '.vdp.requests.deassoc')
cat >"$T_DIR/vdpd.conf" <<CONF
global = { mgrid = "blabla"; };
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
CONF
bg host vdpd2.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/state.json" -i "$T_DIR/vsis.json"
VDPD=$BG_PID
back() { [ "$(vdpctl -j vsi show id $UUID3 2>/dev/null | jq -r '.[0].state')" = assoc ]; }
wait_for 15 "VSI requested again after the restart and confirmed" back
pass "restarted vdpd re-associated the stored VSI in ${WAITED_MS} ms"
assert_eq "$(bridgectl -j counters show | jq '.vdp.requests.deassoc')" "$deassocs" \
	"no De-Associate reached the bridge across the restart"
kill -TERM "$VDPD"

done_ok
