#!/bin/bash
# Exercises tests/lib/netns.sh: two VEPA "VMs" (macvlan) on one uplink whose
# far end is a Linux bridge port in a bridge namespace; they reach each other
# only when the bridge reflects frames (hairpin).  Then runs sub-tests that
# fail on purpose (fail, set -e error, wait_for timeout, SIGTERM, json_get of
# an empty answer inside $(...), answer of a silent daemon) and checks that
# each one removed its namespaces, processes and scratch directory.  And the
# JSON rule: an empty answer is never "gone" (json_none/json_q status 2).
. "$(dirname "$0")/../lib/netns.sh"

# ---- sub-test body (runs in a child bash with its own T_PREFIX) ----------
if [ "$1" = --child ]; then
	mode=$2 info=$3
	ns_add br
	ns_add host
	veth_add host eth0 br p0
	bridge_add br br0 p0
	vm_add host eth0 vm1 02:00:00:00:01:01 10.9.0.1/24
	macvtap_add host eth0 macvtap0 02:00:00:00:01:02
	bg host sleeper.log sleep 1000
	echo "pid $BG_PID" >>"$info"
	bg -m br private.log sleep 1000
	echo "pid $BG_PID" >>"$info"
	capture br p0 p0.pcap
	echo "pid ${T_CAPS[0]}" >>"$info"
	echo "dir $T_DIR" >>"$info"
	echo "ready" >>"$info"
	case $mode in
	fail) fail "failing on purpose" ;;
	error) set -e; false; echo "not reached" ;;
	timeout) wait_for 1 "something that never happens" false ;;
	term) wait_for 60 "SIGTERM from the parent" false ;;
	jsonget) v=$(json_get "" .vsis); echo "not reached: '$v'" ;;
	silent) answer v true; echo "not reached: '$v'" ;;
	esac
	exit 0
fi

require_root
require_cmd ip bridge tcpdump ping

# ---- 1. VEPA VMs through a hairpin bridge port ------------------------------
ns_add br
ns_add host
veth_add host eth0 br p0 02:00:00:00:00:10
bridge_add br br0 p0
vm_add host eth0 vm1 02:00:00:00:00:01 10.9.0.1/24
vm_add host eth0 vm2 02:00:00:00:00:02 10.9.0.2/24
assert_eq "$(mac_of vm1 eth0)" 02:00:00:00:00:01 "vm1 MAC"
mode=$(ip -n "$(nsname vm2)" -d link show eth0 | grep -o 'macvlan mode [a-z]*')
assert_eq "$mode" "macvlan mode vepa" "vm2 link mode"

# Without hairpin the bridge never sends a frame back out of its ingress port,
# so VEPA VMs cannot reach each other.
if nsx vm1 ping -c 1 -W 1 10.9.0.2 >/dev/null 2>&1; then
	fail "vm1 reached vm2 without hairpin: frames are not going through the bridge"
fi
pass "no VM-to-VM path without hairpin"

capture br p0 hairpin.pcap icmp
bridge -n "$(nsname br)" link set dev p0 hairpin on || fail "hairpin on"
wait_for 10 "vm1 pings vm2 through the hairpin" nsx vm1 ping -c 1 -W 1 10.9.0.2
pass "vm1 -> vm2 ping after hairpin on (${WAITED_MS} ms)"
nsx vm2 ping -c 3 -i 0.2 -W 1 10.9.0.1 >/dev/null || fail "vm2 -> vm1 ping"
pass "vm2 -> vm1 ping"
capture_stop
# Every echo request crosses p0 twice: in from vm1, back out by hairpin.
n=$(tcpdump -r "$T_DIR/hairpin.pcap" -n 'icmp[icmptype] = icmp-echo and src 10.9.0.2' 2>/dev/null | wc -l)
[ "$n" -ge 6 ] || fail "echo requests from vm2 seen $n times on p0, expected >= 6 (3 in, 3 reflected)"
pass "each echo request seen in and reflected on p0 ($n frames for 3 pings)"

