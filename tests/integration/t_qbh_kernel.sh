#!/bin/bash
# One registry profile, two kinds, real daemon and real kernel: on eth0 the
# profile is an 802.1Qbg VSI type (associated at vdp-bridge), on eth1, an
# uplink with vport 802.1Qbh, its profileid goes to the kernel as
# RTM_SETLINK IFLA_PORT_SELF.  A veth has no ndo_set_vf_port, so the
# kernel answers -EOPNOTSUPP: the failure must be an error everywhere the
# operator looks (resolve, registry show, stats, log at error), and the
# daemon keeps serving.  The cause is permanent: it is not retried.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/nlfront.sh"

U1=09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f
U2=1f6a0d3e-5b7c-4d2e-9a8b-0c1d2e3f4a5b

nlf_netns
veth_add host eth1 br p1
nlf_config ""
cat >>"$T_DIR/vdpd.conf" <<CONF
qbh = { timeout_ms = 2000; host_uuid = "a1a2a3a4-b1b2-c1c2-d1d2-e1e2e3e4e5e6"; };
registry = {
	profiles = ( { name = "xyz"; type = "802.1Qbg"; mgrid = $MGR; typeid = $TYPEID; typeidver = $TYPEVER;
		       profileid = "enterprise-xyz"; } );
	uplinks = ( { dev = "eth0"; physnet = "dc"; },
		    { dev = "eth1"; physnet = "dc"; vport = "802.1Qbh"; } );
	networks = ( { name = "A"; physnet = "dc"; profile = "xyz"; } );
};
CONF
nlf_start_vdpd
nlf_start_bridge
nlf_wait_converged

vdpctl attach $U1 network A >/dev/null || fail "attach U1"
vdpctl bind $U1 mac 52:54:00:aa:bb:01 uplink eth0 >/dev/null || fail "bind U1"
assoc() { [ "$(bridge_mode $U1)" = assoc ]; }
wait_for 10 "U1 associated at the bridge (802.1Qbg)" assoc
pass "802.1Qbg on eth0: $(bridge_mode $U1) at the bridge"

vdpctl attach $U2 network A >/dev/null || fail "attach U2"
vdpctl bind $U2 mac 52:54:00:aa:bb:02 uplink eth1 >/dev/null || fail "bind U2"
failed() { [ "$(vdpctl -j resolve $U2 | jq -r '.qbh.state')" = failed ]; }
wait_for 5 "the 802.1Qbh request of U2 ended" failed
r=$(vdpctl -j resolve $U2)
assert_eq "$(json_get "$r" '.qbh.errno')" 95 "errno EOPNOTSUPP"
want="eth1 (driver unknown): 802.1Qbh associate of profile enterprise-xyz failed: Operation not supported"
case "$(json_get "$r" '.qbh.result')" in "$want"*) ;; *) fail "result: $(json_get "$r" '.qbh.result')" ;; esac
assert_eq "$(json_get "$r" '.virtualport.type')" 802.1Qbh "virtualport of U2"
assert_eq "$(bridge_mode $U2)" "" "U2 never reached the bridge"
grep -q "qbh: $U2: $want" "$T_DIR/vdpd.log" || fail "no 802.1Qbh error in the log"
grep "qbh: $U2:" "$T_DIR/vdpd.log" | grep -q '\[error\]' || fail "the failure is not logged at error"
s=$(vdpctl -j stats)
assert_eq "$(json_get "$s" '.qbh.unsupported')" 1 "stats qbh.unsupported"
assert_eq "$(json_get "$s" '.qbh.errors')" 1 "stats qbh.errors"
# permanent (no port profiles on the device): never sent again
assert_eq "$(json_get "$r" '.qbh.retry')" permanent "resolve qbh.retry"
assert_eq "$(json_get "$r" '.qbh.next_retry_ms')" -1 "resolve qbh.next_retry_ms"
assert_eq "$(json_get "$s" '.qbh.permanent')" 1 "stats qbh.permanent"
vdpctl resolve $U2 | grep -q "802.1Qbh not retried: permanent failure" || fail "resolve text: no retry line"
grep "qbh: $U2: $want" "$T_DIR/vdpd.log" | grep -q "(permanent: not retried)" || fail "log: not said it is not retried"
assert_eq "$(vdpctl -j registry show | jq -r ".vsis[] | select(.iface_id == \"$U2\") | .qbh.state")" failed \
	"registry show"
pass "802.1Qbh on eth1: $want"

x1=$(vdpctl resolve $U1 --xml)
x2=$(vdpctl resolve $U2 --xml)
grep -q '<virtualport type="802.1Qbg">' <<<"$x1" || fail "U1 xml: $x1"
grep -q '<parameters profileid="enterprise-xyz"/>' <<<"$x2" || fail "U2 xml: $x2"
pass "resolve --xml: 802.1Qbg for U1, 802.1Qbh profileid for U2"

assert_eq "$(json_get "$(vdpctl -j stats)" '.qbh.requests')" "$(json_get "$s" '.qbh.requests')" \
	"no 802.1Qbh request sent again"
vdpctl uplink show >/dev/null || fail "vdpd stopped serving"
done_ok
