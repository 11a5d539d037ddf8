# tests/lib/converge.sh: vdpd (namespace "host", eth0) with N VSIs added by
# one vdpctl -b batch, against vdp-bridge (namespace "br", p0), at R 3,
# RTE 10, RKA 16 (toutKeepAlive at the bridge: 1.5 x (655.36 + 7 x 10.24)
# ms = 1.09 s).  Source after netns.sh and vdpbridge.sh.  Every number read
# from a daemon goes through cnum: an empty or unparsable answer fails the
# test (jq -e alone passes on empty input), an unreachable daemon is never
# taken for "none".

SOCK=$T_DIR/vdpd.sock
vdpctl() { "$T_BUILD/vdpctl" -s "$SOCK" "$@"; }
cv_uuid() { printf '77777777-0000-4000-8000-%012x' "$1"; }
cv_mac() { printf '52:54:00:07:%02x:%02x' $(($1 / 256)) $(($1 % 256)); }

# cnum CMD...: the command's answer, a number, or the test fails.
cnum()
{
	local out
	out=$("$@" 2>/dev/null) || fail "no answer from: $*"
	[[ $out =~ ^[0-9]+$ ]] || fail "not a number from $*: '$out'"
	printf '%s' "$out"
}
# cnum_or_empty CMD...: the same for wait_for conditions: "" when unanswered
# (the condition is then false, the wait goes on).
cnum_or_empty()
{
	local out
	out=$("$@" 2>/dev/null) || return 0
	[[ $out =~ ^[0-9]+$ ]] && printf '%s' "$out"
}
br_assoc() { vbr_j .vsis_associated status; }
br_timeouts() { vbr_j '.ports[0].bridge.timeouts' counters show; }
st_assoc() { vdpctl -j uplink show | jq -er '.[0].vsis.associated'; }
br_has() { local a; a=$(cnum_or_empty br_assoc); [ -n "$a" ] && [ "$a" -ge "$1" ]; }

# cv_start_vdpd: vdpd in "host" (VDPD is its pid), intents in $T_DIR.
cv_start_vdpd()
{
	bg host vdpd.log "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" \
		-i "$T_DIR/vsis.json"
	VDPD=$BG_PID
}

# converge_setup N: namespaces, both daemons, EVB, N VSIs associated.
converge_setup()
{
	local n=$1 i
	ns_add host
	ns_add br
	veth_add host eth0 br p0 02:00:00:00:07:01 02:00:00:00:07:02
	printf 'global = { resp_wait_max_ms = %d; };\nuplinks = ( { name = "eth0"; evb = { rte = %d; rka = %d; }; lldp = { tx_interval = 2; }; } );\n' \
		"${CV_RESP_WAIT_MS:-8000}" "${CV_RTE:-10}" "${CV_RKA:-16}" >"$T_DIR/vdpd.conf"
	vbr_start br 'interfaces = [ "p0" ];
evb = { rka = 10; rte = 8; };
vdp = { max_vsis = 0; types = ( { name = "web"; type_id = 5; version = 4; vlan = 10; } ); };
fault = { seed = 11; };'
	cv_start_vdpd
	wait_for 5 "vdpd answers on its socket" vdpctl uplink show
	converged() { [ "$(vdpctl -j uplink show | jq -r '.[0].converged')" = true ]; }
	wait_for 10 "EVB negotiated on eth0" converged
	assert_eq "$(vdpctl -j neighbor show | jq -r '.[0].negotiated | "\(.r) \(.rte) \(.rka)"')" "3 ${CV_RTE:-10} ${CV_RKA:-16}" \
		"negotiated R RTE RKA"
	diag_add "'$T_BUILD/vdpctl' -s '$SOCK' -j stats | jq -c '.reconcile, .uplinks[0].vdp, .uplinks[0].vsis'"
	for ((i = 1; i <= n; i++)); do
		echo "vsi add uplink eth0 mode assoc uuid $(cv_uuid $i) typeid 5 typeidver 4 filter mac $(cv_mac $i) vid 10"
	done >"$T_DIR/add.batch"
	echo "vsi wait uplink eth0 timeout 60" >>"$T_DIR/add.batch"
	vdpctl -b "$T_DIR/add.batch" >"$T_DIR/add.out" 2>"$T_DIR/add.err" ||
		fail "vdpctl -b: $(tail -3 "$T_DIR/add.err")"
	wait_for 30 "bridge lists $n associated" br_has "$n"
	pass "$n VSIs associated"
}

# hold N SECS: sample the bridge every second for SECS: toutKeepAlive
# expiries stay 0 and all N stay associated.  Prints the minimum.
hold()
{
	local n=$1 secs=$2 t0 next to a min=$1 samples=0
	t0=$(now_ms)
	next=$t0
	while [ $(($(now_ms) - t0)) -lt $((secs * 1000)) ]; do
		to=$(cnum br_timeouts) a=$(cnum br_assoc)
		samples=$((samples + 1))
		[ "$to" = 0 ] || fail "bridge toutKeepAlive expiries: $to after $(ms_to_s $(($(now_ms) - t0))) s"
		[ "$a" = "$n" ] || fail "bridge associated: $a of $n after $(ms_to_s $(($(now_ms) - t0))) s"
		[ "$a" -lt "$min" ] && min=$a
		next=$((next + 1000))
		while [ "$(now_ms)" -lt $next ]; do sleep 0.05; done	# the next 1 s sample
	done
	HOLD_SAMPLES=$samples HOLD_MIN=$min
}
