# tests/lib/lldpad.sh: Debian's lldpad (1.1+git20221028) as an interop peer in
# a namespace, in the EVB station or bridge role (802.1Qbg-2012 EVB/ECP/VDP,
# lldpad's "evb"/"vdp22" modules).  Source after netns.sh.
#
# Facts these helpers rely on (observed, see docs/testing.md):
#   - lldpad guards against a second instance with POSIX shm /dev/shm/lldpad.state
#     and writes /run/lldpad.pid, so each instance runs under `bg -m` (private
#     /run and /dev/shm); the bridge instance also gets -p (no pid file).
#   - lldptool/vdptool reach lldpad through the abstract unix socket
#     "/com/intel/lldpad", which is per network namespace: run them with nsx.
#   - The EVB TLV rides the nearest-customer-bridge agent (-g ncb).
#   - vdptool -W waits at most 5 s for the bridge's answer and prints
#     "Response from VDP" with the confirmed fields; with no answer it prints
#     nothing and still exits 0.  In the bridge role vdptool answers
#     "FAILED: Command not applicable".

LLDPAD=${LLDPAD:-lldpad}
LLDPTOOL=${LLDPTOOL:-lldptool}
VDPTOOL=${VDPTOOL:-vdptool}
declare -A LLDPAD_PID LLDPAD_LOG

# lldpad_conf ROLE IF [key=value...]: print an lldpad.conf enabling LLDP rx/tx
# and the 2012 EVB TLV on IF.  Keys are lldptool's evb keywords: enableTx,
# evbrrreq, evbrrcap, evbgpid, ecpretries, ecprte, vdprwd, vdprka.
lldpad_conf()
{
	local role=$1 ifc=$2 kv k v
	shift 2
	declare -A c=([enableTx]=true [evbgpid]=false [ecpretries]=3
		[ecprte]=14 [vdprwd]=20 [vdprka]=16)
	if [ "$role" = bridge ]; then c[evbrrcap]=true; else c[evbrrreq]=true; fi
	for kv in "$@"; do c[${kv%%=*}]=${kv#*=}; done
	printf 'nearest_customer_bridge :\n{\n  %s :\n  {\n    adminStatus = 3;\n' "$ifc"
	printf '    tlvid0080c20d :\n    {\n      evbmode = "%s";\n' "$role"
	for k in "${!c[@]}"; do
		v=${c[$k]}
		case $v in yes) v=true ;; no) v=false ;; esac
		printf '      %s = %s;\n' "$k" "$v"
	done
	printf '    };\n  };\n};\n'
}

# lldpad_start NS IF ROLE [key=value...]: start lldpad (-V 7 log in
# $T_DIR/lldpad-NS.log) as EVB ROLE (station|bridge) on IF and wait until it
# answers on its control socket.
lldpad_start()
{
	local ns=$1 ifc=$2 role=$3 conf log extra=
	shift 3
	conf=$T_DIR/lldpad-$ns.conf
	log=$T_DIR/lldpad-$ns.log
	lldpad_conf "$role" "$ifc" "$@" >"$conf"
	[ "$role" = bridge ] && extra=-p
	bg -m "$ns" "$log" "$LLDPAD" -V 7 -f "$conf" $extra
	LLDPAD_PID[$ns]=$BG_PID
	LLDPAD_LOG[$ns]=$log
	wait_for 10 "lldpad in $ns answers lldptool -p" nsx "$ns" "$LLDPTOOL" -p
	alive "$BG_PID" || fail "lldpad in $ns exited: $(tail -5 "$log")"
}

