#!/bin/bash
# The control socket under an unfriendly local client: 990 idle
# connections and 10 that send one byte every 4 s.  vdpctl, a "vsi add"
# and the libvirt network hook still succeed within 2 s each; clients over
# the cap read "busy: 64 clients" before the close; the slow writers are
# closed by the frame deadline (10 s from a frame's first byte), not kept
# alive by each byte; vdpd keeps running and counts all of it.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq timeout "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge" "$T_BUILD/tests/ctl_flood"

UUID1=a1412857-60f7-4ce1-e95a-2164943f53dd
PORT_IID=ed60a7fb-5c4d-4e3f-a2b1-c0d9e8f7a6b5
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock
export VDPCTL=$T_BUILD/vdpctl VDPD_SOCKET=$SOCK

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02

cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 2; }; } );
registry = {
	profiles = ( { name = "sales"; type = "802.1Qbg"; mgrid = 11; typeid = 4242; typeidver = 2; } );
	uplinks = ( { dev = "eth0"; physnet = "datacenter"; mode = "vepa"; } );
	networks = ( { name = "qbgnet"; physnet = "datacenter"; profile = "sales"; } );
};
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; } ); };
CONF
cat >"$T_DIR/port.xml" <<XML
<hookData>
  <network connections='1'>
    <name>qbgnet</name>
    <uuid>3c1d5b1e-8f4b-4c2a-9d7e-6a5b4c3d2e1f</uuid>
    <forward dev='eth0' mode='vepa'><interface dev='eth0' connections='1'/></forward>
    <virtualport type='802.1Qbg'><parameters managerid='11' typeidversion='2'/></virtualport>
    <portgroup name='sales' default='yes'><virtualport><parameters typeid='4242'/></virtualport></portgroup>
  </network>
  <networkport>
    <uuid>254a240b-1f2e-4d3c-8b9a-0a1b2c3d4e5f</uuid>
    <owner><name>vm1</name><uuid>66666666-2222-3333-4444-555555555555</uuid></owner>
    <group>sales</group>
    <mac address='52:54:00:dd:ee:ff'/>
    <virtualport type='802.1Qbg'>
      <parameters managerid='11' typeid='4242' typeidversion='2' instanceid='$PORT_IID'/>
    </virtualport>
    <plug type='direct' dev='eth0' mode='vepa'/>
  </networkport>
</hookData>
XML

bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
VDPD=$BG_PID
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
wait_for 5 "vdpd answers on its socket" vdpctl uplink show
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 10 "EVB negotiated on eth0" converged

# A batch (vdpctl -b) keeps one connection open between its lines.
mkfifo "$T_DIR/batch.fifo"
exec 7<>"$T_DIR/batch.fifo"
bg host batch.log "$T_BUILD/vdpctl" -j -s "$SOCK" -t 3000 -b "$T_DIR/batch.fifo" 7>&-
BATCH=$BG_PID
batch_answers() { [ "$(grep -c '"connections"' "$T_DIR/batch.log")" -ge "$1" ]; }
echo stats >&7
wait_for 5 "the batch's first answer" batch_answers 1

# ---- the flood -------------------------------------------------------------------
FLOOD=$T_DIR/flood.status
bg host flood.log "$T_BUILD/tests/ctl_flood" "$SOCK" 990 10 "$FLOOD" 7>&-
FLOOD_PID=$BG_PID
diag_add "cat '$FLOOD'; '$T_BUILD/vdpctl' -s '$SOCK' -j stats | jq .ctl"
status() { grep -o "$1=[^ ]*" "$FLOOD" 2>/dev/null | cut -d= -f2; }
wait_for 10 "1000 connections opened" grep -q 'opened=1000 ' "$FLOOD"
busy_seen() { [ "$(status busy)" -ge 1 ]; }
wait_for 5 "a client over the cap read the busy answer" busy_seen
grep -q 'busy_text="busy: 64 clients"' "$FLOOD" || fail "busy answer text: $(cat "$FLOOD")"
pass "$(status busy) of 1000 connections were answered \"busy: 64 clients\" (EBUSY) before the close"

# ---- the tools still get in, each within 2 s --------------------------------------
within2s()	# DESCRIPTION cmd...
{
	local what=$1 t0 rc=0
	shift
	t0=$(now_ms)
	timeout 2 "$@" >"$T_DIR/cmd.out" 2>&1 || rc=$?
	[ $rc = 0 ] || fail "$what under the flood: exit $rc: $(cat "$T_DIR/cmd.out")"
	pass "$what under the flood: $(ms_to_s $(($(now_ms) - t0))) s"
}
within2s "vdpctl stats" "$T_BUILD/vdpctl" -s "$SOCK" -t 2000 stats
within2s "vdpctl vsi add" "$T_BUILD/vdpctl" -s "$SOCK" -t 2000 vsi add uplink eth0 mode assoc uuid $UUID1 \
	mgrid 11 typeid 5 typeidver 4 filter mac 52:54:00:c7:3e:ce vid 10
within2s "network hook port-created" sh -c "'$T_ROOT/tools/hooks/network' qbgnet port-created begin - <'$T_DIR/port.xml'"
assert_eq "$(vdpctl -j bind show | jq -r ".[] | select(.iface_id == \"$PORT_IID\") | .mac")" 52:54:00:dd:ee:ff \
	"the hook's binding is there"
assert_eq "$(vdpctl -j vsi show id $UUID1 | jq -r '.[0].state')" assoc "the VSI is associated"

# The batch's connection was the quietest: evicted to make room.  Its next
# line reconnects (the server's last word said the request was not read).
ev=$(vdpctl -j stats | jq .ctl.evicted)
[ "$ev" -ge 1 ] || fail "nothing evicted yet: $ev"
echo stats >&7
wait_for 5 "the batch's second answer, after its connection was evicted" batch_answers 2
grep -q "Error" "$T_DIR/batch.log" && fail "batch: $(grep Error "$T_DIR/batch.log")"
pass "vdpctl -b: its evicted connection replaced, the next line answered"
exec 7>&-
wait_for 5 "the batch ends at EOF" bash -c "! kill -0 $BATCH 2>/dev/null"

# ---- the slow writers: one deadline per frame ---------------------------------------
writers_gone() { [ "$(status writers_open)" = 0 ]; }
wait_for 20 "the 10 byte-every-4-s writers closed" writers_gone
max=$(status writer_closed_max_ms)
[ "$max" -lt 12000 ] || fail "a slow writer lived ${max} ms (frame deadline is 10 s from the first byte)"
pass "slow writers closed, the longest after ${max} ms (1 byte / 4 s; deadline 10 s per frame)"
assert_eq "$(status frame_timeout)" 10 "each writer read the frame-deadline answer"

ctl=$(vdpctl -j stats | jq .ctl)
[ "$(json_get "$ctl" .rejected)" -ge "$(status busy)" ] || fail "rejected counter: $ctl"
[ "$(json_get "$ctl" .evicted)" -ge 1 ] || fail "evicted counter: $ctl"
[ "$(json_get "$ctl" .frame_timeout)" -ge 10 ] || fail "frame_timeout counter: $ctl"
[ "$(json_get "$ctl" .clients)" -le 64 ] || fail "clients over the cap: $ctl"
pass "ctl counters: $(json_get "$ctl" '"rejected \(.rejected) evicted \(.evicted) frame_timeout \(.frame_timeout) clients \(.clients)"')"
stop "$FLOOD_PID"
alive "$VDPD" || fail "vdpd died"
vdpctl stats >/dev/null || fail "vdpctl after the flood"
done_ok
