#!/bin/bash
# docs/vdpd.service with netlink.lldpad_compat, as systemd would run it
# (no systemd here: its file-system and capability settings are rebuilt in
# a private mount namespace from the unit's own lines): the root file
# system read-only (ProtectSystem=strict) except the unit's ReadWritePaths=,
# RuntimeDirectory= and StateDirectory=, the capability bounding set of
# CapabilityBoundingSet=, vdpd with the unit's default paths.  It starts,
# writes /var/run/lldpad.pid (libvirt's lookup) with its pid, serves
# /run/vdpd/vdpd.sock, saves in /var/lib/vdpd, and CapEff shows only the
# two capabilities.  The old unit (no ReadWritePaths=/run) failed here with
# EROFS on lldpad.pid.vdpdPID and looped in Restart=on-failure.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip jq setpriv unshare nsenter "$T_BUILD/vdpd" "$T_BUILD/vdpctl"

UNIT=$T_ROOT/docs/vdpd.service
unit_val() { sed -n "s/^$1=//p" "$UNIT"; }
rw=$(unit_val ReadWritePaths)
caps=$(unit_val CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/^/+/; s/ /,+/g')
[ "$(unit_val ProtectSystem)" = strict ] || fail "unit has no ProtectSystem=strict"
[ "$(unit_val RuntimeDirectory)" = vdpd ] && [ "$(unit_val StateDirectory)" = vdpd ] ||
	fail "unit directories changed: update this test"
info "unit: ReadWritePaths=$rw, bounding set $caps"

ns_add host
veth_add host eth0 host eth1
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; } );
netlink = { lldpad_compat = true; };
CONF
# /run and /var/lib get fresh tmpfs (the host's are not touched); then the
# root is made read-only, and /run too unless the unit lists it.
run_ro=1
case " $rw " in *" /run "*) run_ro=0 ;; esac
cat >"$T_DIR/sandbox.sh" <<SH
set -e
mount -t tmpfs none /run
mkdir -p /run/vdpd && mount --bind /run/vdpd /run/vdpd
mount -t tmpfs none /var/lib
mkdir -p /var/lib/vdpd
mount -o remount,bind,ro /
[ $run_ro = 0 ] || mount -o remount,bind,ro /run
exec setpriv --bounding-set=-all,$caps --inh-caps=-all "\$@"
SH
setsid ip netns exec "$(nsname host)" unshare -m --propagation private sh "$T_DIR/sandbox.sh" \
	"$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" >"$T_DIR/vdpd.log" 2>&1 </dev/null &
VDPD=$!
T_PIDS+=("$VDPD")
T_PIDLOG+=("$T_DIR/vdpd.log")
inside() { nsenter -t "$VDPD" -m -n "$@"; }
vdpd_pid() { pgrep -P "$VDPD" -x vdpd || { [ "$(cat /proc/$VDPD/comm)" = vdpd ] && echo "$VDPD"; }; }
wait_for 5 "vdpd serves /run/vdpd/vdpd.sock in the sandbox" inside "$T_BUILD/vdpctl" uplink show
pid=$(vdpd_pid)
assert_eq "$(inside cat /run/lldpad.pid | tr -d '[:space:]')" "$pid" "/var/run/lldpad.pid names vdpd"
inside "$T_BUILD/vdpctl" profile add p1 qbg mgrid 1 typeid 2 typeidver 3 >/dev/null ||
	fail "profile add in the sandbox"
inside grep -q '"p1"' /var/lib/vdpd/registry.json || fail "registry not saved in /var/lib/vdpd"
assert_eq "$(inside cat /var/lib/vdpd/registry.json.lock | tr -d '[:space:]')" "$pid" "state lock names vdpd"
assert_eq "$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$pid/status)" 0000000000003000 "CapEff in the unit"
if touch_out=$(inside touch /etc/vdpd-probe 2>&1); then
	inside rm -f /etc/vdpd-probe
	fail "the sandbox is not read-only: $touch_out"
fi
grep -q "EROFS\|Read-only" "$T_DIR/vdpd.log" && fail "vdpd met a read-only file system: $(grep -m1 'Read-only' "$T_DIR/vdpd.log")"
pass "vdpd under the unit's sandbox: lldpad.pid, socket, state and lock written; CapEff 0x3000"
stop "$VDPD"
done_ok
