# bash completion for vdpctl (installed by `make install` as
# $(PREFIX)/share/bash-completion/completions/vdpctl).  The candidates come
# from vdpctl itself (the hidden `vdpctl complete WORDS...`), which reads
# the keyword table its parser reads, and names from the running daemon
# reached through the -s given on the command line (or the fleet store of
# its --etcd); "@files" asks for file names.  tools/vdpctl/_vdpctl, for
# zsh, asks the same.

_vdpctl()
{
	local cur words cword
	if declare -F _init_completion >/dev/null; then
		_init_completion -n = || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
	fi
	local IFS=$'\n' cands
	cands=$("${words[0]}" complete -- "${words[@]:1:cword}" 2>/dev/null)
	if [ "$cands" = "@files" ]; then
		COMPREPLY=($(compgen -f -- "$cur"))
	else
		COMPREPLY=($(compgen -W "$cands" -- "$cur"))
	fi
}

complete -F _vdpctl vdpctl
