# bash completion for vdpctl (installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/vdpctl).  Objects, verbs and
# keywords as in `vdpctl --help`; interface names from the local system,
# uplinks, VSIs, profiles and networks from the running daemon (vdpctl -j,
# quietly nothing when it does not answer).

# _vdpctl_json KEY ARGS...: the string values of KEY in `vdpctl -j ARGS`
# (the socket given on the command line, if any; a timeout of 1 s).
_vdpctl_json()
{
	local key=$1
	shift
	"${_vdpctl_cmd[@]}" -t 1000 -j "$@" 2>/dev/null | grep -o "\"$key\":\"[^\"]*\"" |
		sed 's/.*:"\(.*\)"/\1/' | sort -u
}

_vdpctl_ifaces() { ls /sys/class/net 2>/dev/null; }

_vdpctl()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}

	local objects="uplink neighbor vsi stats monitor profile physnet network port attach detach bind unbind
		resolve export hook registry help"
	local options="-j --json -p --pretty -s --socket -t --timeout -V --version -h --help -b -batch -force"

	# Skip the options (and their arguments) to find the object.
	local i obj="" oi=0
	_vdpctl_cmd=("${words[0]}")
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --socket) _vdpctl_cmd+=(-s "${words[i + 1]}"); ((i++)) ;;
		-t | --timeout | -b | -batch) ((i++)) ;;
		-*) ;;
		*) obj=${words[i]}; oi=$i; break ;;
		esac
	done

	case $prev in
	-s | --socket | -b | -batch)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	-t | --timeout) return ;;
	uplink | dev)
		if [ "$obj" = vsi ] || [ "$obj" = stats ] || [ "$obj" = neighbor ] || [ "$obj" = uplink ]; then
			COMPREPLY=($(compgen -W "$(_vdpctl_json name uplink show)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_vdpctl_ifaces)" -- "$cur"))
		fi
		return
		;;
	mode)
		if [ "$obj" = physnet ]; then
			COMPREPLY=($(compgen -W "vepa private passthrough" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "assoc preassoc preassoc-rr deassoc" -- "$cur"))
		fi
		return
		;;
	id | uuid | vsiid)
		[ "$obj" = vsi ] && COMPREPLY=($(compgen -W "$(_vdpctl_json vsiid vsi show)" -- "$cur"))
		return
		;;
	profile) COMPREPLY=($(compgen -W "$(_vdpctl_json name profile show)" -- "$cur")); return ;;
	network)
		[ "$obj" != network ] && COMPREPLY=($(compgen -W "$(_vdpctl_json name network show)" -- "$cur"))
		return
		;;
	physnet) [ "$obj" != physnet ] && COMPREPLY=($(compgen -W "$(_vdpctl_json physnet physnet show)" -- "$cur")); return ;;
	format) COMPREPLY=($(compgen -W "vid mac-vid group-vid group-mac-vid" -- "$cur")); return ;;
	vsiid-format) COMPREPLY=($(compgen -W "ipv4 ipv6 mac local uuid" -- "$cur")); return ;;
	filter) COMPREPLY=($(compgen -W "mac vid pcp group" -- "$cur")); return ;;
	hints) COMPREPLY=($(compgen -W "none migrate-to migrate-from" -- "$cur")); return ;;
	policy) COMPREPLY=($(compgen -W "off learn enforce" -- "$cur")); return ;;
	esac

	if [ -z "$obj" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$options" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$objects" -- "$cur"))
		fi
		return
	fi

	local verb=${words[oi + 1]}
	if ((cword == oi + 1)); then
		case $obj in
		uplink | neighbor) COMPREPLY=($(compgen -W "show help" -- "$cur")) ;;
		vsi) COMPREPLY=($(compgen -W "show add del wait help" -- "$cur")) ;;
		stats) COMPREPLY=($(compgen -W "uplink help" -- "$cur")) ;;
		monitor) COMPREPLY=($(compgen -W "vsi uplink link config help" -- "$cur")) ;;
		profile | physnet | network) COMPREPLY=($(compgen -W "add set del show help" -- "$cur")) ;;
		port) COMPREPLY=($(compgen -W "add del show help" -- "$cur")) ;;
		attach | bind) COMPREPLY=($(compgen -W "show help" -- "$cur")) ;;
		export) COMPREPLY=($(compgen -W "libvirt-network help" -- "$cur")) ;;
		hook) COMPREPLY=($(compgen -W "network qemu help" -- "$cur")) ;;
		registry) COMPREPLY=($(compgen -W "show policy help" -- "$cur")) ;;
		esac
		return
	fi

	case $obj:$verb in
	uplink:show | neighbor:show | stats:*) COMPREPLY=($(compgen -W "uplink" -- "$cur")) ;;
	vsi:wait) COMPREPLY=($(compgen -W "uplink timeout" -- "$cur")) ;;
	vsi:show) COMPREPLY=($(compgen -W "uplink id" -- "$cur")) ;;
	vsi:add) COMPREPLY=($(compgen -W "uplink mode uuid vsiid-format vsiid mgrid typeid typeidver filter mac vid pcp group
		format hints wait nowait" -- "$cur")) ;;
	vsi:del) COMPREPLY=($(compgen -W "uplink uuid vsiid-format vsiid wait nowait" -- "$cur")) ;;
	monitor:*) COMPREPLY=($(compgen -W "vsi uplink link config" -- "$cur")) ;;
	profile:add | profile:set) COMPREPLY=($(compgen -W "qbg qbh mgrid typeid typeidver profileid vlan filter" -- "$cur")) ;;
	physnet:add | physnet:set) COMPREPLY=($(compgen -W "dev mode" -- "$cur")) ;;
	physnet:del | physnet:show) COMPREPLY=($(compgen -W "dev" -- "$cur")) ;;
	network:add | network:set) COMPREPLY=($(compgen -W "physnet profile vlan uuid" -- "$cur")) ;;
	port:add) COMPREPLY=($(compgen -W "network" -- "$cur")) ;;
	attach:*) COMPREPLY=($(compgen -W "network port" -- "$cur")) ;;
	bind:*) COMPREPLY=($(compgen -W "dev mac uplink" -- "$cur")) ;;
	resolve:*) COMPREPLY=($(compgen -W "--xml" -- "$cur")) ;;
	registry:policy) COMPREPLY=($(compgen -W "off learn enforce" -- "$cur")) ;;
	esac
}

complete -F _vdpctl vdpctl
