#!/bin/bash
# The bridge-side data path recipe of tests/lib/datapath.sh, without any VDP:
# two VEPA VMs on one station uplink reach each other through the bridge's
# hairpin port only while both MACs are in the port's nftables set.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/datapath.sh"
require_root
require_cmd nft jq ping

M1=02:00:00:00:01:01 M2=02:00:00:00:01:02
ns_add br
ns_add st
veth_add st eth0 br p0
dp_bridge br br0 p0
vm_add st eth0 vm1 $M1 10.9.0.1/24
vm_add st eth0 vm2 $M2 10.9.0.2/24

assert_eq "$(dp_allowed br | wc -l)" 0 "set vsi_macs starts empty"
dp_cannot_ping vm1 10.9.0.2 || fail "vm1 reached vm2 with an empty set"
d=$(dp_drops br)
[ "$d" -gt 0 ] || fail "drop counter $d after blocked pings"
pass "no MAC allowed: vm1 cannot reach vm2 ($d frames dropped)"

dp_allow br $M1
dp_cannot_ping vm1 10.9.0.2 || fail "vm1 reached vm2 with only vm1 allowed"
pass "only vm1 allowed: no path (vm2's answers are dropped)"

dp_allow br $M2
assert_eq "$(dp_allowed br | tr '\n' ' ')" "$M1 $M2 " "set vsi_macs"
wait_for 5 "vm1 pings vm2 with both allowed" dp_can_ping vm1 10.9.0.2
pass "both allowed: vm1 -> vm2 (${WAITED_MS} ms)"
dp_can_ping vm2 10.9.0.1 || fail "vm2 -> vm1 with both allowed"
pass "both allowed: vm2 -> vm1"

dp_deny br $M2
d0=$(dp_drops br)
dp_cannot_ping vm1 10.9.0.2 || fail "vm1 still reaches vm2 after vm2 was removed"
d1=$(dp_drops br)
[ "$d1" -gt "$d0" ] || fail "drop counter did not grow ($d0 -> $d1)"
pass "vm2 removed: no path again ($((d1 - d0)) more drops)"

done_ok
