#!/bin/bash
# The registry's policy for libvirt's own netlink requests (vdp-nlclient
# sends what libvirt 9.0 sends): under "enforce" an ASSOCIATE for an
# instance that is not attached and bound, or with another VSI type, is
# refused before it reaches the bridge; a matching one passes.  Under
# "learn" an unknown instance passes and its edge binding is recorded and
# saved.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/nlfront.sh"

U1=09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
U2=1f6a0d3e-5b7c-4d2e-9a8b-0c1d2e3f4a5b
M1=52:54:00:aa:bb:cc
M2=52:54:00:aa:bb:cd

nlf_netns
nlf_config ""
cat >>"$T_DIR/vdpd.conf" <<CONF
registry = {
	policy = "enforce";
	state_dir = "$T_DIR/state";
	profiles = ( { name = "libvirt"; type = "qbg"; mgrid = $MGR; typeid = $TYPEID; typeidver = $TYPEVER; } );
	uplinks = ( { dev = "eth0"; physnet = "dc"; mode = "vepa"; } );
	networks = ( { name = "A"; physnet = "dc"; profile = "libvirt"; } );
};
CONF
nlf_start_vdpd
nlf_start_bridge
nlf_wait_converged
grep -q "registry: policy enforce, state $T_DIR/state/registry.json" "$T_DIR/vdpd.log" ||
	fail "registry not opened as configured"

# ---- enforce: not attached -> refused, nothing at the bridge ---------------------------
rc=0
nlc_vm $U1 $M1 associate >"$T_DIR/e1.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "client exit code for a refused request"
grep -q "Permission denied" "$T_DIR/e1.out" || fail "refusal seen by libvirt: $(tail -3 "$T_DIR/e1.out")"
grep -q "refused by policy enforce: instance $U1 is not attached to any network" "$T_DIR/vdpd.log" ||
	fail "no refusal reason in the log"
bridge_gone $U1 || fail "the refused request reached the bridge"
pass "nothing reached the bridge"
pass "unattached instance refused: $(grep -m1 'refused by policy' "$T_DIR/vdpd.log" | sed 's/.*reg: //')"

# ---- attached + bound: the registry associates, libvirt's request matches -------------
vdpctl attach $U1 network A >/dev/null || fail "attach"
vdpctl bind $U1 mac $M1 uplink eth0 >/dev/null || fail "bind"
assoc() { [ "$(bridge_mode $U1)" = assoc ]; }
wait_for 10 "registry associated U1" assoc
nlc_vm $U1 $M1 associate >"$T_DIR/e2.out" 2>&1 || fail "matching request refused: $(tail -3 "$T_DIR/e2.out")"
grep -q '^RESULT ok$' "$T_DIR/e2.out" || fail "matching request result: $(tail -3 "$T_DIR/e2.out")"
pass "matching request accepted"

# Another type for the same instance: refused, the association stays.
rc=0
nlc -i eth0 -m $M1 -M $MGR -T 4242 -v $TYPEVER -u $U1 associate >"$T_DIR/e3.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "client exit code for a wrong type"
grep -q "request managerid $MGR typeid 4242 version $TYPEVER, profile 'libvirt' has $MGR/$TYPEID/$TYPEVER" \
	"$T_DIR/vdpd.log" || fail "no type mismatch reason in the log"
assert_eq "$(bridge_mode $U1)" assoc "association kept"
assert_eq "$(vdpctl -j vsi show id $U1 | jq '.[0].typeid')" $TYPEID "type unchanged in vdpd"
pass "wrong type refused"

# ---- learn: unknown instance passes, binding recorded and saved ------------------------
vdpctl registry policy learn >/dev/null || fail "policy learn"
nlc_vm $U2 $M2 associate >"$T_DIR/l1.out" 2>&1 || fail "learn: $(tail -3 "$T_DIR/l1.out")"
grep -q '^RESULT ok$' "$T_DIR/l1.out" || fail "learn result: $(tail -3 "$T_DIR/l1.out")"
answer b vdpctl -j bind show $U2
assert_eq "$(json_get "$b" '.[0].origin')" learned "binding learned"
assert_eq "$(json_get "$b" '.[0].mac')" $M2 "learned MAC"
assert_eq "$(json_get "$b" '.[0].uplink')" eth0 "learned uplink"
# saved: a change is one record appended to the journal next to the snapshot
cat "$T_DIR/state/registry.json" "$T_DIR/state/registry.journal" 2>/dev/null | grep -q "$U2" ||
	fail "learned binding not saved"
# A request claiming U2 with another MAC is refused even under learn.
rc=0
nlc_vm $U2 52:54:00:aa:bb:ff associate >"$T_DIR/l2.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "client exit code for a MAC conflict under learn"
pass "learn records bindings and refuses conflicting ones"

done_ok
