#!/bin/bash
# vdpd as a service: without -F it detaches (the parent exits 0 once the
# socket is served, the pid file names the child); under systemd
# (NOTIFY_SOCKET) it stays in the foreground and reports READY=1, STATUS=,
# RELOADING=1 and STOPPING=1 as datagrams; a missing /run/vdpd-like
# directory is created; -t reports errors as FILE:LINE with exit 1.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip python3 "$T_BUILD/vdpd" "$T_BUILD/vdpctl"

ns_add host
veth_add host eth0 host eth1
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; } );
CONF
printf 'uplinks = (\n  { name = "eth0"; evb = { rte = 40; }; }\n);\n' >"$T_DIR/bad.conf"

rc=0
"$T_BUILD/vdpd" -t -f "$T_DIR/bad.conf" >"$T_DIR/t.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "vdpd -t exit code for a bad file"
assert_eq "$(cat "$T_DIR/t.out")" "vdpd: $T_DIR/bad.conf:2: evb.rte (ECP ackTimer exponent) = 40 is out of range 0..31" \
	"vdpd -t message"

# ---- classic daemon: detaches --------------------------------------------
RUN=$T_DIR/run1
nsx host "$T_BUILD/vdpd" -f "$T_DIR/vdpd.conf" -s "$RUN/vdpd.sock" -p "$RUN/vdpd.pid" -S "$T_DIR/state.json" \
	-i "$RUN/vsis.json" ||
	fail "vdpd (detaching) exited with $?"
pid=$(cat "$RUN/vdpd.pid" 2>/dev/null)
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || fail "no live daemon named by the pid file"
T_PIDS+=("$pid")
pass "detached daemon runs as pid $pid; $RUN created"
"$T_BUILD/vdpctl" -s "$RUN/vdpd.sock" uplink show >/dev/null || fail "detached daemon does not answer"
[ "$(stat -c %a "$RUN/vdpd.sock")" = 660 ] || fail "socket mode $(stat -c %a "$RUN/vdpd.sock")"
pass "socket mode 660"
kill -TERM "$pid"
wait_for 5 "detached daemon stops on SIGTERM" bash -c "! kill -0 $pid 2>/dev/null"
[ ! -e "$RUN/vdpd.pid" ] || fail "pid file left behind"

# ---- under systemd: NOTIFY_SOCKET ------------------------------------------
NOTIFY=$T_DIR/notify.sock
python3 - "$NOTIFY" "$T_DIR/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
PY
T_PIDS+=("$!")
wait_for 5 "notify receiver bound" test -S "$NOTIFY"
RUN=$T_DIR/run2
NOTIFY_SOCKET=$NOTIFY bg host vdpd2.log env NOTIFY_SOCKET="$NOTIFY" "$T_BUILD/vdpd" \
	-f "$T_DIR/vdpd.conf" -s "$RUN/vdpd.sock" -p "$RUN/vdpd.pid" -S "$T_DIR/state.json" \
	-i "$RUN/vsis.json"
VDPD=$BG_PID
wait_for 5 "READY=1" grep -qx 'READY=1' "$T_DIR/notify.log"
"$T_BUILD/vdpctl" -s "$RUN/vdpd.sock" uplink show >/dev/null || fail "not serving when READY=1 came"
pass "READY=1 after ${WAITED_MS} ms, socket served"
kill -0 "$VDPD" || fail "vdpd under NOTIFY_SOCKET forked or died"
assert_eq "$(cat "$RUN/vdpd.pid")" "$VDPD" "pid file names the process systemd started"
wait_for 5 "STATUS=" grep -q '^STATUS=0 VSIs associated, 0 other, . of 1 uplinks negotiated' "$T_DIR/notify.log"
kill -HUP "$VDPD"
wait_for 5 "RELOADING=1 then READY=1" bash -c "grep -A1 -x RELOADING=1 '$T_DIR/notify.log' | grep -qx READY=1"
kill -TERM "$VDPD"
wait_for 5 "STOPPING=1" grep -qx 'STOPPING=1' "$T_DIR/notify.log"
wait_for 5 "vdpd exits" bash -c "! kill -0 $VDPD 2>/dev/null"
pass "notifications: $(tr '\n' '|' <"$T_DIR/notify.log")"
done_ok
