#!/bin/bash
# tests/lint/docs.sh: what the documentation cites exists.
#  - every relative markdown link [x](path) and [x](path#section) in
#    README.md and docs/*.md: the file, and in a .md target a heading whose
#    GitHub anchor is the section;
#  - every repository path named in README.md, docs/*.md and docs/man/*
#    (vdp/..., lldp/..., profiles/..., tools/..., tests/..., docs/...):
#    the file or directory (globs and placeholders are skipped).
# The examples of docs/registry.md and docs/libvirt.md are run by
# tests/integration/t_docs_examples.sh.
set -u
cd "$(dirname "$0")/../.."
bad=0
err() { printf 'docs: %s\n' "$*"; bad=$((bad + 1)); }

# anchors FILE: the GitHub anchors of its headings, one a line
anchors()
{
	grep -E '^#{1,6} ' "$1" | sed -E 's/^#+ +//' | tr 'A-Z' 'a-z' |
		sed -E 's/`//g; s/[^a-z0-9 _-]//g; s/ /-/g'
}

docs=(README.md docs/*.md)
for doc in "${docs[@]}"; do
	dir=$(dirname "$doc")
	# [text](target): not images' URLs, not http(s)/mailto
	grep -noE '\]\([^)[:space:]]+\)' "$doc" | while IFS= read -r hit; do
		line=${hit%%:*}
		target=${hit#*:](}
		target=${target%)}
		case $target in http://* | https://* | mailto:*) continue ;; esac
		file=${target%%#*}
		sect=
		[[ $target == *#* ]] && sect=${target#*#}
		[ -z "$file" ] && file=$(basename "$doc")
		path=$dir/$file
		if [ ! -e "$path" ]; then
			echo "$doc:$line: link to $target: $path does not exist"
			continue
		fi
		if [ -n "$sect" ] && [[ $path == *.md ]] && ! anchors "$path" | grep -qxF -- "$sect"; then
			echo "$doc:$line: link to $target: no section \"$sect\" in $path"
		fi
	done
done >"${TMPDIR:-/tmp}/docs-lint.$$"

# exists PATH: the path, or each alternative of one {a,b} group and every
# glob ([ch], *) matching something
exists()
{
	local p=$1 pre alts post a
	if [[ $p == *'{'*'}'* ]]; then
		pre=${p%%'{'*} post=${p#*'}'} alts=${p#*'{'} alts=${alts%%'}'*}
		IFS=, read -ra alts <<<"$alts"
		for a in "${alts[@]}"; do exists "$pre$a$post" || return 1; done
		return 0
	fi
	compgen -G "$p" >/dev/null
}

# repository paths cited in prose, code and man pages (a trailing "." or
# ":LINE" is the sentence's or the line number)
grep -noE '(^|[^A-Za-z0-9_./$-])(vdp|lldp|profiles|tools|tests|docs)/[][A-Za-z0-9_./+*{},-]*[]A-Za-z0-9_+*}-]' \
	"${docs[@]}" docs/man/* | while IFS= read -r hit; do
	file=${hit%%:*}
	rest=${hit#*:}
	line=${rest%%:*}
	p=${rest#*:}
	p=$(printf '%s' "$p" | sed -E 's/^[^a-z]+//')
	case $p in *'<'* | *'$'*) continue ;; esac
	[[ $p == *']' && $p != *'['* ]] && p=${p%]}
	exists "$p" || exists "${p%.}" || echo "$file:$line: cites $p, which is not in the repository"
done >>"${TMPDIR:-/tmp}/docs-lint.$$"

if [ -s "${TMPDIR:-/tmp}/docs-lint.$$" ]; then
	sed 's/^/docs: /' "${TMPDIR:-/tmp}/docs-lint.$$"
	n=$(wc -l <"${TMPDIR:-/tmp}/docs-lint.$$")
	rm -f "${TMPDIR:-/tmp}/docs-lint.$$"
	echo "docs: $n citations of files or sections that do not exist"
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/docs-lint.$$"
echo "== docs: ok (links, sections and repository paths the docs cite exist)"
