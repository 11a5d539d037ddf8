#!/bin/bash
# tests/lint/layers.sh: the layers may only point down.  Each folder below
# has the list of folders it may use; a project #include or a linked symbol
# (nm: undefined in one object, defined in another) that reaches any other
# folder is an error, and so is naming the daemon's struct vdpd outside
# vdp/daemon.  Run by `make check` after the build.
#
# usage: tests/lint/layers.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build}

# folder: folders it may use (itself always)
declare -A MAY=(
	[vdp/base]=""
	[vdp/wire]="vdp/base"
	[lldp]="vdp/base"
	[vdp/io]="vdp/base vdp/wire"
	[vdp/store]="vdp/base"
	[vdp/ctl]="vdp/base vdp/io"
	[vdp/engine]="vdp/base vdp/wire lldp vdp/io"
	[vdp/nlfront]="vdp/base vdp/wire lldp vdp/io vdp/engine"
	[profiles]="vdp/base vdp/wire lldp vdp/io vdp/store vdp/ctl vdp/engine"
	[vdp/daemon]="vdp/base vdp/wire lldp vdp/io vdp/store vdp/ctl vdp/engine vdp/nlfront profiles"
	[tools/vdp-bridge]="vdp/base vdp/wire lldp vdp/io vdp/store vdp/ctl vdp/engine"
	[tools/vdpctl]="vdp/base vdp/wire vdp/io vdp/ctl profiles"
	[tools/vdp-nlclient]="vdp/base vdp/wire"
)

folder_of()
{
	local d=${1%/*}
	case $d in
	vdp/*|lldp|profiles|tools/*) echo "$d" ;;
	*) echo "" ;;
	esac
}

allowed()	# FROM TO
{
	[ "$1" = "$2" ] && return 0
	local m
	for m in ${MAY[$1]-}; do [ "$m" = "$2" ] && return 0; done
	return 1
}

bad=0
# 1. #include lines
while IFS=: read -r file _ inc; do
	from=$(folder_of "$file"); [ -n "$from" ] || continue
	[ -n "${MAY[$from]+x}" ] || { echo "layers: $file: folder $from has no entry in tests/lint/layers.sh"; bad=1; continue; }
	to=$(folder_of "$inc"); [ -n "$to" ] || continue
	if ! allowed "$from" "$to"; then
		echo "layers: $file includes $inc ($from may not use $to)"
		bad=1
	fi
done < <(git grep -n -o -E '^#include "[^"]+"' -- 'vdp/*' 'lldp/*' 'profiles/*' 'tools/*.c' 'tools/*.h' \
	| sed -E 's/#include "([^"]+)"/\1/')

# 2. symbols: who defines what, who uses what
if [ -d "$BUILD/obj" ]; then
	declare -A DEF=()
	objs=$(cd "$BUILD/obj" && find vdp lldp profiles tools -name '*.o' 2>/dev/null | sort)
	# objects of sources that are gone (renamed, split) are left over from
	# an earlier build: not part of the program any more
	live=""
	for o in $objs; do [ -f "${o%.o}.c" ] && live="$live $o"; done
	objs=$live
	for o in $objs; do
		while read -r sym; do DEF[$sym]=${o%.o}.c; done < <(nm -g --defined-only "$BUILD/obj/$o" | awk '$2 ~ /[TDBR]/ {print $3}')
	done
	for o in $objs; do
		src=${o%.o}.c
		from=$(folder_of "$src")
		while read -r sym; do
			def=${DEF[$sym]-}; [ -n "$def" ] || continue
			to=$(folder_of "$def")
			if ! allowed "$from" "$to"; then
				echo "layers: $src uses $sym from $def ($from may not use $to)"
				bad=1
			fi
		done < <(nm -u "$BUILD/obj/$o" | awk '{print $2}')
	done
else
	echo "layers: $BUILD/obj missing; build first (symbol check skipped)"; bad=1
fi
# 3. The daemon is the only place that knows all components: no other
# folder names its struct (a forward declaration is a dependency too).
while IFS= read -r hit; do
	echo "layers: $hit (only vdp/daemon may name struct vdpd)"
	bad=1
done < <(git grep -n -E 'struct vdpd([^_a-zA-Z0-9]|$)' -- 'vdp/*' 'lldp/*' 'profiles/*' 'tools/*.c' 'tools/*.h' \
	':!vdp/daemon/*')
[ $bad = 0 ] && echo "== layers: ok (includes and symbols point down)"
exit $bad
