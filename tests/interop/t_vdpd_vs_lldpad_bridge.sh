#!/bin/bash
# vdpd (station) against Debian's lldpad in the bridge role (evbmode=bridge,
# openlldp.md 3.9): EVB negotiates (vdpctl neighbor show has lldpad's
# values), VSIs are associated and kept alive (lldpad's bridge accepts every
# request), the capture shows lldpad's responses to the keep-alives, and
# vdpd still lists them associated after more than two keep-alive periods.
# lldpad's known defect: a station De-Associate is taken for a keep-alive,
# the bridge keeps the VSI and later sends an unsolicited De-Associate for
# it; vdpd must ignore that for a VSI it already forgot and keep the rest.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/lldpad.sh"
require_root
require_cmd ip jq lldpad lldptool tshark tcpdump "$T_BUILD/vdpd" "$T_BUILD/vdpctl"

ST_MAC=02:00:00:00:aa:11 BR_MAC=02:00:00:00:bb:11
SOCK=$T_DIR/vdpd.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
uuid_of() { printf '88888888-0000-4000-8000-%012x' "$1"; }
N=3

ns_add st
ns_add br
veth_add st eth0 br eth0 $ST_MAC $BR_MAC
capture br eth0 ecp.pcap ether proto 0x8940

# Different values on purpose: the operative ones are the maxima (D.2.13).
lldpad_start br eth0 bridge ecprte=12 vdprka=16 vdprwd=18
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { r = 3; rte = 14; rwd = 20; rka = 15; }; lldp = { tx_interval = 2; }; } );
CONF
bg st vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
t0=$(now_ms)
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 30 "EVB negotiated with lldpad" converged
pass "EVB negotiated with lldpad $(ms_to_s $(($(now_ms) - t0))) s after vdpd start"
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j neighbor show"
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j vsi show"

answer nb vdpctl -j neighbor show
info "neighbour: $nb"
assert_eq "$(json_get "$nb" '.[0].chassis_id')" $BR_MAC "neighbour chassis (lldpad's MAC)"
assert_eq "$(json_get "$nb" '.[0].evb.mode')" 1 "neighbour EVB mode (1 = bridge)"
assert_eq "$(json_get "$nb" '.[0].evb.rrcap')" true "lldpad's RRCAP"
assert_eq "$(json_get "$nb" '.[0].negotiated.rte')" 14 "negotiated RTE = max(14, 12)"
assert_eq "$(json_get "$nb" '.[0].negotiated.rka')" 16 "negotiated RKA = max(15, 16)"
assert_eq "$(json_get "$nb" '.[0].negotiated.rwd')" 20 "negotiated RWD = max(20, 18)"
assert_eq "$(json_get "$nb" '.[0].negotiated.r')" 3 "negotiated R"
# lldpad's side: it received our TLV as a station's and converged to the same values.
lldpad_wait_evb br eth0 station
br=$(lldpad_evb br eth0 | evb_parse)
info "lldpad bridge sends: $br"
assert_eq "$(evb_field "$br" rka)" 16 "lldpad sends RKA 16"
assert_eq "$(evb_field "$br" rte)" 14 "lldpad sends RTE 14 (max with ours)"

# ---- associate and keep alive -------------------------------------------------
for ((i = 1; i <= N; i++)); do
	vdpctl vsi add uplink eth0 mode assoc uuid "$(uuid_of $i)" mgrid 0 typeid 4711 typeidver 3 \
		filter mac "$(printf '52:54:00:00:11:%02x' $i)" vid 10 >"$T_DIR/add.out" 2>&1 ||
		fail "vsi add #$i: $(cat "$T_DIR/add.out")"
done
assert_eq "$(vdpctl -j uplink show | jq -r '.[0].vsis.associated')" $N "vdpd: associated"
wait_for 5 "lldpad bridge processed type 4711" lldpad_br_processed br eth0 4711
t1=$(now_ms)
# Keep-alives: station Associate requests and lldpad's Associate responses.
resp_count() { tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $BR_MAC && ecp.op == 0 && vdp21.tlvtype == 3" 2>/dev/null | wc -l; }
req_count() { tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $ST_MAC && ecp.op == 0 && vdp21.tlvtype == 3" 2>/dev/null | wc -l; }
r0=$(resp_count)
# More than two periods (655 ms): three keep-alive rounds answered.
# lldpad answers each VSI's keep-alive in its own ECPDU: 3 rounds = 3 x N.
more_resp() { local n; n=$(resp_count); echo "$n responses"; [ "$n" -ge $((r0 + 3 * N)) ]; }
wait_for 10 "three rounds of lldpad keep-alive responses" more_resp
dt=$(($(now_ms) - t1))
[ $dt -ge 1310 ] || fail "three rounds after only $dt ms (period 655 ms)"
pass "lldpad answered keep-alives: $(resp_count) Associate responses, $(req_count) station requests in the capture"
assert_eq "$(vdpctl -j uplink show | jq -r '.[0].vsis.associated')" $N "vdpd: associated after $(ms_to_s $dt) s"
assert_eq "$(vdpctl -j uplink show | jq -r '.[0].vsis.failed')" 0 "vdpd: failed"
# ---- de-associate one: lldpad's defect --------------------------------------------
U1=$(uuid_of 1)
vdpctl vsi del uplink eth0 uuid "$U1" >"$T_DIR/del.out" 2>&1 || fail "vsi del: $(cat "$T_DIR/del.out")"
assert_eq "$(vdpctl -j vsi show id "$U1")" "[]" "vdpd forgot the de-associated VSI"
pass "lldpad answered the De-Associate"
# lldpad keeps it and de-associates it itself after its keep-alive timeout:
# an unsolicited De-Associate request (TLV 4, from the bridge).
unsolicited() { tshark -r "$T_DIR/ecp.pcap" -Y "eth.src == $BR_MAC && ecp.op == 0 && vdp21.tlvtype == 4" 2>/dev/null | grep -q .; }
soft_wait() { local lim=$1 t0; shift; t0=$(now_ms); until "$@"; do
	[ $(($(now_ms) - t0)) -lt $((lim * 1000)) ] || return 1; sleep 0.2; done; WAITED_MS=$(($(now_ms) - t0)); }
if soft_wait 20 unsolicited; then
	pass "lldpad sent its unsolicited De-Associate $(ms_to_s $WAITED_MS) s after vdpd deleted the VSI (openlldp.md 3.9)"
else
	info "no unsolicited De-Associate from lldpad within 20 s"
fi
assert_eq "$(vdpctl -j uplink show | jq -r '.[0].vsis.associated')" $((N - 1)) "vdpd: the others stay associated"
assert_eq "$(vdpctl -j vsi show id "$U1")" "[]" "vdpd did not resurrect the deleted VSI"
# Wire admission lets every frame of lldpad's EVB agent and ECP through.
st=$(vdpctl -j stats)
[ -n "$st" ] || fail "vdpctl stats: empty answer"
assert_eq "$(printf '%s' "$st" | jq -c '.uplinks[0] | [.ecp.rx_drop_dst, .ecp.rx_drop_src, .lldp.rx_drop_peer]')" \
	"[0,0,0]" "vdpd: lldpad's ECPDUs and LLDPDUs refused (to another address, from another MAC, another neighbour)"
capture_stop
done_ok
