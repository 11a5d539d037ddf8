#!/bin/bash
# zsh completion of vdpctl (tools/vdpctl/_vdpctl): the command lines are
# typed, with a TAB, into an interactive zsh in a pseudo-terminal that
# loaded the real completion system (compinit, _vdpctl found through its
# #compdef line in fpath); what compadd kept for the word under the cursor
# is recorded (tests/lib/zsh_complete.zsh).  Checked against the words
# expected (objects and status, verbs, keywords, options, names from a
# running vdpd) and against the bash completion (tools/vdpctl/vdpctl.bash)
# for the same command lines: both ask "vdpctl complete", so they agree.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd zsh ip "$T_BUILD/vdpd" "$T_BUILD/vdpctl"

SOCK=$T_DIR/vdpd.sock
IFACE=0b3c9e2a-1111-4d4d-8e8e-0000000000c2

# zsh_words WORD... : ZW = the matches zsh's completion adds for the last
# word ("<files>": it completes file names), sorted, on one line.  Not in a
# $(...): a shell that does not get through must fail the test, also where
# nothing is expected.
zsh_words()
{
	local m
	m=$(PATH=$T_BUILD:$PATH timeout 20 zsh -f "$T_ROOT/tests/lib/zsh_complete.zsh" \
		"$T_ROOT/tools/vdpctl" "$*") || fail "zsh did not complete \"$*\""
	ZW=$(printf '%s\n' "$m" | sort -u | tr '\n' ' ' | sed 's/^ //; s/ $//')
}

# bash_words WORD... : the same through vdpctl.bash.
bash_words()
{
	PATH=$T_BUILD:$PATH bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_vdpctl
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' _ \
		"$T_ROOT/tools/vdpctl/vdpctl.bash" "$@"
}

# check EXPECTED WORD... : zsh offers EXPECTED, and bash the same.
check()
{
	local want=$1
	shift
	zsh_words "$@"
	assert_eq "$ZW" "$want" "zsh: $*<TAB>"
	assert_eq "$(bash_words "$@")" "$want" "bash: $*<TAB>"
}

# check_files WORD... : zsh hands the word to its file completion, bash
# offers the file names.
check_files()
{
	zsh_words "$@"
	assert_eq "$ZW" "<files>" "zsh: $*<TAB>"
	assert_eq "$(bash_words "$@")" "$(compgen -f -- '' | sort | tr '\n' ' ' | sed 's/ $//')" "bash: $*<TAB>"
}

objects=$("$T_BUILD/vdpctl" help 2>&1 | sed -n '/OBJECT :=/,/}/p' | tr -d '{}|,' |
	sed 's/.*OBJECT :=//' | tr -s ' \n' '\n' | grep -v '^$')
[ -n "$objects" ] || fail "no objects in vdpctl help"
"$T_BUILD/vdpctl" help 2>&1 | grep -q ' status IFACE-ID$' || fail "vdpctl help does not name status"
check "$(printf '%s\n' $objects help status | sort | tr '\n' ' ' | sed 's/ $//')" vdpctl ''
check "stats status" vdpctl sta
check "vsi" vdpctl v
check "add del help show wait" vdpctl vsi ''
check "add del help show wait" vdpctl -j vsi ''
check "add" vdpctl vsi a
check "qbg qbh" vdpctl profile add web ''
check "passthrough private vepa" vdpctl physnet add dc mode ''
check "--json" vdpctl --j
check "--etcd" vdpctl --et
check "-b -batch" vdpctl -b
check "registry" vdpctl --etcd http://127.0.0.1:9 -p reg
check "" vdpctl --etcd ''
check_files vdpctl -s ''
check_files vdpctl -b ''
check_files vdpctl vsi show -s ''
check "" vdpctl status x ''

# Names from the running daemon reached through the -s on the line.
ns_add host
ns_add br
veth_add host eth0 br p0 02:00:00:00:0c:01 02:00:00:00:0c:02
cat >"$T_DIR/vdpd.conf" <<CONF
uplinks = ( { name = "eth0"; lldp = { tx_interval = 1; }; } );
registry = {
	policy = "off";
	profiles = ( { name = "web"; type = "802.1Qbg"; mgrid = 11; typeid = 5; typeidver = 4; } );
	uplinks = ( { dev = "eth0"; physnet = "datacenter"; mode = "vepa"; } );
	networks = ( { name = "A"; physnet = "datacenter"; profile = "web"; vlan = 10; } );
};
CONF
bg host vdpd.log "$T_BUILD/vdpd" -F -f "$T_DIR/vdpd.conf" -s "$SOCK" -p "" -S "$T_DIR/state.json" "${VDPD_INTENTS[@]}"
wait_for 5 "vdpd answers" "$T_BUILD/vdpctl" -s "$SOCK" uplink show
"$T_BUILD/vdpctl" -s "$SOCK" attachment add $IFACE network A >/dev/null || fail "attachment add"

check "eth0" vdpctl -s "$SOCK" vsi add uplink ''
check "eth0" vdpctl -s "$SOCK" vsi show uplink e
check "A" vdpctl -s "$SOCK" network show ''
check "web" vdpctl -s "$SOCK" -j profile del ''
check "$IFACE" vdpctl -s "$SOCK" status ''
check "$IFACE" vdpctl -s "$SOCK" status 0b3
check "" vdpctl -s "$SOCK" status 1
check "" vdpctl -s "$T_DIR/nothing.sock" vsi add uplink ''
done_ok
