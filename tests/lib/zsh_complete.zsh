# zsh -f tests/lib/zsh_complete.zsh DIR LINE: types LINE and a TAB into an
# interactive zsh (in a pseudo-terminal, zsh/zpty) whose completion system
# was loaded by compinit with DIR first in fpath, and prints the matches
# the completion added for the word under the cursor, one a line, or
# "<files>" where it asked for file names.  compadd is wrapped to record
# what the real builtin kept (compadd -O: after matching what was typed)
# and then to add it as usual; _files only records "<files>" (the files of
# the current directory are the shell's business, not vdpctl's).
# Exit 1, with a message, if the shell does not get through in 5 s.
zmodload zsh/zpty || exit 1
dir=$1
line=$2
tmp=$(mktemp -d) || exit 1
trap 'zpty -d z 2>/dev/null; rm -rf $tmp' EXIT

# wait_file FILE: until FILE exists, for at most 5 s.
wait_file()
{
	local i
	for i in {1..100}; do
		[[ -e $1 ]] && return 0
		sleep 0.05
	done
	print -u2 "zsh_complete: the shell did not write ${1:t} within 5 s"
	return 1
}

zpty z zsh -f -i
zpty -w z "unsetopt autolist beep; PS1='%% '; fpath=(${(q)dir} \$fpath)"
zpty -w z "autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \$m >>$tmp/matches; builtin compadd \"\$@\"; }"
zpty -w z "_files() { print -r -- '<files>' >>$tmp/matches; }"
zpty -w z "print >$tmp/ready"
wait_file $tmp/ready || exit 1
# The TAB, then ^U (kill-whole-line) and a command that runs only once
# zle has read everything before it: the completion is over.
zpty -w -n z "$line"$'\t\x15'"print >$tmp/done"$'\n'
wait_file $tmp/done || exit 1
[[ -e $tmp/matches ]] && grep -v '^$' $tmp/matches
exit 0
