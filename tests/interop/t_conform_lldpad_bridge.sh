#!/bin/bash
# Conformance cases against Debian's lldpad in the bridge role, where
# lldpad can produce them (its bridge echoes each request's filters and
# admits everything; it cannot refuse a keep-alive or set a priority):
#  1. a priority asked for (PS 1, PCP 5) answered as asked: associated,
#     kept alive;
#  3. several filter entries: one MAC on two VLANs associated;
#  4. lldpad raises ECP R and RTE at run time (lldptool): vdpd's operative
#     values and the values ECP and VDP use follow, the VSIs stay
#     associated;
#  5. group IDs: lldpad without BGID -> vdpd refuses a group-ID format
#     locally; lldpad's BGID switched on at run time -> group IDs in use
#     and a GroupID/MAC/VID request is associated by lldpad.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/conform.sh"
require_root
require_cmd ip jq lldpad lldptool "$T_BUILD/vdpd" "$T_BUILD/vdpctl"

ST_MAC=02:00:00:00:aa:21 BR_MAC=02:00:00:00:bb:21
SOCK=$T_DIR/vdpd.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
U=9c9c0000-0000-4000-8000-0000000000

ns_add st
ns_add br
veth_add st eth0 br eth0 $ST_MAC $BR_MAC
lldpad_start br eth0 bridge ecprte=10 vdprka=15
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { r = 3; rte = 10; rwd = 20; rka = 15; gid = true; }; lldp = { tx_interval = 1; }; } );
CONF
bg st vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 30 "EVB negotiated with lldpad" converged
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j uplink show"
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"

add() { local u=$U$1; shift; rc=0
	vdpctl vsi add uplink eth0 mode assoc uuid "$u" mgrid 0 typeid 4711 typeidver 3 "$@" \
		>"$T_DIR/add.out" 2>&1 || rc=$?; }

# ---- 1. a priority asked for and answered --------------------------------------------
add 01 filter mac 52:54:00:00:21:01 vid 10 pcp 5
[ "$rc" = 0 ] || fail "assoc with PCP 5: $(cat "$T_DIR/add.out")"
jset f '.[0] | "\(.state) \(.filters[0].ps) \(.filters[0].pcp) \(.filters[0].pcp_assigned)"' vdpctl -j vsi show id ${U}01
assert_eq "$f" "assoc true 5 false" "vdpd: associated with PCP 5 as asked (lldpad echoes it)"

# ---- 3. one MAC on two VLANs -------------------------------------------------------------
add 02 filter mac 52:54:00:00:21:02 vid 10 filter mac 52:54:00:00:21:02 vid 11
[ "$rc" = 0 ] || fail "one MAC on two VLANs: $(cat "$T_DIR/add.out")"
jset f '.[0] | "\(.state) \([.filters[].vid] | join(","))"' vdpctl -j vsi show id ${U}02
assert_eq "$f" "assoc 10,11" "vdpd: one MAC on VLANs 10 and 11 associated"

# ---- 5a. group IDs not negotiated (lldpad: evbgpid false) ------------------------------------
jset g '.[0].evb.oper.gid | tostring' vdpctl -j uplink show
assert_eq "$g" false "group IDs not in use (lldpad sends no BGID)"
add 03 filter mac 52:54:00:00:21:03 vid 10 group 7 format group-mac-vid
[ "$rc" != 0 ] || fail "group format accepted without group IDs"
grep -q "group IDs were not negotiated" "$T_DIR/add.out" || fail "reason: $(cat "$T_DIR/add.out")"
pass "refused by vdpd: $(head -1 "$T_DIR/add.out")"

# ---- 4. lldpad raises R and RTE at run time -----------------------------------------------
lldpad_evb_set br eth0 ecpretries=5 ecprte=13
raised() { [ "$(vdpctl -j uplink show | jq -r '.[0].evb | "\(.oper.r) \(.oper.rte)"')" = "5 13" ]; }
wait_for 10 "vdpd follows lldpad's R 5, RTE 13" raised
pass "operative R 5, RTE 13 ${WAITED_MS} ms after lldptool"
jset f '.[0].evb | "\(.ack_timeout_us) \(.ecp_max_retries)"' vdpctl -j uplink show
assert_eq "$f" "81920 5" "in use at vdpd: ack timer 81.92 ms, 5 retries"
both_assoc() { [ "$(vdpctl -j uplink show | jq -r '.[0].vsis.associated')" = 2 ]; }
wait_for 5 "both VSIs associated after the change" both_assoc

# ---- 5b. lldpad's BGID switched on -----------------------------------------------------------
lldpad_evb_set br eth0 evbgpid=yes
gid_on() { [ "$(vdpctl -j uplink show | jq -r '.[0].evb.oper.gid')" = true ]; }
wait_for 10 "group IDs in use after lldpad's BGID" gid_on
add 04 filter mac 52:54:00:00:21:04 vid 10 group 7 format group-mac-vid
[ "$rc" = 0 ] || fail "group-mac-vid with group IDs: $(cat "$T_DIR/add.out")"
jset f '.[0] | "\(.state) \(.filters[0].group) \(.filters[0].vid)"' vdpctl -j vsi show id ${U}04
assert_eq "$f" "assoc 7 10" "vdpd: GroupID/MAC/VID associated by lldpad"
done_ok
