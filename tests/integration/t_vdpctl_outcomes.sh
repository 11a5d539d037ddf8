#!/bin/bash
# The operator's view through vdpctl, against vdpd (namespace "host", eth0)
# and vdp-bridge (namespace "br", p0): every outcome told (an attachment
# waits for the switch and a refused move exits 1 with the bridge's reason,
# requests_refused counts it; what cannot be asked yet says why), the
# noun-verb grammar with the old spellings, abbreviations, options after the
# object and one UUID rule; monitor -t with registry events; config reload
# with a typo shows FILE:LINE in its own output and in stats.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

VM1=0b3c9e2a-1111-4d4d-8e8e-000000000001
VM2=0b3c9e2a-1111-4d4d-8e8e-000000000002
VM2HEX=0b3c9e2a11114d4d8e8e000000000002
VM3=0b3c9e2a-1111-4d4d-8e8e-000000000003
SOCK=$T_DIR/vdpd.sock
BSOCK=$T_DIR/bridge.sock

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }

ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02

# Network C's profile "tenant" (type 99) is unknown to the bridge.
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 1; }; } );
registry = {
	policy = "off";
	profiles = (
		{ name = "web"; type = "802.1Qbg"; mgrid = 11; typeid = 5; typeidver = 4; },
		{ name = "db"; type = "802.1Qbg"; mgrid = 11; typeid = 6; typeidver = 4; },
		{ name = "tenant"; type = "802.1Qbg"; mgrid = 11; typeid = 99; typeidver = 1; }
	);
	uplinks = ( { dev = "eth0"; physnet = "dc"; mode = "vepa"; }, { dev = "eth9"; physnet = "dc9"; } );
	networks = (
		{ name = "A"; physnet = "dc"; profile = "web"; vlan = 10; },
		{ name = "B"; physnet = "dc"; profile = "db"; vlan = 20; },
		{ name = "C"; physnet = "dc"; profile = "tenant"; vlan = 30; },
		{ name = "N9"; physnet = "dc9"; profile = "web"; vlan = 10; }
	);
};
CONF
cat >"$T_DIR/bridge.conf" <<CONF
interfaces = [ "p0" ];
vdp = { types = ( { name = "web"; type_id = 5; version = 4; }, { name = "db"; type_id = 6; version = 4; } ); };
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
	-S "$T_DIR/state/registry.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl registry show
bg br bridge.log "$T_BUILD/vdp-bridge" -F -d -f "$T_DIR/bridge.conf" -s "$BSOCK"
converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
wait_for 15 "EVB negotiated on eth0" converged

# run NAME vdpctl-args...: stdout, stderr, exit code into $T_DIR/NAME.{out,err}, RC
run() { local n=$1; shift; RC=0; vdpctl "$@" >"$T_DIR/$n.out" 2>"$T_DIR/$n.err" || RC=$?; }

# monitor -t: registry and VSI events with the time they arrived
bg host monitor.log "$T_BUILD/vdpctl" -s "$SOCK" monitor -t registry vsi
MON=$T_DIR/monitor.log
# subscribed, not only connected: the events below would be lost
monitoring() { [ "$(vdpctl -j stats | jq '.ctl.subscribers')" -ge 1 ] 2>/dev/null; }
wait_for 5 "monitor connected" monitoring

# ---- not realizable yet: said on stdout and in -j, exit 0 ------------------------------
run a1 attachment add $VM1 network A
assert_eq "$RC" 0 "attachment add of an unbound interface"
grep -q "^pending: not bound" "$T_DIR/a1.out" || fail "no 'pending: not bound' in: $(cat "$T_DIR/a1.out")"
pass "attachment without a binding: $(grep pending "$T_DIR/a1.out")"

