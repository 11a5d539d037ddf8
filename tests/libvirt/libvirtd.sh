# tests/libvirt/libvirtd.sh: an unmodified libvirtd (Debian 12's 9.0) and a
# TCG guest against vdpd, without touching the host.  Source after
# tests/lib/netns.sh and tests/lib/vdpbridge.sh.
#
# Topology (reference libvirt-kernel.md A.7; docs/libvirt.md "Testing with a
# real libvirtd"):
#
#   netns st, private mount namespace (the "holder" process keeps it alive):
#     libvirtd, vdpd (lldpad-compatible front), virsh, QEMU (TCG)
#     bqbg0: Linux bridge = <source dev> and vdpd's uplink; macvtaps on it
#       eth0: bridge port --- veth --- netns br: p0, vdp-bridge
#
# The mount namespace has temporary directories bind-mounted over
# /etc/libvirt, /run (so /var/run/lldpad.pid and /run/libvirt are private),
# /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt (their parents get
# an overlay first when the host lacks the directory, so nothing is created on
# the host), and, when the host has no libvirt-qemu user, copies of
# /etc/passwd and /etc/group that have it.  Everything lives in $T_DIR/lv and
# goes away with the namespaces at cleanup.
#
# Why a Linux bridge as <source dev>: libvirt walks IFLA_LINK from the macvtap
# to the root device; a veth names its peer there and libvirtd loops for ever.
#
#   lv_setup VDPD_EXTRA_CONF BRIDGE_TYPES   namespaces, bridge, vdp-bridge, holder, vdpd, libvirtd
#   lvx CMD...                              run CMD in the holder's mount + network namespaces
#   virsh ARGS...                           virsh -c qemu:///system inside
#   lv_domain NAME UUID INTERFACE_XML       a TCG domain: 64 MiB, no disk, one NIC
#   lv_qbg_nic MAC MGR TYPE VER INSTANCE    <interface type='direct'> on bqbg0, VEPA, 802.1Qbg
#   lv_log_count REGEX                      matching lines in libvirtd's log

require_root
require_cmd ip jq nsenter unshare python3 mkfifo /usr/sbin/libvirtd virsh qemu-system-x86_64 \
	"$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

LV=$T_DIR/lv
LV_HOLDER=
LV_LIBVIRTD=
LV_VDPD=
LV_DEV=bqbg0
LV_LOG=$LV/log/libvirtd.log
SOCK=$T_DIR/vdpd.sock

vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }

# lvx CMD...: CMD inside the holder's namespaces (mount + network).
lvx() { nsenter -t "$LV_HOLDER" -m -n -- "$@"; }

