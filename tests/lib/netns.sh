# tests/lib/netns.sh: network-namespace harness sourced by every integration
# and interop test (bash).  Everything a test creates through these functions
# (namespaces, interfaces inside them, background processes, captures, the
# scratch directory) is removed by cleanup(), which runs on EXIT, INT and TERM,
# so a failing or interrupted test leaves nothing behind.
#
# Conventions
#   - Namespaces are named "$T_PREFIX<name>"; T_PREFIX holds the test's pid so
#     two tests can run side by side.  Functions take the short <name>.
#   - Interfaces are created inside namespaces only (never in the host), so
#     their names need not be unique across tests and die with the namespace.
#   - Readiness is polled with wait_for (deadline + diagnostics), never slept.
#   - Relative log/capture file names are placed in $T_DIR.
#   - JSON from a daemon (one rule for every test): an empty or unparsable
#     answer is a failure that names the command, never a value.  Read
#     answers with `answer VAR cmd...` (fails the test), `json_val FILTER
#     cmd...` (a value in $(...); fails the test) or `json_q FILTER cmd...`
#     (returns 2, for wait_for predicates); `json_get` refuses empty or
#     invalid text.  "Gone" is asserted only against a daemon that
#     answered: `json_none FILTER cmd...` is true only if cmd answered with
#     JSON and FILTER selects nothing.  Never `[ -z "$(cmd | jq ...)" ]` and
#     never rely on `jq -e`: Debian's jq 1.6 exits 0 on empty input.
#   - A test that cannot run exits 77 (skip); `make check` fails on skips
#     unless ALLOW_SKIP=1.
#
# Environment: T_KEEP=1 keeps $T_DIR after the run; T_VERBOSE=1 traces commands.

T_NAME=${T_NAME:-$(basename "${0%.sh}")}
T_PREFIX=${T_PREFIX:-vt$$-}
T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
T_BUILD=${T_BUILD:-$T_ROOT/build}
T_DIR=$(mktemp -d "/tmp/vdpt.${T_NAME}.XXXXXX")
T_NS=()		# short names of namespaces created, in creation order
T_PIDS=()	# pids of background processes (each a process-group leader)
T_PIDLOG=()	# log file of each background process (same index)
T_CAPS=()	# pids of tcpdump captures
T_MOUNTS=()	# tmpfs mounts made by tmpfs_add
T_DIAG=()	# extra diagnostic commands registered with diag_add
T_FAILED=0
T_CHECKS=0
BG_PID=

[ -n "$T_VERBOSE" ] && set -x

# ---- messages ---------------------------------------------------------------