vdpctl attachment add $VM3 network N9 >/dev/null || fail "attach VM3 to N9"
run b3 -j binding add $VM3 mac 52:54:00:00:00:03 uplink eth9
assert_eq "$RC" 0 "binding on an uplink vdpd does not run"
assert_eq "$(jq -r .outcome "$T_DIR/b3.out")" pending "-j outcome of a binding on eth9"
jq -r .reason "$T_DIR/b3.out" | grep -q "uplink eth9 is not one of vdpd's uplinks" ||
	fail "reason: $(cat "$T_DIR/b3.out")"
[ -s "$T_DIR/b3.err" ] && fail "an accepted binding printed an error: $(cat "$T_DIR/b3.err")"
pass "binding on eth9: $(jq -r .reason "$T_DIR/b3.out")"

# vsi add on an uplink whose link is down: said, not a 10 s timeout
nsx host ip link set eth0 down
wait_for 5 "eth0 down in vdpd" sh -c "\"$T_BUILD/vdpctl\" -s \"$SOCK\" -j uplink show | jq -e '.[0].link != \"up\"' >/dev/null"
run v1 vsi add uplink eth0 mode assoc uuid $VM3 typeid 5 typeidver 4 filter mac 52:54:00:00:00:33 vid 10
assert_eq "$RC" 0 "vsi add while eth0 is down"
grep -q "^pending: uplink eth0 is down: the association waits for it" "$T_DIR/v1.out" || fail "$(cat "$T_DIR/v1.out" "$T_DIR/v1.err")"
pass "vsi add, link down: $(tail -1 "$T_DIR/v1.out")"
vdpctl vsi del uplink eth0 uuid $VM3 nowait >/dev/null || fail "vsi del of the pending VSI"
nsx host ip link set eth0 up
wait_for 15 "EVB negotiated again" converged

# ---- the switch's answer: associated ------------------------------------------------
run b1 binding add $VM1 mac 52:54:00:00:00:01 uplink eth0
assert_eq "$RC" 0 "binding add of an attached interface"
grep -q "^associated on eth0$" "$T_DIR/b1.out" || fail "binding add: $(cat "$T_DIR/b1.out" "$T_DIR/b1.err")"
pass "binding add waits for the switch: $(tail -1 "$T_DIR/b1.out")"

# ---- old spellings, one UUID rule, abbreviations, options after the object ----------
run a2 attach $VM2HEX network A
assert_eq "$RC" 0 "attach (old spelling) with a 32-hex interface-id"
assert_eq "$(vdpctl -j attachment show $VM2 | jq -r '.[0].network // .network')" A \
	"32-hex id stored as the canonical UUID"
run b2 bind $VM2 mac 52:54:00:00:00:02 uplink eth0 --no-wait
assert_eq "$RC" 0 "bind --no-wait"
grep -q "^requested on eth0 (not waiting for the switch's answer)" "$T_DIR/b2.out" ||
	fail "--no-wait: $(cat "$T_DIR/b2.out")"
assert_eq "$(vdpctl att sh $VM2HEX | head -1)" "$(vdpctl attachment show $VM2 | head -1)" "att sh = attachment show"
assert_eq "$(vdpctl bi sh $VM1)" "$(vdpctl bind show $VM1)" "bi sh = bind show"
wait_for 10 "VM2 associated" sh -c "\"$T_BUILD/vdpctl\" -s \"$SOCK\" vsi show id $VM2HEX | grep -q 'state assoc'"
assert_eq "$(vdpctl vsi show -j | jq length)" 2 "vsi show -j: two VSIs"
assert_eq "$(vdpctl vsi sh upl eth0 -j | jq -r '.[].vsiid' | sort | tr '\n' ' ')" "$VM1 $VM2 " \
	"abbreviated verb and keyword, option last"
assert_eq "$(vdpctl registry resolve $VM2HEX | head -1)" "$(vdpctl resolve $VM2 | head -1)" \
	"registry resolve = resolve, 32-hex = dashed"
pass "old spellings, abbreviations, options after the object, one UUID rule"

