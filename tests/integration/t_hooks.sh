#!/bin/bash
# libvirt hook scripts (tools/hooks/network, tools/hooks/qemu) against a
# running vdpd, fed the XML libvirt 9.0 passes on stdin (reference A.5):
# port-created binds, port-deleted unbinds, qemu start binds with the
# macvtap name, stopped unbinds; a binding that cannot be made, or a vdpd
# that is not there, fails the hook (exit 1, one clear line on stderr),
# which is what makes libvirt abort the start.  No libvirt needed.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd jq "$T_BUILD/vdpd" "$T_BUILD/vdpctl"

HOOKS=$T_ROOT/tools/hooks
SOCK=$T_DIR/vdpd.sock
PORT_IID=ed60a7fb-5c4d-4e3f-a2b1-c0d9e8f7a6b5
VM1=0b3c9e2a-1111-4d4d-8e8e-000000000001
export VDPCTL=$T_BUILD/vdpctl VDPD_SOCKET=$SOCK

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
bound() { json_val ".[] | select(.iface_id == \"$1\") | .$2" vdpctl -j bind show; }

ns_add host
cat >"$T_DIR/vdpd.conf" <<CONF
registry = {
	profiles = ( { name = "sales"; type = "802.1Qbg"; mgrid = 11; typeid = 4242; typeidver = 2; } );
	uplinks = ( { dev = "bqbg0"; physnet = "datacenter"; mode = "vepa"; },
		    { dev = "eth4"; physnet = "datacenter"; mode = "vepa"; } );
	networks = ( { name = "qbgnet"; physnet = "datacenter"; profile = "sales"; } );
};
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/registry.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers on its socket" vdpctl registry show

cat >"$T_DIR/port.xml" <<XML
<hookData>
  <network connections='1'>
    <name>qbgnet</name>
    <uuid>3c1d5b1e-8f4b-4c2a-9d7e-6a5b4c3d2e1f</uuid>
    <forward dev='bqbg0' mode='vepa'>
      <interface dev='bqbg0' connections='1'/>
    </forward>
    <virtualport type='802.1Qbg'>
      <parameters managerid='11' typeidversion='2'/>
    </virtualport>
    <portgroup name='sales' default='yes'>
      <virtualport>
        <parameters typeid='4242'/>
      </virtualport>
    </portgroup>
  </network>
  <networkport>
    <uuid>254a240b-1f2e-4d3c-8b9a-0a1b2c3d4e5f</uuid>
    <owner>
      <name>qbgnettest</name>
      <uuid>66666666-2222-3333-4444-555555555555</uuid>
    </owner>
    <group>sales</group>
    <mac address='52:54:00:dd:ee:ff'/>
    <virtualport type='802.1Qbg'>
      <parameters managerid='11' typeid='4242' typeidversion='2' instanceid='$PORT_IID'/>
    </virtualport>
    <plug type='direct' dev='bqbg0' mode='vepa'/>
  </networkport>
</hookData>
XML

# ---- network hook ------------------------------------------------------------------
"$HOOKS/network" qbgnet port-created begin - <"$T_DIR/port.xml" 2>"$T_DIR/h1.err" ||
	fail "port-created hook failed: $(cat "$T_DIR/h1.err")"
assert_eq "$(bound $PORT_IID mac)" 52:54:00:dd:ee:ff "binding MAC from the networkport"
assert_eq "$(bound $PORT_IID uplink)" bqbg0 "binding uplink from <plug dev>"
# libvirtd restart re-runs port-created: accepted.
"$HOOKS/network" qbgnet port-created begin - <"$T_DIR/port.xml" 2>"$T_DIR/h1b.err" ||
	fail "repeated port-created failed: $(cat "$T_DIR/h1b.err")"
# Other network operations are ignored, whatever stdin holds.
echo garbage | "$HOOKS/network" qbgnet started begin - || fail "network started hook failed"
"$HOOKS/network" qbgnet port-deleted begin - <"$T_DIR/port.xml" || fail "port-deleted hook failed"
assert_eq "$(bound $PORT_IID mac)" "" "port-deleted removed the binding"
# port-deleted again (already gone) is not an error.
"$HOOKS/network" qbgnet port-deleted begin - <"$T_DIR/port.xml" || fail "second port-deleted failed"
pass "network hook: port-created binds, port-deleted unbinds"

