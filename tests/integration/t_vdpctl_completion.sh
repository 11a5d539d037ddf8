#!/bin/bash
# bash completion of vdpctl (tools/vdpctl/vdpctl.bash, which asks the
# hidden "vdpctl complete"): objects, status, verbs and keywords as vdpctl's help
# lists them, values from the system, and uplinks and VSIs from a running
# vdpd reached through the -s given on the command line.  Every object's
# verbs offered must be the verbs its help names and the reverse, so the
# keyword table, the help and the completion cannot drift apart.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd ip "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

SOCK=$T_DIR/vdpd.sock
COMP=$T_ROOT/tools/vdpctl/vdpctl.bash
UUID=c0000000-0000-4000-8000-0000000000c1

# complete WORD... : what the completion offers for the last word, sorted,
# one line, as bash would (COMP_WORDS/COMP_CWORD), vdpctl from $T_BUILD.
complete_words()
{
	PATH=$T_BUILD:$PATH bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_vdpctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' _ "$COMP" "$@"
}

assert_eq "$(complete_words vdpctl v)" "vsi" "object from a prefix"
assert_eq "$(complete_words vdpctl -j re)" "registry" "objects after an option (old spellings not offered)"
assert_eq "$(complete_words vdpctl profile '')" "add del help set show" "vdpctl profile <TAB>: the verbs"
assert_eq "$(complete_words vdpctl profile add web '')" "qbg qbh" "profile type"
assert_eq "$(complete_words vdpctl vsi show -j '')" "id uplink" "keywords after an option"
assert_eq "$(complete_words vdpctl attach x '')" "network port" "old spelling: attach = attachment add"
assert_eq "$(complete_words vdpctl registry export '')" "libvirt-network" "registry export"
assert_eq "$(complete_words vdpctl monitor '')" "config link registry uplink vsi" "monitor topics"
assert_eq "$(complete_words vdpctl -s '')" "$(compgen -f -- '' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"socket: file names"

# Each object's verbs: what its help names ("vdpctl OBJ VERB" lines,
# "{ add | set }" naming two) is what the completion offers, and back.
objects=$("$T_BUILD/vdpctl" help 2>&1 | sed -n '/OBJECT :=/,/}/p' | tr -d '{}|,' |
	sed 's/.*OBJECT :=//' | tr -s ' \n' '\n' | grep -v '^$' | sort | tr '\n' ' ' | sed 's/ $//')
[ -n "$objects" ] || fail "no objects in vdpctl help"
# and the commands of their own its usage names (vdpctl [ OPTIONS ] ... status IFACE-ID)
commands=$("$T_BUILD/vdpctl" help 2>&1 | sed -n 's/^ *vdpctl \[ OPTIONS \] .* \([a-z]*\) [A-Z-]*$/\1/p')
assert_eq "$commands" "status" "commands outside the objects in vdpctl help"
assert_eq "$(complete_words vdpctl '')" "$(printf '%s\n' $objects $commands help | sort | tr '\n' ' ' | sed 's/ $//')" \
	"objects offered = objects and commands in vdpctl help"
assert_eq "$(complete_words vdpctl sta)" "stats status" "stats and status (vdpctl sta runs stats)"
for o in $objects; do
	[ "$o" = monitor ] && continue
	verbs=$("$T_BUILD/vdpctl" "$o" help 2>&1 | grep -o "vdpctl $o [a-z{][a-z |]*" |
		sed "s/vdpctl $o //; s/[{}|]/ /g" | awk '{ if ($0 ~ /^ /) { for (i = 1; i <= NF; i++) print $i } else print $1 }' |
		sort -u | tr '\n' ' ' | sed 's/ $//')
	[ -n "$verbs" ] || fail "no verbs in vdpctl $o help"
	assert_eq "$(complete_words vdpctl "$o" '')" "$(printf '%s\n' $verbs help | sort -u | tr '\n' ' ' | sed 's/ $//')" \
		"verbs of $o: completion = help"
done
topics=$("$T_BUILD/vdpctl" monitor help 2>&1 | sed -n 's/.*TOPIC := { \(.*\) }.*/\1/p' | tr -d '|' | tr -s ' ' '\n' |
	sort | tr '\n' ' ' | sed 's/ $//')
assert_eq "$(complete_words vdpctl monitor '')" "$topics" "monitor topics: completion = help"
assert_eq "$(complete_words vdpctl vsi '')" "add del help show wait" "vsi verbs"
assert_eq "$(complete_words vdpctl physnet add dc mode '')" "passthrough private vepa" "physnet modes"
assert_eq "$(complete_words vdpctl vsi add uplink eth0 mode '')" "assoc deassoc preassoc preassoc-rr" "VDP modes"
assert_eq "$(complete_words vdpctl vsi add format '')" "group-mac-vid group-vid mac-vid vid" "filter formats"
assert_eq "$(complete_words vdpctl registry policy '')" "enforce learn off" "registry policies"
assert_eq "$(complete_words vdpctl --j)" "--json" "long option"

# Every keyword offered for "vsi add" and "vsi del" is in vdpctl's help.
help=$("$T_BUILD/vdpctl" vsi help 2>&1)
for verb in add del; do
	for w in $(complete_words vdpctl vsi $verb uplink eth0 ''); do
		grep -qw -- "$w" <<<"$help" || fail "completion offers \"$w\" for vsi $verb, vdpctl vsi help does not name it"
	done
done
pass "vsi add/del keywords all named by vdpctl vsi help"

# Values from the running daemon, through the -s of the command line.
ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:0c:01 02:00:00:00:0c:02
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; lldp = { tx_interval = 1; }; } );
CONF
printf 'interfaces = [ "p0" ];\nvdp = { types = ( { name = "web"; type_id = 5; version = 4; } ); };\n' \
	>"$T_DIR/bridge.conf"
bg host vdpd.log "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
bg br bridge.log "$T_BUILD/vdp-bridge" -F -f "$T_DIR/bridge.conf" -s "$T_DIR/bridge.sock"
wait_for 5 "vdpd answers" "$T_BUILD/vdpctl" -s "$SOCK" uplink show
"$T_BUILD/vdpctl" -s "$SOCK" vsi add uplink eth0 mode assoc uuid $UUID typeid 5 typeidver 4 \
	filter mac 52:54:00:00:0c:01 vid 10 nowait >/dev/null || fail "vsi add"

assert_eq "$(complete_words vdpctl -s "$SOCK" vsi show uplink '')" "eth0" "uplink names from the daemon"
assert_eq "$(complete_words vdpctl -s "$SOCK" vsi del uplink eth0 uuid c0)" "$UUID" "VSI ids from the daemon"
assert_eq "$(complete_words vdpctl -s "$T_DIR/nothing.sock" vsi del uplink eth0 uuid '')" "" \
	"no daemon: nothing offered, no error"
done_ok