t_log() { printf '[%s %s] %s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$T_NAME" "$*" >&2; }
info() { t_log "$@"; }

# pass MSG: one successful check.
pass() { T_CHECKS=$((T_CHECKS + 1)); printf 'ok   %s\n' "$*"; }

# fail MSG: print the reason and diagnostics, exit 1 (cleanup runs on EXIT).
fail()
{
	T_FAILED=1
	printf 'FAIL %s\n' "$*"
	printf 'FAIL %s\n' "$*" >&2
	diagnostics
	exit 1
}

# fail_test MSG: fail, also from inside $(...): there exit would end only the
# subshell, so the test's own shell (T_MAIN_PID) is signalled (USR1) and ends
# with status 1 as soon as the command substitution returns.  Not for wait_for
# predicates (those return non-zero and let the deadline decide).
T_MAIN_PID=$BASHPID
fail_test()
{
	[ "$BASHPID" != "$T_MAIN_PID" ] && kill -USR1 "$T_MAIN_PID" 2>/dev/null
	fail "$@"
}

# skip MSG: the test cannot run here (exit 77 = skip for tests/integration/run.sh).
skip() { printf 'SKIP %s\n' "$*"; exit 77; }

# done_ok: final line of a successful test.
# A test that sets its own EXIT trap replaces cleanup(): its namespaces and
# daemons would outlive it.  Register background pids in T_PIDS instead.
done_ok()
{
	trap -p EXIT | grep -q cleanup || fail "the EXIT trap was replaced: cleanup() would not run"
	printf 'PASS %s (%d checks)\n' "$T_NAME" "$T_CHECKS"
	exit 0
}

require_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
require_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [ -x "$c" ] || skip "needs $c"
	done
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq()
{
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
	pass "$3 = $2"
}

# ---- namespaces and links -----------------------------------------------------

# nsname NAME: full namespace name for a short one.
nsname() { printf '%s%s' "$T_PREFIX" "$1"; }

# nsx NS cmd...: run cmd inside namespace NS.
nsx() { local n=$1; shift; ip netns exec "$(nsname "$n")" "$@"; }

# ns_add NAME: new namespace with lo up, removed at cleanup.
ns_add()
{
	local full
	full=$(nsname "$1")
	ip netns add "$full" || fail "ip netns add $full"
	T_NS+=("$1")
	ip -n "$full" link set lo up || fail "lo up in $full"
	# No IPv6 DAD/router solicitations cluttering captures and slowing pings.
	ip netns exec "$full" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
}

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$(nsname "$1")"; }

# tmpfs_add DIR SIZE: a tmpfs of SIZE (mount's size=, e.g. 512k) on DIR,
# created if need be, e.g. a small disk to fill up; unmounted by cleanup.
tmpfs_add()
{
	mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0755" vdpt "$1" || fail "tmpfs on $1"
	T_MOUNTS+=("$1")
}

# veth_add NS1 IF1 NS2 IF2 [MAC1 [MAC2]]: veth pair, both ends up.
veth_add()
{
	local n1 n2
	n1=$(nsname "$1") n2=$(nsname "$3")
	ip -n "$n1" link add "$2" ${5:+address "$5"} type veth \
		peer name "$4" ${6:+address "$6"} netns "$n2" ||
		fail "veth $1/$2 <-> $3/$4"
	ip -n "$n1" link set "$2" up || fail "link up $1/$2"
	ip -n "$n2" link set "$4" up || fail "link up $3/$4"
}

# vm_add HOSTNS UPLINK VMNS MAC IP/PREFIX: a "VM": macvlan in VEPA mode on
# UPLINK, moved into its own namespace VMNS (created if needed) as eth0.
# VEPA sends everything, also VM-to-VM traffic, to the adjacent bridge.
vm_add()
{
	local h v tmp
	h=$(nsname "$1") v=$(nsname "$3")
	ns_exists "$3" || ns_add "$3"
	tmp=mv$RANDOM
	ip -n "$h" link add link "$2" name "$tmp" address "$4" type macvlan mode vepa ||
		fail "macvlan on $1/$2"
	ip -n "$h" link set "$tmp" netns "$v" || fail "move $tmp to $3"
	ip -n "$v" link set "$tmp" name eth0 || fail "rename eth0 in $3"
	ip -n "$v" addr add "$5" dev eth0 || fail "address $5 in $3"
	ip -n "$v" link set eth0 up || fail "eth0 up in $3"
}

# macvtap_add NS UPLINK NAME MAC: what libvirt creates for
# <interface type='direct'><source dev='UPLINK' mode='vepa'/>.
macvtap_add()
{
	local n
	n=$(nsname "$1")
	ip -n "$n" link add link "$2" name "$3" address "$4" type macvtap mode vepa ||
		fail "macvtap $3 on $1/$2"
	ip -n "$n" link set "$3" up || fail "link up $1/$3"
}

# bridge_add NS BR PORT...: Linux bridge (no STP, forwarding at once) with ports.
bridge_add()
{
	local n br p
	n=$(nsname "$1") br=$2
	shift 2
	ip -n "$n" link add "$br" type bridge stp_state 0 forward_delay 0 ||
		fail "bridge $br"
	for p in "$@"; do
		ip -n "$n" link set "$p" master "$br" || fail "enslave $p to $br"
	done
	ip -n "$n" link set "$br" up || fail "bridge $br up"
}

# mac_of NS IF
mac_of() { ip -n "$(nsname "$1")" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

# VDPD_INTENTS: options that keep vdpd's VSI intents file (default
# /var/lib/vdpd/vsis.json) in $T_DIR, empty for a vdpd built without
# --intents.  Every vdpd a test starts gets -S FILE (registry state) and
# "${VDPD_INTENTS[@]}", so the host's files never leak into a test.
VDPD_INTENTS=()
if "$T_BUILD/vdpd" --help 2>/dev/null | grep -q -- '--intents'; then
	VDPD_INTENTS=(--intents "$T_DIR/vdpd-intents.json")
fi

# intents_now FILE: the VSI intents a vdpd started now would load, as
# {"vsis":[...]}: the snapshot FILE, then the put/del payloads of the
# FILE.journal records ("J <seq> <len> <crc> <json>", vdp/store/journal.h); a
# last record without its newline was cut short and is dropped, as vdpd does.
intents_now()
{
	local complete=cat
	[ -s "$1.journal" ] && [ -n "$(tail -c 1 "$1.journal")" ] && complete='head -n -1'
	{ cat "$1" 2>/dev/null || echo '{"vsis":[]}'
	  $complete "$1.journal" 2>/dev/null | sed -n 's/^J [0-9a-f]\{16\} [0-9a-f]\{8\} [0-9a-f]\{8\} //p'; } |
		jq -s 'def k: "\(.uplink)|\(.vsiid_format)|\(.vsiid)";
			reduce .[1:][] as $r ((.[0].vsis | map({key: k, value: .}) | from_entries);
				if $r.put then .[$r.put | k] = $r.put else del(.[$r.del | k]) end)
			| {vsis: [.[]]}'
}

# ---- processes ----------------------------------------------------------------

# bg [-m] NS LOGFILE cmd...: start cmd inside NS in the background, output to
# LOGFILE; sets BG_PID.  -m gives it a private mount namespace with fresh
# tmpfs on /run and /dev/shm (lldpad keeps its single-instance guard in
# /dev/shm/lldpad.state and its pid file in /run, so two instances need this).
# Each process leads its own process group; cleanup kills the group.
bg()
{
	local priv=0 n log
	if [ "$1" = -m ]; then priv=1; shift; fi
	n=$(nsname "$1") log=$2
	shift 2
	case $log in /*) ;; *) log=$T_DIR/$log ;; esac
	if [ $priv = 1 ]; then
		setsid ip netns exec "$n" unshare -m --propagation private sh -c \
			'mount -t tmpfs none /dev/shm && mount -t tmpfs none /run && exec "$@"' \
			sh "$@" >"$log" 2>&1 </dev/null &
	else
		setsid ip netns exec "$n" "$@" >"$log" 2>&1 </dev/null &
	fi
	BG_PID=$!
	T_PIDS+=("$BG_PID")
	T_PIDLOG+=("$log")
}

# alive PID
alive() { kill -0 "$1" 2>/dev/null; }

# stop PID [SECONDS]: TERM the process group, KILL it after SECONDS (default 3).
stop()
{
	local pid=$1 lim=${2:-3} i=0
	alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
	while alive "$pid" && [ $i -lt $((lim * 20)) ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if alive "$pid"; then
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# ---- waiting --------------------------------------------------------------------

# now_ms: wall clock in milliseconds.
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# ms_to_s MS: "1.234"
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# wait_for SECONDS DESCRIPTION cmd...: poll cmd every 0.1 s until it succeeds;
# at the deadline fail with DESCRIPTION, the last output of cmd and the
# diagnostics.  Sets WAITED_MS (how long it took) and WAIT_OUT (cmd's output).
# Call it directly, not in $(...): fail must exit the test, not a subshell.
WAITED_MS= WAIT_OUT=
wait_for()
{
	local lim=$1 what=$2 t0 now
	shift 2
	t0=$(now_ms)
	while :; do
		if WAIT_OUT=$("$@" 2>&1); then
			WAITED_MS=$(($(now_ms) - t0))
			return 0
		fi
		now=$(now_ms)
		if [ $((now - t0)) -ge $((lim * 1000)) ]; then
			printf 'last output of "%s":\n%s\n' "$*" "$WAIT_OUT" >&2
			fail "timeout after ${lim}s waiting for: $what"
		fi
		sleep 0.1
	done
}

# ---- JSON -----------------------------------------------------------------------
# jq 1.6 (Debian) exits 0 with -e on empty input and prints nothing, so an
# unreachable daemon would read as "no such VSI".  These functions check
# that the text is exactly one JSON value before any filter sees it.

# json_ok TEXT: TEXT is one JSON value (not empty, parses).
json_ok() { [ -n "$1" ] && [ "$(printf '%s' "$1" | jq -s length 2>/dev/null)" = 1 ]; }

# answer VAR cmd...: VAR := cmd's answer.  Fails the test, naming cmd, if cmd
# exits non-zero or its output is empty or not one JSON value.
answer()
{
	local __v=$1 __out __rc=0
	shift
	__out=$("$@" 2>"$T_DIR/answer.err") || __rc=$?
	[ $__rc = 0 ] || fail "no answer from '$*' (exit $__rc): $(head -c 300 "$T_DIR/answer.err")"
	json_ok "$__out" || fail "answer of '$*' is not JSON: '${__out:0:300}'"
	printf -v "$__v" '%s' "$__out"
}

# json_q FILTER cmd...: jq -r FILTER on cmd's answer.  Returns 2 (message on
# stderr naming cmd) if cmd failed or its answer is empty or not JSON, so a
# wait_for predicate keeps waiting and its last output names the command;
# otherwise jq's status.
json_q()
{
	local f=$1 out rc=0
	shift
	out=$("$@" 2>"$T_DIR/json_q.err") || rc=$?
	if [ $rc != 0 ] || ! json_ok "$out"; then
		printf 'no JSON answer from %s (exit %d): %s\n' "$*" "$rc" "${out:0:300}$(head -c 300 "$T_DIR/json_q.err")" >&2
		return 2
	fi
	printf '%s' "$out" | jq -r "$f"
}

# json_val FILTER cmd...: jq -r FILTER on cmd's answer, for a value taken
# with $(...) and compared (also with ""): no JSON answer fails the test
# (fail_test), so an unreachable daemon never reads as "empty".
json_val()
{
	local out rc=0
	out=$(json_q "$@") || rc=$?
	[ $rc = 2 ] && fail_test "no JSON answer from '${*:2}'"
	[ $rc = 0 ] || fail_test "jq '$1' failed ($rc) on the answer of '${*:2}'"
	printf '%s\n' "$out"
}

# json_none FILTER cmd...: true only if cmd answered with JSON and FILTER
# selects nothing (no output, or only null/false); 1 if it selects something,
# 2 if cmd did not answer (see json_q).  The one way to assert "gone".
json_none()
{
	local got rc=0
	got=$(json_q "$@") || rc=$?
	[ $rc = 2 ] && return 2
	[ $rc = 0 ] || { printf 'jq failed (%d) on the answer of %s\n' "$rc" "${*:2}" >&2; return 2; }
	got=$(printf '%s\n' "$got" | grep -v -x 'null\|false\|')
	[ -z "$got" ] && return 0
	printf 'still there: %s\n' "${got:0:300}"
	return 1
}

# json_get JSON FILTER: jq -r FILTER on JSON text (read with `answer`).  Empty
# or unparsable text, or a jq error, is a failure, not a value: in the test's
# own shell it fails the test; inside $(...) it prints FAIL on stderr and
# signals the test (T_MAIN_PID) to end with a failure.
json_get()
{
	local out
	if ! json_ok "$1"; then
		fail_test "json_get '$2': input is empty or not JSON: '${1:0:200}'"
	fi
	out=$(printf '%s' "$1" | jq -r "$2" 2>&1) || fail_test "json_get '$2': jq: $out"
	printf '%s\n' "$out"
}

# ---- captures -------------------------------------------------------------------

# capture NS IF FILE [FILTER...]: tcpdump -w FILE on NS/IF until capture_stop
# or cleanup; waits until tcpdump is listening.
capture()
{
	local n=$1 ifc=$2 f=$3
	shift 3
	case $f in /*) ;; *) f=$T_DIR/$f ;; esac
	bg "$n" "$f.log" tcpdump -i "$ifc" --immediate-mode -U -n -w "$f" "$@"
	T_CAPS+=("$BG_PID")
	wait_for 5 "tcpdump on $n/$ifc listening" grep -q 'listening on' "$f.log"
}

# capture_stop: stop every capture (flushes the files).
capture_stop()
{
	local p
	for p in "${T_CAPS[@]}"; do
		alive "$p" && kill -INT "$p" 2>/dev/null
	done
	for p in "${T_CAPS[@]}"; do stop "$p" 3; done
	T_CAPS=()
}

# ---- diagnostics and cleanup ----------------------------------------------------

# diag_add CMD: shell command run (eval) by diagnostics() when a test fails.
diag_add() { T_DIAG+=("$1"); }

diagnostics()
{
	local s i n
	{
		echo "---- diagnostics ($T_NAME, prefix $T_PREFIX, dir $T_DIR)"
		for s in "${T_NS[@]}"; do
			n=$(nsname "$s")
			ip netns list | awk '{print $1}' | grep -qx "$n" || continue
			echo "-- netns $s"
			ip -n "$n" -br link 2>&1 | sed 's/^/   /'
			ip -n "$n" -br addr 2>&1 | awk '$1 != "lo" && NF > 2' | sed 's/^/   /'
		done
		for i in "${!T_PIDS[@]}"; do
			alive "${T_PIDS[$i]}" && s=running || s=exited
			echo "-- pid ${T_PIDS[$i]} ($s), last lines of ${T_PIDLOG[$i]}"
			tail -n 15 "${T_PIDLOG[$i]}" 2>/dev/null | sed 's/^/   /'
			echo
		done
		for s in "${T_DIAG[@]}"; do
			echo "-- $s"
			eval "$s" 2>&1 | sed 's/^/   /'
		done
		echo "---- end of diagnostics"
	} >&2
}

cleanup()
{
	local rc=$? i s n p
	trap - EXIT INT TERM
	set +e
	capture_stop
	for ((i = ${#T_PIDS[@]} - 1; i >= 0; i--)); do
		stop "${T_PIDS[$i]}" 3
	done
	# Anything else still inside our namespaces (a stuck lldptool, a
	# daemon that forked) was started by this test too.
	for ((i = ${#T_NS[@]} - 1; i >= 0; i--)); do
		n=$(nsname "${T_NS[$i]}")
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for ((i = ${#T_NS[@]} - 1; i >= 0; i--)); do
		n=$(nsname "${T_NS[$i]}")
		ip netns del "$n" 2>/dev/null
	done
	for s in "${T_NS[@]}"; do
		if ip netns list | awk '{print $1}' | grep -qx "$(nsname "$s")"; then
			echo "cleanup: namespace $(nsname "$s") still present" >&2
			rc=1
		fi
	done
	for ((i = ${#T_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${T_MOUNTS[$i]}" 2>/dev/null || umount -l "${T_MOUNTS[$i]}" 2>/dev/null ||
			{ echo "cleanup: cannot unmount ${T_MOUNTS[$i]}" >&2; rc=1; }
	done
	if [ -n "$T_KEEP" ]; then
		echo "cleanup: kept $T_DIR" >&2
	else
		rm -rf "$T_DIR"
	fi
	exit $rc
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'T_FAILED=1; exit 1' USR1
trap 'exit 143' TERM
