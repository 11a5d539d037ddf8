#!/bin/bash
# Errors as libvirt sees them: a VSI type the bridge refuses ("error 4
# during port-profile setlink ..."), malformed messages (each answered with
# its own -errno, never silence), senders without root or CAP_NET_ADMIN
# (-EPERM), a status query for a device vdpd does not serve.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/nlfront.sh"
require_cmd setpriv "$T_BUILD/tests/nl_send"

U1=3b0e6c8a-2d4f-4a1b-8c7d-6e5f4a3b2c1d
U2=7c6b5a49-3827-4615-a4b3-c2d1e0f9a8b7
M1=52:54:00:00:00:0a
M2=52:54:00:00:00:0b
NLS=$T_BUILD/tests/nl_send

nlf_setup
ifx=$(nsx host cat /sys/class/net/eth0/ifindex)
stat() { json_q ".netlink.counters.$1" vdpctl -j stats; }

# ---- the bridge refuses the VSI type ---------------------------------------------
rc=0
nlc_vm $U1 $M1 -T 999 -b associate >"$T_DIR/bad.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "client exit code for a refused VSI"
grep -q "^RESULT error: error 4 during port-profile setlink on interface eth0 ($ifx): Invalid argument$" \
	"$T_DIR/bad.out" || fail "libvirt's text: $(tail -2 "$T_DIR/bad.out")"
pass "bridge refusal as libvirt reports it: $(grep '^RESULT' "$T_DIR/bad.out")"
nlc -i eth0 -u $U1 dump >"$T_DIR/d.out"
grep -q "entries=1 ok=0 in_progress=0 failed=1" "$T_DIR/d.out" || fail "status after refusal: $(cat "$T_DIR/d.out")"
pass "status lists the refused VSI with its reason"

# ---- malformed messages: every one answered with an error ------------------------
A=$(sed -n '/^setlink (156 bytes):/,/^[a-z]/p' "$T_DIR/bad.out" | grep '^  ' | tr -d '\n ')
[ ${#A} = 312 ] || fail "no reference message (${#A})"
send() { nsx host "$NLS" "$PIDF" "$1"; }
expect() # HEX ERRNO WHAT
{
	local out
	out=$(send "$1") || fail "$3: no answer"
	echo "$out" | grep -q "^type=2 error=$2 len=36$" || fail "$3: $out"
	pass "$3 -> error $2"
}
expect "${A:0:304}07${A:306}" -22 "IFLA_PORT_REQUEST 7"
expect "c8000000${A:8}" -22 "nlmsg_len beyond the datagram"
expect "${A:0:232}0b${A:234}" -22 "IFLA_PORT_VSI_TYPE of 7 octets"
expect "${A:0:8}10${A:10}" -95 "RTM_NEWLINK instead of SETLINK"
expect "0102030405060708090a" -22 "10 octets of garbage"
expect "${A:0:216}ff${A:218}" -22 "nested attribute running past its container"
# a status query for an ifindex vdpd does not serve
expect "28000000120005000100000000000000000000006300000000000000000000000800 1d000100 0000" -19 "GETLINK for ifindex 99"
[ "$(stat 'malformed | length')" -ge 4 ] || fail "malformed counters: $(vdpctl -j stats | jq -c .netlink.counters.malformed)"
pass "counted by kind: $(vdpctl -j stats | jq -c .netlink.counters.malformed)"
# the daemon still serves
nlc_vm $U2 $M2 associate >"$T_DIR/ok.out" 2>&1 || fail "associate after bad input: $(cat "$T_DIR/ok.out")"
pass "valid request still served after malformed ones"

# ---- credentials --------------------------------------------------------------------
# The kernel itself refuses a unicast to a NETLINK_ROUTE port from a sender
# without CAP_NET_ADMIN (netlink_sendmsg: NL_CFG_F_NONROOT_SEND is not set);
# vdpd's own check (uid 0 or CapEff in our user namespace) stands behind it.
pid=$(cat "$PIDF")
out=$(nsx host setpriv --reuid=65534 --regid=65534 --clear-groups "$NLS" "$pid" "$A" 2>&1) &&
	fail "an unprivileged sender reached vdpd: $out"
echo "$out" | grep -q "Operation not permitted" || fail "nobody: $out"
pass "unprivileged sender: $out"
out=$(nsx host setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps +net_admin \
	--ambient-caps +net_admin "$NLS" "$pid" "${A:0:304}03${A:306}") || fail "net_admin: no answer"
echo "$out" | grep -q "^type=2 error=0 len=36$" || fail "CAP_NET_ADMIN sender: $out"
pass "non-root sender with CAP_NET_ADMIN (CapEff) served: de-associate answered 0"
assert_eq "$(stat denied)" 0 "denied counter"

done_ok