# ---- 2. private /run and /dev/shm for bg -m ---------------------------------
marker=vdpt-marker-$$
bg -m host private.log sh -c "touch /run/$marker /dev/shm/$marker && echo made && exec sleep 1000"
wait_for 5 "private-mount process started" grep -q made "$T_DIR/private.log"
[ -e "/run/$marker" ] || [ -e "/dev/shm/$marker" ] &&
	fail "bg -m wrote into the host's /run or /dev/shm"
pass "bg -m has private /run and /dev/shm"

# ---- 3. sub-tests that fail leave nothing behind -----------------------------
# ---- 2b. the JSON rule: no answer is never a value, never "gone" -------------
silent() { :; }
none() { echo '[]'; }
some() { echo '[{"vsiid":"x"}]'; }
rc=0; json_none '.[]' silent 2>/dev/null || rc=$?
assert_eq "$rc" 2 "json_none on an empty answer"
rc=0; json_none '.[]' false 2>/dev/null || rc=$?
assert_eq "$rc" 2 "json_none on a failed command"
rc=0; json_none '.[] | select(.vsiid == "x")' some >/dev/null || rc=$?
assert_eq "$rc" 1 "json_none on an answer that holds it"
json_none '.[]' none || fail "json_none on an answer without it"
rc=0; json_q '.[0]' silent 2>"$T_DIR/q.err" || rc=$?
assert_eq "$rc" 2 "json_q on an empty answer"
grep -q 'no JSON answer from silent' "$T_DIR/q.err" || fail "json_q does not name the command: $(cat "$T_DIR/q.err")"

for mode in fail error timeout term jsonget silent; do
	info=$T_DIR/child-$mode.info
	cpfx=vt$$c${mode:0:2}-
	: >"$info"
	T_PREFIX=$cpfx T_NAME=child-$mode bash "$0" --child "$mode" "$info" \
		>"$T_DIR/child-$mode.log" 2>&1 &
	cpid=$!
	if [ $mode = term ]; then
		wait_for 20 "child $mode ready" grep -q ready "$info"
		kill -TERM "$cpid"
	fi
	wait "$cpid"
	rc=$?
	[ $rc -ne 0 ] || fail "sub-test $mode exited 0"
	left=$(ip netns list | awk '{print $1}' | grep "^$cpfx")
	[ -z "$left" ] || fail "sub-test $mode left namespaces: $left"
	grep -q ready "$info" || fail "sub-test $mode did not get ready: $(tail -5 "$T_DIR/child-$mode.log")"
	for p in $(awk '$1 == "pid" {print $2}' "$info"); do
		alive "$p" && fail "sub-test $mode left process $p: $(tr '\0' ' ' </proc/$p/cmdline)"
	done
	d=$(awk '$1 == "dir" {print $2}' "$info")
	[ -n "$d" ] && [ ! -e "$d" ] || fail "sub-test $mode left its directory $d"
	pass "sub-test '$mode' failed (exit $rc) and left nothing behind"
done
grep -q 'timeout after 1s waiting for: something that never happens' "$T_DIR/child-timeout.log" ||
	fail "wait_for timeout message missing"
grep -q -- '---- diagnostics' "$T_DIR/child-timeout.log" || fail "diagnostics missing on timeout"
pass "wait_for timeout prints its description and diagnostics"
grep -q "FAIL json_get '.vsis': input is empty or not JSON" "$T_DIR/child-jsonget.log" ||
	fail "json_get message missing: $(tail -3 "$T_DIR/child-jsonget.log")"
grep -q 'not reached' "$T_DIR/child-jsonget.log" "$T_DIR/child-silent.log" && fail "a sub-test went on after an empty answer"
grep -q "answer of 'true' is not JSON" "$T_DIR/child-silent.log" || fail "answer message missing"
pass "an empty answer ends the test, also from inside \$(...), naming the command"

done_ok