# mgrid: vsi's rule in profile too, narrowed to libvirt's one octet
vdpctl profile add hexed qbg mgrid 0x0b typeid 7 typeidver 1 >/dev/null || fail "profile with mgrid 0x0b"
assert_eq "$(vdpctl -j profile show hexed | jq '.[0].mgrid // .mgrid')" 11 "profile mgrid 0x0b"
run p1 profile add named qbg mgrid blabla typeid 7 typeidver 1
assert_eq "$RC" 2 "profile mgrid given as a name"
grep -q "a profile's mgrid is libvirt's one-octet managerid, 0..255" "$T_DIR/p1.err" || fail "$(cat "$T_DIR/p1.err")"

# ---- a refused move: exit 1 with the bridge's reason; Keep: still the old type ------
refused0=$(vdpctl -j stats | jq '[.uplinks[].vdp.requests_refused] | add')
run m1 attachment add $VM1 network C
assert_eq "$RC" 1 "exit code of a move the bridge refuses"
grep -q "^Error: association refused by the bridge: .* (kept: state assoc)" "$T_DIR/m1.err" ||
	fail "refusal text: $(cat "$T_DIR/m1.err")"
grep -q "status.*success" "$T_DIR/m1.err" && fail "contradicting text: $(cat "$T_DIR/m1.err")"
assert_eq "$(vdpctl -j vsi show id $VM1 | jq '.[0].typeid')" 5 "switch kept the old type"
assert_eq "$(vdpctl -j stats | jq '[.uplinks[].vdp.requests_refused] | add')" $((refused0 + 1)) \
	"requests_refused counts the bridge's refusal"
pass "refused move: $(cat "$T_DIR/m1.err")"

# ---- monitor -t: the registry's requests with their time --------------------------
vdpctl attachment add $VM2 network B >/dev/null || fail "move VM2 to B"
ts='^\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}\] '
wait_for 5 "registry event with a timestamp" grep -Eq "${ts}\[registry\] $VM2 associate on eth0: network B profile db vlan 20, requested" "$MON"
wait_for 5 "VSI event with a timestamp" grep -Eq "${ts}\[vsi\] eth0 uuid $VM2 " "$MON"
grep -Eq "${ts}\[registry\] $VM1 associate on eth0: network C" "$MON" || fail "no registry event of the refused move"
pass "monitor -t: $(grep -m1 'registry.*network B' "$MON")"

# ---- config reload with a typo: FILE:LINE in the reload's output and in stats --------
cp "$T_DIR/vdpd.conf" "$T_DIR/vdpd.conf.good"
echo 'registy = { policy = "off"; };' >>"$T_DIR/vdpd.conf"
line=$(wc -l <"$T_DIR/vdpd.conf")
run r1 config reload
assert_eq "$RC" 1 "exit code of a reload with a typo"
grep -q "$T_DIR/vdpd.conf:$line: unknown setting \"registy\" (known: global, .*uplinks, .*registry.*netlink)" \
	"$T_DIR/r1.err" || fail "reload error: $(cat "$T_DIR/r1.err")"
vdpctl stats | grep -q "last reload refused: $T_DIR/vdpd.conf:$line: unknown setting \"registy\"" ||
	fail "stats: $(vdpctl stats | head -3)"
assert_eq "$(vdpctl -j config show | jq -r .last_reload_error | cut -d: -f1-2)" "$T_DIR/vdpd.conf:$line" "config show"
cp "$T_DIR/vdpd.conf.good" "$T_DIR/vdpd.conf"
run r2 conf rel
assert_eq "$RC" 0 "reload of the good file (conf rel)"
grep -q "^reloaded $T_DIR/vdpd.conf: 1 uplinks" "$T_DIR/r2.out" || fail "reload: $(cat "$T_DIR/r2.out")"
assert_eq "$(vdpctl -j config show | jq -r .last_reload_error)" "" "a good reload clears the error"
pass "config reload: $(cat "$T_DIR/r1.err")"
done_ok