# lv_bg LOGFILE CMD...: like bg(), inside the holder's namespaces.
lv_bg()
{
	local log=$1
	shift
	case $log in /*) ;; *) log=$T_DIR/$log ;; esac
	setsid nsenter -t "$LV_HOLDER" -m -n -- "$@" >"$log" 2>&1 </dev/null &
	BG_PID=$!
	T_PIDS+=("$BG_PID")
	T_PIDLOG+=("$log")
}

virsh() { lvx virsh -q -c qemu:///system "$@"; }

lv_log_count() { grep -cE "$1" "$LV_LOG" 2>/dev/null || true; }

# ---- the private mount namespace ------------------------------------------------

lv_write_conf()
{
	mkdir -p "$LV"/etc "$LV"/run "$LV"/lib "$LV"/log "$LV"/cache
	# Only what this test needs; every other setting keeps libvirt's default.
	cat >"$LV/etc/libvirtd.conf" <<'CONF'
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_filters = "1:util.netdevvportprofile 1:util.netlink 1:util.netdevmacvlan 1:qemu.qemu_interface 2:network.bridge_driver 3:*"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
CONF
	cat >"$LV/etc/qemu.conf" <<'CONF'
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
namespaces = [ ]
stdio_handler = "file"
cgroup_controllers = [ ]
CONF
	# libvirtd builds its default QEMU driver object before it reads
	# qemu.conf and fails ("Failed to parse user 'libvirt-qemu'") without
	# the user that libvirt-daemon-system would create: give the namespace
	# passwd/group copies that have it instead of adding it to the host.
	if ! getent passwd libvirt-qemu >/dev/null; then
		local id=64055 gid
		while getent passwd $id >/dev/null || getent group $id >/dev/null; do id=$((id - 1)); done
		cp /etc/passwd "$LV/passwd"
		cp /etc/group "$LV/group"
		gid=$(getent group libvirt-qemu | cut -d: -f3)
		if [ -z "$gid" ]; then
			gid=$id
			echo "libvirt-qemu:x:$gid:" >>"$LV/group"
		fi
		echo "libvirt-qemu:x:$id:$gid:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin" >>"$LV/passwd"
	fi
}

# The script the holder runs in its new mount namespace ($1 = $LV).  The
# namespace is private, so none of these mounts reaches the host; they end
# when the last process in it does.
LV_MOUNTS='set -e
L=$1
mount --bind "$L/etc" /etc/libvirt
mount --bind "$L/run" /run
for d in lib log cache; do
	if [ ! -d /var/$d/libvirt ]; then
		mkdir -p "$L/ovl/$d/up" "$L/ovl/$d/work"
		mount -t overlay overlay -o "lowerdir=/var/$d,upperdir=$L/ovl/$d/up,workdir=$L/ovl/$d/work" /var/$d
		mkdir /var/$d/libvirt
	fi
	mount --bind "$L/$d" /var/$d/libvirt
done
if [ -f "$L/passwd" ]; then
	mount --bind "$L/passwd" /etc/passwd
	mount --bind "$L/group" /etc/group
fi
echo mounted
# Keeps the namespaces alive until cleanup kills it (not a wait for anything);
# named after $L so that leftovers are easy to find.
exec -a "vdpt-lv-holder $L" sleep infinity'

lv_holder()
{
	lv_write_conf
	bg st lv-holder.log unshare -m --propagation private bash -c "$LV_MOUNTS" sh "$LV"
	LV_HOLDER=$BG_PID
	wait_for 5 "holder mounted its private directories" grep -qx mounted "$T_DIR/lv-holder.log"
	# inside sees the private copies, the host does not
	touch "$LV/etc/.probe" "$LV/run/.probe"
	lvx test -e /etc/libvirt/.probe || fail "/etc/libvirt is not the private copy inside"
	lvx test -e /var/run/.probe || fail "/var/run is not the private copy inside"
	[ -e /etc/libvirt/.probe ] || [ -e /run/.probe ] && fail "a private directory leaked to the host"
	rm -f "$LV/etc/.probe" "$LV/run/.probe"
	lvx test -d /var/lib/libvirt || fail "no /var/lib/libvirt inside"
	lvx getent passwd libvirt-qemu >/dev/null || fail "no libvirt-qemu user inside"
	pass "private mount namespace: /etc/libvirt /run /var/{lib,log,cache}/libvirt from $LV"
}

# ---- libvirtd --------------------------------------------------------------------

# lv_route_ports PID: NETLINK_ROUTE port ids of the sockets PID holds.
lv_route_ports()
{
	local pid=$1 inodes
	inodes=$(ls -l "/proc/$pid/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | sort -u | tr '\n' ' ')
	[ -n "$inodes" ] || return 0
	awk -v ino=" $inodes" 'NR > 1 && $2 == 0 && index(ino, " " $10 " ") { print $3 }' "/proc/$pid/net/netlink"
}

lv_ready() { virsh version >/dev/null 2>&1; }

# The port-sign bug.  libvirt 9.0 keeps the port of its NETLINK_ROUTE
# event socket in an int (virNetlinkEventServiceLocalPid); when it is >= 2^31
# every 802.1Qbg operation fails with only "sending of PortProfileRequest
# failed." and nothing reaches vdpd (reference A.7).  libnl 3.7 picks
# ports pid + (n << 22) with n derived from time(NULL) and advanced per
# socket, so n >= 512 (a port >= 2^31) does not come at random: observed,
# every start for minutes on end got one (n fell by one per second,
# 762 ... 678 over 85 s), then every start for minutes got a good one.
# Restarting therefore does not help; making those ports busy does: libnl
# binds its choice, and on EADDRINUSE takes the next port of its sequence
# (up to 6 tries, then the kernel's choice, which is the pid).  So before
# libvirtd is exec'ed with a pid known in advance, a helper in the same
# network namespace binds pid + (n << 22) for n = 512..1023.  libvirtd
# itself is not changed; the helper ends once libvirtd's event port is seen.
LV_BLOCKER='import socket, signal, sys
pid = int(sys.argv[1]) & 0x3FFFFF
socks, busy = [], 0
for n in range(512, 1024):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    try:
        s.bind(((pid + (n << 22)) & 0xFFFFFFFF, 0))
    except OSError:
        busy += 1
    socks.append(s)
print("holding %d ports >= 2^31 for pid %d (%d already busy)" % (len(socks) - busy, pid, busy), flush=True)
signal.pause()'

lv_route_bad() { local p; for p in "$@"; do [ "$p" -ge 2147483648 ] && return 0; done; return 1; }

# lv_start_libvirtd: start libvirtd (pid fixed by a shell that waits for a
# FIFO, then execs it), with the ports >= 2^31 of that pid held by
# LV_BLOCKER; check its NETLINK_ROUTE ports and restart if one is still bad.
lv_start_libvirtd()
{
	local try ports go=$T_DIR/lv-go
	for try in 1 2 3; do
		rm -f "$go"
		mkfifo "$go" || fail "mkfifo $go"
		lv_bg libvirtd.log sh -c 'read go <"$1"; shift; exec "$@"' sh "$go" \
			/usr/sbin/libvirtd -f /etc/libvirt/libvirtd.conf
		LV_LIBVIRTD=$BG_PID
		lv_bg lv-blocker.log python3 -c "$LV_BLOCKER" "$LV_LIBVIRTD"
		LV_BLOCK=$BG_PID
		wait_for 10 "ports >= 2^31 of pid $LV_LIBVIRTD held" grep -q '^holding' "$T_DIR/lv-blocker.log"
		echo go >"$go"
		wait_for 60 "libvirtd answers virsh" lv_ready
		LV_START_MS=$WAITED_MS
		ports=$(lv_route_ports "$LV_LIBVIRTD" | xargs)
		stop "$LV_BLOCK"
		[ -n "$ports" ] || fail "libvirtd has no NETLINK_ROUTE socket"
		if ! lv_route_bad $ports; then
			LV_TRIES=$try
			LV_PORTS=$ports
			pass "libvirtd $(lvx /usr/sbin/libvirtd --version | awk '{print $NF}') up after ${LV_START_MS} ms, NETLINK_ROUTE port $ports < 2^31 (start $try; $(cat "$T_DIR/lv-blocker.log"))"
			return 0
		fi
		info "libvirtd NETLINK_ROUTE port(s) $ports: one is >= 2^31 (libvirt's int cast bug), restarting"
		stop "$LV_LIBVIRTD" 10
	done
	fail "libvirtd got a NETLINK_ROUTE port >= 2^31 $try times"
}

# ---- topology ---------------------------------------------------------------------

# lv_setup VDPD_EXTRA BRIDGE_TYPES: everything up; EVB converged; libvirtd
# ready.  VDPD_EXTRA is appended to vdpd.conf, BRIDGE_TYPES is the body of
# vdp-bridge's vdp.types list.
lv_setup()
{
	ns_add st
	ns_add br
	nsx st ip link add $LV_DEV type bridge stp_state 0 forward_delay 0 || fail "bridge $LV_DEV"
	# EVB LLDP goes to 01:80:c2:00:00:00, forwarded by a bridge without STP;
	# 01:80:c2:00:00:0e (LLDP nearest bridge) needs bit 14 of the mask.
	echo 16384 | nsx st tee /sys/class/net/$LV_DEV/bridge/group_fwd_mask >/dev/null ||
		fail "group_fwd_mask on $LV_DEV"
	veth_add st eth0 br p0 02:00:00:00:00:01 02:00:00:00:00:02
	nsx st ip link set eth0 master $LV_DEV || fail "eth0 into $LV_DEV"
	nsx st ip link set $LV_DEV up || fail "$LV_DEV up"

	vbr_start br "interfaces = [ \"p0\" ];
evb = { rka = 16; };
vdp = { types = ( $2 ); };"

	lv_holder

	cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "$LV_DEV"; evb = { rte = 10; rka = 16; }; lldp = { tx_interval = 1; }; } );
netlink = { lldpad_compat = true; pidfile = "/var/run/lldpad.pid"; };
$1
CONF
	"$T_BUILD/vdpd" -t -f "$T_DIR/vdpd.conf" >"$T_DIR/vdpd.check" 2>&1 ||
		fail "vdpd -t: $(cat "$T_DIR/vdpd.check")"
	lv_bg vdpd.log "$T_BUILD/vdpd" -F -d -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "$T_DIR/vdpd.pid" \
		-S "$T_DIR/registry.json" "${VDPD_INTENTS[@]}"
	LV_VDPD=$BG_PID
	wait_for 5 "vdpd answers on its socket" vdpctl uplink show
	wait_for 5 "vdpd wrote /var/run/lldpad.pid inside" test -s "$LV/run/lldpad.pid"
	assert_eq "$(cat "$LV/run/lldpad.pid")" "$(cat "$T_DIR/vdpd.pid")" "private /var/run/lldpad.pid holds vdpd's pid"
	wait_for 20 "EVB converged on $LV_DEV" lv_converged
	pass "EVB converged through the Linux bridge after ${WAITED_MS} ms"

	diag_add "vdpctl -j stats | jq -c .netlink"
	diag_add "vdpctl -j vsi show"
	diag_add "tail -n 40 $LV_LOG"
	diag_add "virsh list --all"
	lv_start_libvirtd
}

lv_converged()
{
	[ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ] && vbr_converged p0
}

# ---- domains ----------------------------------------------------------------------

# lv_qbg_nic MAC MGR TYPEID VERSION INSTANCE
lv_qbg_nic()
{
	cat <<XML
    <interface type='direct'>
      <mac address='$1'/>
      <source dev='$LV_DEV' mode='vepa'/>
      <virtualport type='802.1Qbg'>
        <parameters managerid='$2' typeid='$3' typeidversion='$4' instanceid='$5'/>
      </virtualport>
      <model type='virtio'/>
      <rom enabled='no'/>
    </interface>
XML
}

# lv_domain NAME UUID NIC_XML: a TCG guest without disk (SeaBIOS finds
# nothing to boot and waits; the NIC is all that matters).
lv_domain()
{
	cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
$3
  </devices>
</domain>
XML
}

# lv_define NAME UUID NIC_XML
lv_define()
{
	lv_domain "$@" >"$T_DIR/$1.xml"
	virsh define /dev/stdin <"$T_DIR/$1.xml" >"$T_DIR/$1.define" 2>&1 ||
		fail "virsh define $1: $(cat "$T_DIR/$1.define")"
}

# lv_start NAME: virsh start; sets LV_RC, LV_OUT, LV_MS (elapsed).
lv_start()
{
	local t0
	t0=$(now_ms)
	LV_RC=0
	LV_OUT=$(virsh start "$1" 2>&1) || LV_RC=$?
	LV_MS=$(($(now_ms) - t0))
}

lv_state() { virsh domstate "$1" 2>/dev/null | head -1; }

# Destroy the running domains while libvirtd still runs (so it
# de-associates and removes its macvtaps), then the generic cleanup.
lv_cleanup()
{
	local rc=$? d
	set +e
	if [ -n "$LV_LIBVIRTD" ] && alive "$LV_LIBVIRTD"; then
		for d in $(timeout 10 nsenter -t "$LV_HOLDER" -m -n -- virsh -q -c qemu:///system list --name 2>/dev/null); do
			timeout 20 nsenter -t "$LV_HOLDER" -m -n -- virsh -q -c qemu:///system destroy "$d" >/dev/null 2>&1
		done
	fi
	(exit $rc)
	cleanup
}
trap lv_cleanup EXIT
