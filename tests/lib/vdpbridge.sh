# tests/lib/vdpbridge.sh: start and query build/vdp-bridge (our bridge-role
# peer, docs/vdp-bridge.md) in a namespace.  Source after netns.sh.

VBR_BIN=${VBR_BIN:-$T_BUILD/vdp-bridge}
VBR_SOCK=
VBR_PID=

# vbr_start NS CONFTEXT [extra args...]: write CONFTEXT to $T_DIR/bridge.conf,
# check it (vdp-bridge -t), run vdp-bridge -F -d in NS with its control socket
# in $T_DIR, wait until it answers `status`.
vbr_start()
{
	local ns=$1
	shift
	printf '%s\n' "$1" >"$T_DIR/bridge.conf"
	shift
	VBR_SOCK=$T_DIR/bridge.sock
	"$VBR_BIN" -t -f "$T_DIR/bridge.conf" >"$T_DIR/bridge.check" 2>&1 ||
		fail "vdp-bridge -t refuses the config: $(cat "$T_DIR/bridge.check")"
	bg "$ns" bridge.log "$VBR_BIN" -F -d -f "$T_DIR/bridge.conf" -s "$VBR_SOCK" "$@"
	VBR_PID=$BG_PID
	wait_for 5 "vdp-bridge answers status" vbr status
	diag_add "$VBR_BIN -s $VBR_SOCK -j vsi show"
	diag_add "$VBR_BIN -s $VBR_SOCK -j counters show"
}

# vbr ARGS...: the vdp-bridge client.
vbr() { "$VBR_BIN" -s "$VBR_SOCK" "$@"; }

# vbr_j JQFILTER ARGS...: client with -j, jq -r FILTER on the answer; 2 if
# the bridge gave no JSON answer (json_q: the command is named on stderr).
vbr_j() { local f=$1; shift; json_q "$f" vbr -j "$@"; }

# vbr_true JQFILTER ARGS...: FILTER is true on the bridge's answer (a
# predicate; never true without an answer)
vbr_true() { [ "$(vbr_j "$@")" = true ]; }

# vbr_vsi VSIID [JQFILTER]: the bridge's record of a VSI; 1 if the bridge
# answered without it, 2 if it did not answer.
vbr_vsi()
{
	local out
	out=$(vbr_j "[.[] | select(.vsiid == \"$1\")] | .[0] | ${2:-.} // empty" vsi show) || return
	[ -n "$out" ] || return 1
	printf '%s\n' "$out"
}

# vbr_has_vsi VSIID MODE / vbr_no_vsi VSIID (true only if the bridge answered
# and does not list the VSI)
vbr_has_vsi() { [ "$(vbr_vsi "$1" .mode)" = "$2" ]; }
vbr_no_vsi() { json_none ".[] | select(.vsiid == \"$1\")" vbr -j vsi show; }

# vbr_converged PORT: EVB converged on PORT.
vbr_converged() { [ "$(vbr_j ".ports[] | select(.port == \"$1\") | .converged" status)" = true ]; }

# vbr_counter JQPATH: one number from `counters show`, e.g. .vdp.refused
vbr_counter() { vbr_j "$1" counters show; }

# vbr_lldpad_pair [EXTRA_CONF [LLDPAD_KEY=VALUE...]]: the interop topology,
# lldpad station on st/eth0 ($ST_MAC) -- veth -- vdp-bridge on br/p0 ($BR_MAC),
# vdp-bridge knowing type 4711 version 3 (VID 0 answered with VLAN 10),
# RKA 15, RTE 14 (VBR_EVB replaces the evb group's contents); returns when EVB has converged at both ends (unless
# VBR_NO_WAIT is set).  EXTRA_CONF is appended to the bridge's config.
ST_MAC=02:00:00:00:aa:01 BR_MAC=02:00:00:00:bb:01
vbr_lldpad_pair()
{
	local extra=$1
	shift
	ns_add st
	ns_add br
	veth_add st eth0 br p0 $ST_MAC $BR_MAC
	vbr_start br 'interfaces = [ "p0" ];
evb = { '"${VBR_EVB:-rka = 15; rte = 14;}"' };
vdp = { types = ( { name = "web"; type_id = 4711; version = 3; vlan = 10; } ); };'"
$extra"
	lldpad_start st eth0 station ecprte=14 vdprka=14 "$@"
	[ -n "$VBR_NO_WAIT" ] && return 0
	lldpad_wait_evb st eth0 bridge
	wait_for 5 "vdp-bridge EVB converged on p0" vbr_converged p0
}
