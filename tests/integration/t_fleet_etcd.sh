#!/bin/bash
# The fleet registry on a real 3-member etcd cluster (Debian's etcd-server,
# in a namespace of its own, on its loopback).  A controller writes with
# `vdpctl --etcd` (no vdpd); host A's view is fleet_watch, the daemon's
# fleet_sync over etcd_curl, printing each desired-VSI change; host B's
# view runs beside it.
#   - profile, two networks, attachment of X; A binds X: A's VSI has
#     network 1's type and VLAN; B sees nothing;
#   - the controller moves X to network 2: A's VSI moves, nothing else;
#   - vdpctl status X tells the attachment and where X is bound;
#   - one member stopped: reads and writes go on (the first endpoint is
#     the stopped one); the whole cluster stopped: a write fails naming
#     every endpoint, no de-association at A or B; a change made after the
#     cluster returns is realized at A.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/etcd.sh"

require_root
require_cmd etcd etcdctl jq
X=0b3c9e2a-1111-4d4d-8e8e-0000000000aa
export VDPCTL_ETCD_PREFIX=/t

ns_add fleet
etcd_cluster fleet 3
vc() { nsx fleet "$T_BUILD/vdpctl" -t 8000 --etcd "$ETCD_EPS" "$@"; }
host() { VDPCTL_ETCD_HOST=$1 nsx fleet "$T_BUILD/vdpctl" -t 8000 --etcd "$ETCD_EPS" "${@:2}"; }
events() { grep -c "\"event\":\"$2\"" "$T_DIR/$1.log" || true; }
hstate() { json_q "$2" cat "$T_DIR/$1.state"; }
is() { [ "$("${@:3}")" = "$2" ] || { echo "$1: $("${@:3}")"; return 1; }; }

bg fleet a.log "$T_BUILD/tests/fleet_watch" "$ETCD_EPS" /t host-a "$T_DIR/a.state"
bg fleet b.log "$T_BUILD/tests/fleet_watch" "$ETCD_EPS" /t host-b "$T_DIR/b.state"
wait_for 20 "host A watching" is a watching hstate a .state
wait_for 20 "host B watching" is b watching hstate b .state
pass "3-member cluster up; hosts A and B read /t and watch it"

# ---- the controller's logical attachment; A's edge binding --------------------------
vc profile add enterprise-xyz qbg mgrid 11 typeid 1193047 typeidver 2 >/dev/null || fail "profile add"
vc profile add web qbg mgrid 11 typeid 42 typeidver 1 >/dev/null || fail "profile add web"
vc network add net-1 physnet physnet1 profile enterprise-xyz vlan 100 >/dev/null || fail "network add net-1"
vc network add net-2 physnet physnet1 profile web vlan 200 >/dev/null || fail "network add net-2"
vc attachment add $X network net-1 >/dev/null || fail "attachment add"
host host-a physnet add physnet1 dev eth4 >/dev/null || fail "physnet add on host-a"
host host-b physnet add physnet1 dev eth4 >/dev/null || fail "physnet add on host-b"
host host-a binding add $X mac 52:54:00:00:00:aa uplink eth4 >/dev/null || fail "binding add on host-a"
wait_for 10 "X desired at A" grep -q "\"event\":\"associate\",\"iface_id\":\"$X\",\"network\":\"net-1\",\"vlan\":100,\"typeid\":1193047" "$T_DIR/a.log"
pass "X attached to net-1 and bound on host-a: A's desired VSI has typeid 1193047, VLAN 100"
answer st vc -j status $X
assert_eq "$(json_get "$st" .attachment.network)" net-1 "status: attachment"
assert_eq "$(json_get "$st" '.bindings | length')" 1 "status: bindings"
assert_eq "$(json_get "$st" '.bindings[0].host')" host-a "status: bound on"
assert_eq "$(json_get "$st" '.bindings[0].uplink')" eth4 "status: uplink"
pass "vdpctl --etcd status X: net-1, bound on host-a uplink eth4"
# The shell completion (vdpctl complete, which vdpctl.bash and _vdpctl ask)
# names the fleet store's interface-ids and networks with --etcd.
assert_eq "$(nsx fleet "$T_BUILD/vdpctl" complete -- --etcd "$ETCD_EPS" status 0b3c)" "$X" \
	"completion of vdpctl --etcd ... status 0b3c: the fleet's interface-id"
