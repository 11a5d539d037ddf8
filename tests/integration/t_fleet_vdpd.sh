#!/bin/bash
# vdpd with registry.backend = "etcd": two hosts (a namespace each with vdpd,
# its uplink eth0 and a vdp-bridge behind it) and a 3-member etcd cluster in
# a third namespace, reached over a link from each host.  A controller
# (vdpctl --etcd, no vdpd) makes the logical attachment; host A's operator
# binds X through A's own vdpd.
#   - X associated at A's bridge with net-1's type and VLAN; B's bridge empty;
#   - the controller moves X to net-2: A re-associates with net-2's type and
#     VLAN, nobody touching host A;
#   - status of X: host-a, associated, the VLAN; A's vdpd killed: its status
#     expires with the lease, the binding stays;
#   - A's vdpd restarted while one member is stopped, then the whole
#     cluster stopped for 30 s: no de-association at A's bridge, a write on
#     A fails naming the endpoints, registry show says so; A restarted with
#     the cluster still stopped associates X from its cache; the cluster
#     back: a later move realized; unbound on A: de-associated, status gone.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/etcd.sh"
. "$(dirname "$0")/../lib/fleet.sh"

require_root
require_cmd etcd etcdctl jq
X=0b3c9e2a-1111-4d4d-8e8e-0000000000bb
MX=52:54:00:00:00:bb
export VDPCTL_ETCD_PREFIX=/t

ns_add fleet
etcd_cluster fleet 3
vc() { nsx fleet "$T_BUILD/vdpctl" -t 8000 --etcd "$ETCD_EPS" "$@"; }
vc_host() { VDPCTL_ETCD_HOST=$1 vc "${@:2}"; }

# bridge H's VSI X as "mode typeid vid", "none" when it has none
at_bridge() { json_q "[.[] | select(.vsiid == \"$X\")] | if length == 0 then \"none\" else (.[0] | \"\\(.mode) \\(.type_id) \\(.filters[0].vid)\") end" br "$1" -j vsi show; }
is() { local want=$1; shift; local got; got=$("$@") || return 2; [ "$got" = "$want" ] || { echo "got: $got"; return 1; }; }
fleet_connected() { [ "$(json_q .fleet.connected vd "$1" -j registry show)" = "$2" ]; }

host_setup a 1
host_setup b 2
start_vdpd a 1
start_vdpd b 1
wait_for 20 "vdpd a reads the fleet store" fleet_connected a true
wait_for 20 "vdpd b reads the fleet store" fleet_connected b true
answer rs vd a -j registry show
assert_eq "$(json_get "$rs" .fleet.backend)" etcd "A's registry backend"
assert_eq "$(json_get "$rs" .fleet.host)" host-a "A's host name"
pass "two hosts: vdpd on the fleet store ($(json_get "$rs" .fleet.endpoints))"

# ---- the controller's attachment; host A binds X through its own vdpd ------------
vc profile add enterprise-xyz qbg mgrid 11 typeid 1193047 typeidver 2 >/dev/null || fail "profile add"
vc profile add web qbg mgrid 11 typeid 42 typeidver 1 >/dev/null || fail "profile add web"
vc network add net-1 physnet physnet1 profile enterprise-xyz vlan 100 >/dev/null || fail "network add net-1"
vc network add net-2 physnet physnet1 profile web vlan 200 >/dev/null || fail "network add net-2"
vc network add net-3 physnet physnet1 profile web vlan 300 >/dev/null || fail "network add net-3"
vc_host host-a physnet add physnet1 dev eth0 >/dev/null || fail "physnet on host-a"
vc_host host-b physnet add physnet1 dev eth0 >/dev/null || fail "physnet on host-b"
vc attachment add $X network net-1 >/dev/null || fail "attachment add"
wait_for 10 "A has host-a's uplink" is 1 json_q '.uplinks | length' vd a -j registry show
vd a --no-wait binding add $X mac $MX uplink eth0 >/dev/null || fail "binding add on host A"
wait_for 20 "X associated at A's bridge with net-1" is "assoc 1193047 100" at_bridge a
assert_eq "$(at_bridge b)" none "X at B's bridge"
pass "X attached by the controller, bound on A: associated at A's bridge (typeid 1193047, VLAN 100), not at B's"

# ---- the move, nobody touching host A -----------------------------------------------
vc attachment add $X network net-2 >/dev/null || fail "move"
wait_for 20 "X re-associated at A's bridge with net-2" is "assoc 42 200" at_bridge a
assert_eq "$(at_bridge b)" none "X at B's bridge after the move"
pass "controller moved X to net-2: A re-associated it (typeid 42, VLAN 200)"

# ---- status under A's lease ---------------------------------------------------------
st_of() { json_q "$1" vc -j status $X; }
wait_for 20 "status of X: host-a associated VLAN 200" is "host-a associated 200" \
	st_of '.status[0] | "\(.host) \(.state) \(.vlan)"'
pass "status of X from the controller: host-a, associated, VLAN 200"
# The lease revoked behind A's back (as if it expired in a stall): the key
# goes with it; A's next keepalive hears TTL 0, A gets a new lease and
# writes the status again under it.
# (lease IDs are 63-bit: read as text, jq would round them to doubles)
lease_a() { vd a -j registry show | grep -o '"lease": *[0-9]*' | grep -o '[0-9]*$'; }
key_lease() { nsx "$ETCD_NS" etcdctl --endpoints "$ETCD_EPS" get "/t/hosts/host-a/status/$X" -w json |
	grep -o '"lease": *[0-9]*' | grep -o '[0-9]*$'; }