# ---- failure paths: libvirt must abort the start -------------------------------------
sed 's/bqbg0/bqbg9/g' "$T_DIR/port.xml" >"$T_DIR/port-bad.xml"
rc=0
"$HOOKS/network" qbgnet port-created begin - <"$T_DIR/port-bad.xml" 2>"$T_DIR/bad.err" || rc=$?
assert_eq "$rc" 1 "exit code when the binding cannot be made"
grep -q "cannot bind interface-id $PORT_IID (mac 52:54:00:dd:ee:ff, uplink bqbg9): .*uplink 'bqbg9' is not a registered host uplink" \
	"$T_DIR/bad.err" || fail "stderr: $(cat "$T_DIR/bad.err")"
assert_eq "$(wc -l <"$T_DIR/bad.err")" 1 "one line of stderr"
pass "unbindable port refused: $(cat "$T_DIR/bad.err")"

rc=0
head -c 200 "$T_DIR/port.xml" | "$HOOKS/network" qbgnet port-created begin - 2>"$T_DIR/trunc.err" || rc=$?
assert_eq "$rc" 1 "exit code for truncated XML"
grep -q "does not parse" "$T_DIR/trunc.err" || fail "truncated XML stderr: $(cat "$T_DIR/trunc.err")"

rc=0
VDPD_SOCKET=$T_DIR/nothing.sock "$HOOKS/network" qbgnet port-created begin - <"$T_DIR/port.xml" \
	2>"$T_DIR/down.err" || rc=$?
assert_eq "$rc" 1 "exit code when vdpd is not running"
grep -q "cannot bind interface-id $PORT_IID.*nothing.sock" "$T_DIR/down.err" ||
	fail "vdpd-down stderr: $(cat "$T_DIR/down.err")"
pass "vdpd not running: $(cat "$T_DIR/down.err")"

# ---- qemu hook -------------------------------------------------------------------
domain_xml() {
	cat <<XML
<domain type='kvm' id='3'>
  <name>vm1</name>
  <uuid>66666666-2222-3333-4444-555555555555</uuid>
  <memory unit='KiB'>65536</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <interface type='direct'>
      <mac address='52:54:00:00:00:01'/>
      <source dev='eth4.10' mode='vepa'/>
      <virtualport type='802.1Qbg'>
        <parameters managerid='11' typeid='4242' typeidversion='2' instanceid='$VM1'/>
      </virtualport>
      $1
      <model type='virtio'/>
    </interface>
  </devices>
</domain>
XML
}
vdpctl attach $VM1 network qbgnet >/dev/null || fail "attach VM1"
domain_xml "" | "$HOOKS/qemu" vm1 prepare begin - 2>"$T_DIR/q1.err" || fail "prepare: $(cat "$T_DIR/q1.err")"
assert_eq "$(bound $VM1 uplink)" eth4 "uplink under the VLAN device eth4.10"
assert_eq "$(bound $VM1 dev)" "" "no macvtap yet at prepare"
domain_xml "<target dev='macvtap7'/>" | "$HOOKS/qemu" vm1 start begin - 2>"$T_DIR/q2.err" ||
	fail "start: $(cat "$T_DIR/q2.err")"
assert_eq "$(bound $VM1 dev)" macvtap7 "start fills in the macvtap"
assert_eq "$(vdpctl -j registry show | jq -r '.vsis[0].iface_id')" $VM1 "bound + attached = desired VSI"
domain_xml "" | "$HOOKS/qemu" vm1 migrate begin - >"$T_DIR/migrate.out" || fail "migrate hook failed"
[ ! -s "$T_DIR/migrate.out" ] || fail "migrate hook printed XML (it is a filter)"
assert_eq "$(vdpctl -j bind show $VM1 | jq -r '.[0].migrating')" true "migrate marks the binding migrating"
domain_xml "<target dev='macvtap7'/>" | "$HOOKS/qemu" vm1 started begin - || fail "started hook failed"
assert_eq "$(vdpctl -j bind show $VM1 | jq -r '.[0].migrating')" null "started clears migrating"
domain_xml "<target dev='macvtap7'/>" | "$HOOKS/qemu" vm1 stopped end - || fail "stopped hook failed"
assert_eq "$(bound $VM1 dev)" "" "stopped removed the binding"
assert_eq "$(vdpctl -j registry show | jq '.vsis | length')" 0 "no desired VSI after stop"
domain_xml "" | "$HOOKS/qemu" vm1 release end - || fail "release after stopped failed"
pass "qemu hook: prepare/start bind, stopped/release unbind"

done_ok
