#!/bin/bash
# vdp-bridge losing or dropping state, seen from lldpad:
#  - `restart` forgets every VSI as a crashed bridge would; lldpad's next
#    keep-alive (an Associate, 41.5.5) is admitted again as a new request.
#  - `vsi deassoc VSIID` sends a bridge-initiated De-Associate; lldpad
#    removes the VSI.  `vsi flush` does it for every VSI of the port.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
. "$(dirname "$0")/../lib/vdpbridge.sh"
require_root
require_cmd lldpad vdptool jq "$T_BUILD/vdp-bridge"

U=a1412857-60f7-4ce1-e95a-2164943f5
vbr_lldpad_pair
for i in 1 2 3; do
	vdp_req st eth0 assoc mgr1 4711 3 ${U}00$i 0-02:00:00:00:02:0$i || fail "assoc $i: $VDP_OUT"
done
assert_eq "$(vbr_j length vsi show)" 3 "bridge VSIs before restart"

a0=$(vbr_counter .vdp.admitted) || fail "no answer from the bridge for a0"
t0=$(now_ms)
vbr restart >/dev/null || fail "restart"
three() { [ "$(vbr_j length vsi show)" = 3 ]; }
wait_for 5 "keep-alives re-create the 3 VSIs" three
pass "bridge relearned 3 VSIs from keep-alives $(($(now_ms) - t0)) ms after restart"
assert_eq "$(vbr_counter .vdp.restarts)" 1 "restarts counted"
assert_eq "$(($(vbr_counter .vdp.admitted) - a0))" 3 "keep-alives admitted as new requests"
assert_eq "$(vbr_vsi ${U}002 '.filters[0].vid')" 10 "relearned VSI keeps VID 10"
for i in 1 2 3; do vdp_listed st eth0 ${U}00$i assoc || fail "lldpad lost VSI $i over the restart"; done
pass "lldpad kept all VSIs over the bridge restart"

st_gone() { ! vdp_listed st eth0 "$1" assoc; }
# readmitted U A0: the bridge admitted U again (admitted counter past A0; keep-alives of
# VSIs it still has are not admissions) and lldpad still has it.
readmitted() { [ "$(vbr_counter .vdp.admitted)" -gt "$2" ] && vbr_has_vsi "$1" assoc && ! st_gone "$1"; }
gone_or_readmitted() { st_gone "$1" || readmitted "$1" "$2"; }
# deassoc_reaches_lldpad U: the bridge de-associates U until lldpad removes it.
# lldpad keeps one ULPDU per interface for 2 ms and drops a second one arriving
# meanwhile (openlldp.md section 9, item 1), so a De-Associate that lands next to
# the response to one of its keep-alives (every 330 ms per VSI here) is lost; lldpad
# keeps U, its next keep-alive is admitted as a new Associate, and both ends agree
# again.  That is lldpad's bug, not ours: repeat, at most 5 times, and report it.
deassoc_reaches_lldpad()
{
	local u=$1 try a0
	for try in 1 2 3 4 5; do
		a0=$(vbr_counter .vdp.admitted) || fail "no answer from the bridge for a0"
		vbr vsi deassoc "$u" >/dev/null || fail "vsi deassoc $u"
		wait_for 5 "lldpad removes $u, or the bridge admits it again" gone_or_readmitted "$u" "$a0"
		if st_gone "$u"; then
			DEASSOC_TRIES=$try
			return 0
		fi
		info "lldpad lost the De-Associate of $u (try $try); the bridge admitted its next keep-alive"
	done
	fail "lldpad kept $u after 5 bridge De-Associates"
}

bd0=$(vbr_counter '.ports[0].bridge.bridge_deassoc') || fail "no answer from the bridge for bd0"
to0=$(vbr_counter '.ports[0].bridge.timeouts') || fail "no answer from the bridge for to0"
deassoc_reaches_lldpad ${U}002
pass "bridge-initiated De-Associate: lldpad removed VSI 2 in $WAITED_MS ms (De-Associates sent: $DEASSOC_TRIES)"
wait_for 5 "bridge forgets VSI 2" vbr_no_vsi ${U}002
vdp_listed st eth0 ${U}001 assoc && vdp_listed st eth0 ${U}003 assoc || fail "other VSIs lost"
pass "VSIs 1 and 3 untouched"
# A keep-alive that crossed the De-Associate is admitted and then ends at toutKeepAlive,
# which the bridge also counts as a De-Associate it sent.
assert_eq "$(($(vbr_counter '.ports[0].bridge.bridge_deassoc') - bd0))" \
	"$((DEASSOC_TRIES + $(vbr_counter '.ports[0].bridge.timeouts') - to0))" "bridge De-Associates counted"

# Flush: the bridge de-associates VSIs 1 and 3 in two ECPDUs, ack-paced,
# arriving at lldpad well under 2 ms apart.  lldpad (Debian 1.1) keeps one
# ULPDU per interface and processes it 2 ms later, so it loses one of them
# (openlldp.md section 9, item 1; here it lost one or both in every run):
# a VSI it still has keeps sending keep-alives and the bridge admits it again.  What must
# hold either way: both ends end up with the same associated VSIs.
vbr vsi flush >/dev/null || fail "vsi flush"
st_set() { vdp_list st eth0 | awk '$1 == "mode" { m = $3 } $1 == "uuid" && m == "assoc" { print $3 }' | sort | tr '\n' ' '; }
br_set() { vbr_j '[.[] | select(.mode == "assoc") | .vsiid] | sort | join(" ")' vsi show; }
# the bridge must answer: no answer is not "no VSI"
agree() { local a b; b=$(br_set) || return 1; a=$(st_set); echo "lldpad: $a bridge: $b"; [ "${a% }" = "$b" ]; }
wait_for 5 "lldpad and vdp-bridge agree on the associated VSIs after flush" agree
left=$(st_set)
n=$(printf '%s' "$left" | wc -w)
info "after flush: $WAIT_OUT"
pass "vsi flush: lldpad removed $((2 - n)) of 2 VSIs, both ends agree after $WAITED_MS ms (left: ${left:-none})"
for u in $left; do deassoc_reaches_lldpad "$u"; done
# A keep-alive lldpad sent just before a De-Associate reached it is admitted by the
# bridge after lldpad dropped the VSI; nothing refreshes it then, and the bridge's
# toutKeepAlive (1.5 x (327 ms + 7 x 164 ms) = 2.2 s here) ends it.
none_left() { agree && [ -z "$(st_set)" ]; }
wait_for 5 "no associated VSI at either end" none_left
pass "no VSI left at either end after $WAITED_MS ms (bridge keep-alive timeouts: $(vbr_counter '.ports[0].bridge.timeouts'))"
done_ok