lease0=$(lease_a)
[ "${lease0:-0}" != 0 ] || fail "A has no lease"
assert_eq "$(key_lease)" "$lease0" "lease of X's status key"
nsx "$ETCD_NS" etcdctl --endpoints "$ETCD_EPS" lease revoke "$(printf '%x' "$lease0")" >/dev/null ||
	fail "lease revoke"
new_lease() { local l; l=$(lease_a) && [ "$l" != 0 ] && [ "$l" != "$lease0" ]; }
wait_for 20 "A holds a new lease" new_lease
lease1=$(lease_a)
key_on_new() { [ "$(key_lease)" = "$lease1" ]; }
wait_for 20 "X's status written under A's new lease" key_on_new
assert_eq "$(st_of '.status[0] | "\(.host) \(.state) \(.vlan)"')" "host-a associated 200" "status after the new lease"
pass "A's lease revoked: a new lease ($lease1), X's status written again under it"
stop "$VDPD_a" 0
wait_for 40 "X's status gone with A's lease" is 0 st_of '.status | length'
assert_eq "$(st_of '.bindings[0].host')" host-a "binding after A's vdpd died"
pass "A's vdpd killed: its status expired with the lease, the binding stays"

# ---- A back from its cache, one member stopped, then the whole cluster ------------
etcd_stop 1
start_vdpd a 2
wait_for 20 "vdpd a reads the fleet store again" fleet_connected a true
wait_for 20 "X associated at A's bridge after the restart" is "assoc 42 200" at_bridge a
pass "A restarted with member 1 stopped: X associated again"
etcd_stop 2
etcd_stop 3
wait_for 20 "A sees the store gone" fleet_connected a false
rc=0; vd a --no-wait binding add 0b3c9e2a-1111-4d4d-8e8e-0000000000cc mac 52:54:00:00:00:cc uplink eth0 \
	>"$T_DIR/down.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit of a write on A with the cluster stopped"
grep -q "fleet store (etcd $(etcd_eps 10.77.1.1)), unreachable" "$T_DIR/down.out" ||
	fail "no clear error: $(cat "$T_DIR/down.out")"
pass "cluster stopped: a registry write on A fails: $(head -1 "$T_DIR/down.out")"
# 30 s without the store: every look at A's bridge finds X associated
t_end=$(($(now_ms) + 30000)) looks=0
while [ "$(now_ms)" -lt $t_end ]; do
	got=$(at_bridge a) || fail "bridge A did not answer"
	[ "$got" = "assoc 42 200" ] || fail "X at A's bridge while the cluster is stopped: $got"
	looks=$((looks + 1))
	sleep 0.5
done
pass "cluster stopped for 30 s: X associated at A's bridge at each of $looks looks"
answer rs vd a -j registry show
assert_eq "$(json_get "$rs" '.vsis | length')" 1 "A's desired VSIs while the cluster is stopped"
pass "cluster stopped: X stays associated at A's bridge, A keeps its registry"
grep -q "^fleet etcd $(etcd_eps 10.77.1.1) prefix /t host host-a revision [1-9][0-9]* connected no last-error " \
	<(vd a registry show) || fail "registry show: $(vd a registry show | head -2)"
pass "vdpctl registry show on A: $(vd a registry show | grep '^fleet' | cut -c1-150)"
grep -q "^    registry: etcd $(etcd_eps 10.77.1.1) revision [1-9][0-9]* connected no last-error " <(vd a stats) ||
	fail "stats: $(vd a stats | grep -A1 registry)"
assert_eq "$(json_val .registry.connected vd a -j stats)" false "stats: connected"
pass "vdpctl stats on A: $(vd a stats | grep '^    registry: ' | cut -c1-120)"
# a restart with the whole cluster stopped: the state file is the cache
stop "$VDPD_a" 0
start_vdpd a 3
station_has_x() { json_q "[.[] | select(.vsiid == \"$X\")][0].state" vd a -j vsi show; }
wait_for 20 "A's vdpd associated X again from its cache" is assoc station_has_x
assert_eq "$(at_bridge a)" "assoc 42 200" "X at A's bridge after a restart without etcd"
pass "A restarted while the cluster is stopped: X associated again from the local cache"
etcd_start 1; etcd_start 2; etcd_start 3
for i in 1 2 3; do wait_for 60 "etcd member $i healthy again" etcd_healthy $i; done
vc attachment add $X network net-3 >/dev/null || fail "move after the cluster returned"
wait_for 30 "X re-associated at A's bridge with net-3" is "assoc 42 300" at_bridge a
wait_for 20 "A connected again" fleet_connected a true
grep -q "de-associate" "$T_DIR"/vdpda.[23].log && fail "A de-associated something: $(grep de-associate "$T_DIR"/vdpda.[23].log | head -3)"
pass "cluster back: the later move to net-3 realized at A (VLAN 300), no de-association"
wait_for 20 "status of X: host-a associated VLAN 300" is "host-a associated 300" \
	st_of '.status[0] | "\(.host) \(.state) \(.vlan)"'
vd a binding del $X >/dev/null || fail "binding del on A"
wait_for 20 "X de-associated at A's bridge" is none at_bridge a
wait_for 20 "X's status gone while A runs" is 0 st_of '.status | length'
pass "unbound on A: de-associated at A's bridge, its status key removed by A (not left to the lease)"
done_ok
