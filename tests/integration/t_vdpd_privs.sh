#!/bin/bash
# Least privilege.  vdpd (and vdp-bridge) started without CAP_NET_RAW /
# CAP_NET_ADMIN fail at once, before detaching, naming them, exit 1.
# Started as root they keep only those two (CapEff, CapPrm and CapBnd in
# /proc/PID/status are 0x3000: bits 12 and 13) and still open an uplink
# that appears after the drop; with global.user they also run as that user
# and still save the registry.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq setpriv "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"
id nobody >/dev/null 2>&1 || skip "no user nobody"

KEPT=0000000000003000	# CAP_NET_ADMIN (12) | CAP_NET_RAW (13)
capline() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

ns_add host
chmod 755 "$T_DIR"	# nobody reads the config (the capabilities are checked after it)
: >"$T_DIR/empty.conf"

# ---- without the capabilities: refused before detaching -----------------------------
for who in "--reuid=nobody --regid=nogroup --clear-groups" "--inh-caps=-all --bounding-set=-net_raw,-net_admin"; do
	rc=0
	# shellcheck disable=SC2086
	nsx host setpriv $who "$T_BUILD/vdpd" -f "$T_DIR/empty.conf" -s "$T_DIR/np.sock" -p "" \
		-S "$T_DIR/np-state.json" -i "$T_DIR/np-vsis.json" >"$T_DIR/np.out" 2>&1 || rc=$?
	assert_eq "$rc" 1 "vdpd exit code without capabilities (setpriv $who)"
	grep -q "CAP_NET_RAW" "$T_DIR/np.out" && grep -q "CAP_NET_ADMIN" "$T_DIR/np.out" ||
		fail "message does not name the capabilities: $(cat "$T_DIR/np.out")"
	[ ! -e "$T_DIR/np.sock" ] && [ ! -e "$T_DIR/np-state.json.lock" ] || fail "vdpd created files before refusing"
done
pass "vdpd without capabilities: $(head -1 "$T_DIR/np.out")"
rc=0
nsx host setpriv --reuid=nobody --regid=nogroup --clear-groups "$T_BUILD/vdp-bridge" -i lo -s "$T_DIR/nb.sock" \
	>"$T_DIR/nb.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "vdp-bridge exit code without capabilities"
grep -q "CAP_NET_RAW" "$T_DIR/nb.out" || fail "vdp-bridge message: $(cat "$T_DIR/nb.out")"

# ---- as root: only the two kept, and they are enough -----------------------------------
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth1"; } );
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$T_DIR/vdpd.sock" -p "" \
	-S "$T_DIR/state.json" -i "$T_DIR/vsis.json"
VDPD=$BG_PID
wait_for 5 "vdpd answers" "$T_BUILD/vdpctl" -s "$T_DIR/vdpd.sock" uplink show
pid=$(pgrep -P "$VDPD" -x vdpd || echo "$VDPD")
[ "$(cat "/proc/$pid/comm")" = vdpd ] || pid=$(pgrep -f "vdpd -F -d -f $T_DIR/vdpd.conf" | tail -1)
assert_eq "$(capline "$pid" CapEff)" $KEPT "CapEff of vdpd (pid $pid)"
assert_eq "$(capline "$pid" CapPrm)" $KEPT "CapPrm of vdpd"
assert_eq "$(capline "$pid" CapBnd)" $KEPT "CapBnd of vdpd"
# The uplink appears after the drop: its raw socket still opens.
veth_add host eth1 host eth2
present() { [ "$("$T_BUILD/vdpctl" -s "$T_DIR/vdpd.sock" -j uplink show | jq -r '.[0].present')" = true ]; }
wait_for 5 "uplink eth1 opened after the capabilities were dropped" present
pass "eth1 opened with only CAP_NET_RAW and CAP_NET_ADMIN left"
stop "$VDPD"
# vdp-bridge alike.
bg host bridge.log "$T_BUILD/vdp-bridge" -F -i eth2 -s "$T_DIR/bridge.sock"
VBR=$BG_PID
wait_for 5 "vdp-bridge answers" "$T_BUILD/vdp-bridge" -s "$T_DIR/bridge.sock" uplink show
bpid=$(pgrep -f "vdp-bridge -F -i eth2 -s $T_DIR/bridge.sock" | tail -1)
assert_eq "$(capline "$bpid" CapEff)" $KEPT "CapEff of vdp-bridge (pid $bpid)"
assert_eq "$(capline "$bpid" CapBnd)" $KEPT "CapBnd of vdp-bridge"
stop "$VBR"

# ---- global.user: as nobody, still saving -------------------------------------------------
U=$T_DIR/u
mkdir -p "$U"
chown nobody "$U"
cat >"$U/vdpd.conf" <<CONF
global = { user = "nobody"; };
CONF
bg host vdpdu.log "$T_BUILD/vdpd" -F -d -f "$U/vdpd.conf" -s "$U/vdpd.sock" -p "" -S "$U/state.json" -i "$U/vsis.json"
VDPU=$BG_PID
wait_for 5 "vdpd (user nobody) answers" "$T_BUILD/vdpctl" -s "$U/vdpd.sock" uplink show
pid=$(pgrep -f "vdpd -F -d -f $U/vdpd.conf" | tail -1)
assert_eq "$(capline "$pid" Uid | awk '{print $1, $2, $3}')" "$(id -u nobody) $(id -u nobody) $(id -u nobody)" "vdpd uids"
assert_eq "$(capline "$pid" CapEff)" $KEPT "CapEff of vdpd as nobody"
"$T_BUILD/vdpctl" -s "$U/vdpd.sock" profile add p1 qbg mgrid 1 typeid 2 typeidver 3 >"$T_DIR/pa.out" 2>&1 ||
	fail "profile add under user nobody: $(cat "$T_DIR/pa.out")"
grep -q '"p1"' "$U/state.json" || fail "state not saved by vdpd as nobody"
pass "vdpd as nobody with CAP_NET_RAW/CAP_NET_ADMIN saved the registry"
stop "$VDPU"
done_ok
