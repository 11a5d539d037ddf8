# tests/lib/admission.sh: the segment of the wire admission tests and a host
# on it that is not the EVB neighbour.  Source after netns.sh.
#
#   host/eth0 02:00:00:00:00:01 (station) --+
#   br/p0     02:00:00:00:00:02 (bridge)  --+-- sw/sw0: Linux bridge, no STP
#   evil/eth0 02:00:00:aa:bb:cc (foreign) --+
#
# Without STP a Linux bridge forwards frames to 01-80-C2-00-00-00 (the
# Nearest Customer Bridge address EVB uses), so all three hear each other
# as on one cable with a tap.

ADM_ST=02:00:00:00:00:01 ADM_BR=02:00:00:00:00:02 ADM_EVIL=02:00:00:aa:bb:cc

adm_segment()
{
	ns_add host
	ns_add br
	ns_add sw
	ns_add evil
	veth_add host eth0 sw h0 $ADM_ST
	veth_add br p0 sw b0 $ADM_BR
	veth_add evil eth0 sw e0 $ADM_EVIL
	bridge_add sw sw0 h0 b0 e0
}

# adm_inject DST SRC KIND ARGS...: one crafted frame from evil/eth0
# (tests/tools/vdp-inject.c; SRC may be spoofed).
adm_inject()
{
	nsx evil "$T_BUILD/tests/vdp-inject" eth0 "$@" >>"$T_DIR/inject.log" 2>&1 ||
		fail "vdp-inject $*: $(tail -1 "$T_DIR/inject.log")"
}

# adm_json VAR CMD...: CMD's JSON answer into VAR.  A failing command, an
# empty answer or one that is not a JSON object or array fails the test
# (jq -e alone lets an empty answer through).
adm_json()
{
	local __var=$1 __out __rc=0
	shift
	__out=$("$@" 2>&1) || __rc=$?
	[ $__rc = 0 ] || fail "$* exited $__rc: $__out"
	[ -n "$__out" ] || fail "$*: empty answer"
	printf '%s' "$__out" | jq -e 'type == "object" or type == "array"' >/dev/null 2>&1 ||
		fail "$*: not a JSON object or array: $__out"
	printf -v "$__var" '%s' "$__out"
}

# adm_get JSON FILTER: jq -r FILTER on an answer adm_json checked; a
# missing value prints "null", which no expected value matches.
adm_get() { printf '%s' "$1" | jq -r "$2"; }