assert_eq "$(nsx fleet "$T_BUILD/vdpctl" complete -- --etcd "$ETCD_EPS" network show '' | sort | tr '\n' ' ')" \
	"net-1 net-2 " "completion of vdpctl --etcd ... network show: the fleet's networks"
rc=0; vc network add net-1 physnet physnet1 profile web >"$T_DIR/dup.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit of a duplicate network add"
grep -q "network 'net-1' already exists" "$T_DIR/dup.out" || fail "duplicate: $(cat "$T_DIR/dup.out")"
pass "a duplicate is refused by the same validation vdpd applies"

# ---- the move: nobody touches host A ------------------------------------------------
vc attachment add $X network net-2 >/dev/null || fail "attachment move"
wait_for 10 "X moved at A" grep -q "\"event\":\"move\",\"iface_id\":\"$X\",\"network\":\"net-2\",\"vlan\":200,\"typeid\":42" "$T_DIR/a.log"
assert_eq "$(events a deassociate)" 0 "de-associations at A"
assert_eq "$(events b associate)$(events b move)$(events b deassociate)" 000 "VSI changes at B"
pass "move to net-2 realized at A (typeid 42, VLAN 200); B saw nothing"

# ---- one member stopped (the first endpoint) ---------------------------------------
etcd_stop 1
vc network add net-3 physnet physnet1 profile web vlan 300 >/dev/null || fail "write with member 1 stopped"
answer reg vc -j network show net-3
assert_eq "$(json_get "$reg" '.[0].vlan')" 300 "net-3 read back"
vc attachment add $X network net-3 >/dev/null || fail "move with member 1 stopped"
wait_for 20 "X moved to net-3 at A" grep -q "\"network\":\"net-3\",\"vlan\":300" "$T_DIR/a.log"
pass "member 1 stopped: writes, reads and A's watch go on"

# ---- the whole cluster stopped -----------------------------------------------------
etcd_stop 2
etcd_stop 3
wait_for 20 "A sees the store gone" is a false hstate a .connected
rc=0; vc network add net-4 physnet physnet1 profile web vlan 400 >"$T_DIR/down.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit of a write with the cluster stopped"
grep -q "etcd unreachable at $ETCD_EPS" "$T_DIR/down.out" || fail "no clear error: $(cat "$T_DIR/down.out")"
pass "cluster stopped: the write fails: $(head -1 "$T_DIR/down.out")"
assert_eq "$(hstate a .vsis)" 1 "A's desired VSIs while etcd is gone"
assert_eq "$(events a deassociate)$(events b deassociate)" 00 "de-associations while etcd is gone"
pass "cluster stopped: A keeps its desired VSI, no de-association at A or B"

# ---- back: a change made after the return is realized ------------------------------
etcd_start 1; etcd_start 2; etcd_start 3
for i in 1 2 3; do wait_for 60 "etcd member $i healthy again" etcd_healthy $i; done
vc attachment add $X network net-1 >/dev/null || fail "write after the cluster returned"
wait_for 20 "X back on net-1 at A" is a true hstate a .connected
wait_for 20 "X moved back to net-1 at A" grep -q "\"event\":\"move\",\"iface_id\":\"$X\",\"network\":\"net-1\",\"vlan\":100" "$T_DIR/a.log"
assert_eq "$(events a deassociate)$(events b deassociate)" 00 "de-associations over the whole run"
assert_eq "$(events a associate)" 1 "associations at A over the whole run (no re-association after the outage)"
[ "$(hstate a .reads)" -ge 2 ] || fail "A did not read afresh after the outage"
pass "cluster back: A re-read the store ($(hstate a .reads) reads), the later move is realized, no spurious change"
done_ok
