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

# adm_json VAR CMD... / adm_get JSON FILTER: the harness's JSON rule
# (tests/lib/netns.sh): `answer` (a failing command, an empty answer or one
# that is not JSON fails the test, naming the command) and `json_get`.
adm_json() { answer "$@"; }
adm_get() { json_get "$1" "$2"; }
