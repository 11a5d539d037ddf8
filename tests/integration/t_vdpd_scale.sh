#!/bin/bash
# 1,000 VSIs: vdpd vs vdp-bridge.  Associate 1000 VSIs through one vdpctl -b
# batch (one control connection, adds not waiting, "vsi wait" at the end),
# time from the first request until all are associated; keep them alive for SCALE_SECS (default 120 s) at
# RKA 18 (2.62 s, about 45 keep-alive rounds) with no keep-alive timeout at
# the bridge and all 1000 associated at vdpd in the end.  Then the packer:
# the uplink goes down and up with all 1000 pending, and a capture shows
# ECPDUs carrying many VSI TLVs each (engine.md "Packing": 42 per ECPDU).
. "$(dirname "$0")/../lib/netns.sh"
. "$T_ROOT/tests/lib/vdpbridge.sh"

require_root
require_cmd ip jq tcpdump tshark "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
ST_MAC=02:00:00:00:04:01
N=${SCALE_N:-1000}
SECS=${SCALE_SECS:-120}
RKA=18
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
uuid_of() { printf '66666666-0000-4000-8000-%012x' "$1"; }
mac_of_vsi() { printf '52:54:00:00:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }

ns_add host
ns_add br
veth_add host eth0 br p0 $ST_MAC 02:00:00:00:04:02
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = $RKA; }; lldp = { tx_interval = 2; }; } );
CONF
vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 10; rte = 8; };
vdp = { max_vsis = 0; types = ( { name = "web"; type_id = 5; version = 4; vlan = 10; } ); };'
bg host vdpd.log "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged
assert_eq "$(vdpctl -j neighbor show | jq -r '.[0].negotiated.rka')" $RKA "negotiated RKA"
diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j uplink show | jq -c '.[0].vsis'"

br_assoc() { vbr_j .vsis_associated status; }
br_has() { [ "$(br_assoc)" -ge "$1" ]; }
st_assoc() { vdpctl -j uplink show | jq -r '.[0].vsis.associated'; }

# ---- associate N -------------------------------------------------------------
# One vdpctl, one control connection (vdpctl -b): the time is the daemon's
# and the bridge's, not that of N process starts.  The batch's adds do not
# wait; its last line waits until every VSI has its answer.
for ((i = 1; i <= N; i++)); do
	echo "vsi add uplink eth0 mode assoc uuid $(uuid_of $i) typeid 5 typeidver 4 filter mac $(mac_of_vsi $i) vid 10"
done >"$T_DIR/add.batch"
echo "vsi wait uplink eth0 timeout 60" >>"$T_DIR/add.batch"
t0=$(now_ms)
vdpctl -b "$T_DIR/add.batch" >"$T_DIR/add.out" 2>"$T_DIR/add.err" ||
	fail "vdpctl -b: $(tail -3 "$T_DIR/add.err")"
t_vdpd=$(($(now_ms) - t0))
assert_eq "$(tail -1 "$T_DIR/add.out")" "$N VSIs: $N answered, 0 failed, 0 pending" "vsi wait at the end of the batch"
wait_for 60 "bridge lists $N associated" br_has $N
t_all=$(($(now_ms) - t0))
pass "associated $N VSIs in $(ms_to_s $t_vdpd) s (one vdpctl -b; bridge lists all $N $(ms_to_s $t_all) s after the first request)"
assert_eq "$(br_assoc)" $N "bridge associated count"
wait_for 10 "vdpd shows $N associated" bash -c "[ \"\$('$T_BUILD/vdpctl' -s '$SOCK' -j uplink show | jq -r '.[0].vsis.associated')\" = $N ]"
pass "vdpd: $N associated"

# ---- keep alive for SECS ---------------------------------------------------------
ka0=$(vbr_counter '.ports[0].bridge.keepalives') || fail "no answer from the bridge for ka0"
t1=$(now_ms)
end=$((t1 + SECS * 1000))
# A control query may time out on a loaded machine: only a number that is
# wrong fails, and so do 5 unanswered queries in a row.
unanswered=0
while [ "$(now_ms)" -lt $end ]; do
	to=$(vbr_counter '.ports[0].bridge.timeouts') a=$(br_assoc)
	if [ -z "$to" ] || [ -z "$a" ]; then
		unanswered=$((unanswered + 1))
		[ $unanswered -lt 5 ] || fail "vdp-bridge did not answer 5 queries in a row"
	else
		unanswered=0
		[ "$to" = 0 ] || fail "bridge keep-alive timeouts: $to after $(ms_to_s $(($(now_ms) - t1))) s"
		[ "$a" = $N ] || fail "bridge associated: $a after $(ms_to_s $(($(now_ms) - t1))) s"
	fi
	sleep 1
done
ka=$(($(vbr_counter '.ports[0].bridge.keepalives') - ka0))
rounds=$((ka / N))
period_ms=$((10 * (1 << RKA) / 1000))
# What keeps every VSI is the absence of timeouts over a window longer than
# toutKeepAlive (checked every second above); the rate is a figure (make
# bench), the period is pinned by test_vdp_station_timers' test_keepalive_timing.
[ $rounds -ge 1 ] || fail "only $ka keep-alives for $N VSIs in $SECS s"
pass "$SECS s: $ka keep-alives at the bridge ($rounds rounds of $N, period $period_ms ms)"
assert_eq "$(vbr_counter '.ports[0].bridge.timeouts')" 0 "bridge keep-alive timeouts"
assert_eq "$(vbr_counter '.vdp.unsolicited_deassoc')" 0 "bridge unsolicited De-Associates"
assert_eq "$(vbr_counter '.ports[0].ecp.tx_errors')" 0 "bridge ECP give-ups"
assert_eq "$(st_assoc)" $N "vdpd associated after $SECS s"
assert_eq "$(vdpctl -j uplink show | jq -r '.[0].vsis.failed')" 0 "vdpd failed VSIs"

# ---- packing: all N pending at once -----------------------------------------------
capture br p0 pack.pcap ether proto 0x8940
vbr restart >/dev/null || fail "bridge restart"
ip -n "$(nsname host)" link set eth0 down
linkstate() { [ "$(vdpctl -j uplink show | jq -r '.[0].link')" = "$1" ]; }
wait_for 5 "vdpd sees eth0 down" linkstate down
t2=$(now_ms)
ip -n "$(nsname host)" link set eth0 up
wait_for 30 "bridge lists $N associated again" br_has $N
pass "after link up all $N re-associated in $(ms_to_s $(($(now_ms) - t2))) s"
capture_stop
tshark -r "$T_DIR/pack.pcap" -Y "eth.src == $ST_MAC && ecp.op == 0" -T fields -e vdp21.tlvtype \
	2>/dev/null | awk -F, '$1 != "" { print NF }' >"$T_DIR/pack.counts"
frames=$(wc -l <"$T_DIR/pack.counts")
multi=$(awk '$1 > 1' "$T_DIR/pack.counts" | wc -l)
maxt=$(sort -n "$T_DIR/pack.counts" | tail -1)
tlvs=$(awk '{ s += $1 } END { print s + 0 }' "$T_DIR/pack.counts")
[ "$multi" -ge 2 ] || fail "ECPDUs with more than one VSI TLV: $multi of $frames"
[ "$maxt" -ge 10 ] || fail "largest ECPDU carries $maxt TLVs"
pass "packing: $tlvs VSI TLVs in $frames station ECPDUs, $multi with > 1 TLV, up to $maxt per ECPDU"
done_ok
