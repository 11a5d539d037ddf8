#!/bin/bash
# `make demo` keeps working: tools/demo.sh fails on its own when a step of
# the story does not happen (an association, the VLAN the switch gives, a
# ping that must or must not pass); this runs it and checks it got to the end
# and left no namespace behind.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq nft ping "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

out=$T_DIR/demo.out
T_BUILD=$T_BUILD bash "$T_ROOT/tools/demo.sh" >"$out" 2>&1
rc=$?
[ $rc = 0 ] || { tail -40 "$out"; fail "tools/demo.sh exited $rc"; }
grep -q '^==> Done in ' "$out" || fail "the demo did not reach its end"
grep -q 're-associated in VLAN 20 at the switch' "$out" || fail "the demo did not show the move"
pass "the demo ran to its end ($(grep -c '^==> ' "$out") steps)"
left=$(ip netns list | grep -c '^demo' || true)
assert_eq "$left" 0 "namespaces the demo left behind"
done_ok