# lldpad_start_tool NS IF ROLE [key=value...]: the same, but lldpad starts
# with an empty config and is configured at run time with lldptool, the way
# an operator would: -L adminStatus=rxtx, then -T -V evb evbmode=ROLE ...
lldpad_start_tool()
{
	local ns=$1 ifc=$2 role=$3 conf log extra= kv k rr=evbrrreq
	shift 3
	conf=$T_DIR/lldpad-$ns.conf
	log=$T_DIR/lldpad-$ns.log
	: >"$conf"
	[ "$role" = bridge ] && extra=-p rr=evbrrcap
	bg -m "$ns" "$log" "$LLDPAD" -V 7 -f "$conf" $extra
	LLDPAD_PID[$ns]=$BG_PID
	LLDPAD_LOG[$ns]=$log
	wait_for 10 "lldpad in $ns answers lldptool -p" nsx "$ns" "$LLDPTOOL" -p
	nsx "$ns" "$LLDPTOOL" -L -i "$ifc" -g ncb adminStatus=rxtx >/dev/null ||
		fail "lldptool -L adminStatus=rxtx in $ns"
	declare -A c=([enableTx]=yes [evbmode]=$role [$rr]=yes [ecprte]=14 [vdprka]=16)
	for kv in "$@"; do c[${kv%%=*}]=${kv#*=}; done
	kv=()
	for k in "${!c[@]}"; do kv+=("$k=${c[$k]}"); done
	lldpad_evb_set "$ns" "$ifc" "${kv[@]}"
}

# lldpad_stop NS
lldpad_stop() { stop "${LLDPAD_PID[$1]}" 3; }

# lldpad_evb_set NS IF key=value...: change EVB settings at run time.
lldpad_evb_set()
{
	local ns=$1 ifc=$2 kv args=()
	shift 2
	for kv in "$@"; do args+=(-c "$kv"); done
	nsx "$ns" "$LLDPTOOL" -T -i "$ifc" -g ncb -V evb "${args[@]}" >/dev/null ||
		fail "lldptool -T evb $* in $ns"
}

# lldpad_evb NS IF [-n]: the EVB TLV lldpad sends (or, with -n, last received
# from the neighbour), as lldptool pretty-prints it.
lldpad_evb() { nsx "$1" "$LLDPTOOL" -t ${3:+-n} -i "$2" -g ncb -V evb; }

# evb_parse: read lldptool's EVB pretty print on stdin, print one line
#   bridge=0x3 station=0x5 retries=3 rte=14 mode=station rwd_rl=1 rwd=20 rka_rl=1 rka=16
# (status octets in hex as lldptool shows them; r/l = 1 when the remote value is in use).
evb_parse()
{
	tr '\t\n' '  ' | sed -n 's/.*bridge:[a-z,]*(\(0x[0-9a-f]*\)) *station:[a-z,]*(\(0x[0-9a-f]*\)) *retries:\([0-9]*\) rte:\([0-9]*\) *mode:\([a-z]*\) r\/l:\([0-9]\) rwd:\([0-9]*\) *r\/l:\([0-9]\) rka:\([0-9]*\).*/bridge=\1 station=\2 retries=\3 rte=\4 mode=\5 rwd_rl=\6 rwd=\7 rka_rl=\8 rka=\9/p'
}

# evb_field LINE KEY: value of KEY in an evb_parse line.
evb_field() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# lldpad_wait_evb NS IF PEERMODE [SECONDS]: wait until the EVB exchange seen
# from lldpad in NS has converged: the peer's TLV (mode PEERMODE) was received,
# each side echoes the other's current status octet, and both TLVs carry the
# same R, RTE, RWD and RKA (each side sends max(local, received)).
lldpad_wait_evb()
{
	local ns=$1 ifc=$2 peer=$3 lim=${4:-20}
	wait_for "$lim" "EVB converged at lldpad $ns/$ifc with a $peer peer" \
		_lldpad_evb_converged "$ns" "$ifc" "$peer"
}
_lldpad_evb_converged()
{
	local l r k
	l=$(lldpad_evb "$1" "$2" | evb_parse)
	r=$(lldpad_evb "$1" "$2" -n | evb_parse)
	echo "local:  $l"
	echo "remote: $r"
	[ -n "$l" ] && [ -n "$r" ] && [ "$(evb_field "$r" mode)" = "$3" ] || return 1
	for k in bridge station retries rte rwd rka; do
		[ "$(evb_field "$l" $k)" = "$(evb_field "$r" $k)" ] || return 1
	done
}

# vdp_req NS IF MODE MGRID TYPEID TYPEVER UUID FILTER [key=value...]: one
# vdptool request (MODE assoc|preassoc|preassoc-rr|deassoc), waiting (-W) for
# the bridge's answer.  Output in VDP_OUT.  Returns 0 when vdptool printed a
# "Response from VDP" whose mode is MODE without an [err] mark.
VDP_OUT=
vdp_req()
{
	local ns=$1 ifc=$2 mode=$3 kv args=()
	args=(-c "mode=$mode" -c "mgrid2=$4" -c "typeid=$5" -c "typeidver=$6"
		-c "uuid=$7" -c "filter=$8")
	shift 8
	for kv in "$@"; do args+=(-c "$kv"); done
	case " $* " in *" hints="*) ;; *) args+=(-c hints=none) ;; esac
	VDP_OUT=$(nsx "$ns" "$VDPTOOL" -i "$ifc" -T -W -V "$mode" "${args[@]}" 2>&1)
	printf '%s\n' "$VDP_OUT" | grep -q '^Response from VDP' &&
		printf '%s\n' "$VDP_OUT" | grep -qx "[[:space:]]*mode = $mode"
}

# vdp_list NS IF: vdptool's VSI list (station role only).
vdp_list() { nsx "$1" "$VDPTOOL" -i "$2" -t -V assoc 2>&1; }

# vdp_listed NS IF UUID MODE: the station lists VSI UUID in MODE.
vdp_listed()
{
	vdp_list "$1" "$2" | awk -v u="$3" -v m="$4" '
		/^VSI/ { mode = ""; uuid = "" }
		$1 == "mode" { mode = $3 }
		$1 == "uuid" { uuid = $3; if (uuid == u && mode == m) found = 1 }
		END { exit !found }'
}

# lldpad_br_processed NS IF TYPEID: lldpad in the bridge role ran its resource
# check (PROCESS state) for a VSI of TYPEID.  vdptool cannot list a bridge's
# VSIs ("Command not applicable"), so its -V 7 log is the only evidence.
lldpad_br_processed() { grep -q "vdp22br_process:$2 vsi:.* id:$3\$" "${LLDPAD_LOG[$1]}"; }

# lldpad_log NS: path of lldpad's log in NS.
lldpad_log() { printf '%s' "${LLDPAD_LOG[$1]}"; }
