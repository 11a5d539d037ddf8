# tests/lib/docex.sh: run the examples of a document (sourced after netns.sh).
#
# An example is a line "$ COMMAND" inside a fenced block (``` ... ```), a
# trailing "\" continuing it on the next line; the lines after it, up to
# the next "$ " line or the end of the block, are the output the document
# shows.  A shown output must be what the command prints (stdout and
# stderr); "..." in a shown line stands for any text (timings).  A command
# shown without output must succeed.  The document's indentation of the
# block is not part of the text.
#
#   docex_extract DOC TAG     -> $T_DIR/TAG.N.cmd / TAG.N.out, DOCEX_N examples
#   docex_block DOC PATTERN   the first fenced block holding PATTERN, unindented
#   docex_run TAG             runs them in order (with the shell functions the
#                             test defines, e.g. vdpctl -> -s its socket)

docex_extract()
{
	local doc=$1 tag=$2
	DOCEX_N=$(awk -v dir="$T_DIR" -v tag="$tag" '
		function flush() { if (cmd != "") { print cmd > (dir "/" tag "." n ".cmd"); close(dir "/" tag "." n ".cmd") } cmd = "" }
		/^ *```/ { if (inb) { flush(); inb = 0; out = "" } else { inb = 1; match($0, /^ */); ind = RLENGTH } next }
		!inb { next }
		{ line = substr($0, ind + 1) }
		cont { cmd = cmd " " line; sub(/\\$/, "", cmd); cont = (line ~ /\\$/); next }
		line ~ /^\$ / {
			flush(); n++; cmd = substr(line, 3); out = dir "/" tag "." n ".out"
			printf "" > out; close(out)
			cont = (cmd ~ /\\$/); sub(/\\$/, "", cmd); next
		}
		n && out != "" { print line >> out; close(out) }
		END { flush(); print n + 0 }
	' "$doc")
	[ "$DOCEX_N" -gt 0 ] || fail "no \"\$ \" examples in $doc"
}

docex_block()
{
	awk -v pat="$2" '
		/^ *```/ { if (inb) { if (hit) { printf "%s", buf; exit } inb = 0; buf = ""; next }
			   inb = 1; match($0, /^ */); ind = RLENGTH; next }
		inb { buf = buf substr($0, ind + 1) "\n"; if (index($0, pat)) hit = 1 }
	' "$1"
}

# docex_match EXPECTED_FILE ACTUAL_FILE: line by line, "..." = any text
docex_match()
{
	local e a
	[ "$(wc -l <"$1")" = "$(wc -l <"$2")" ] || return 1
	while IFS= read -r e <&3 && IFS= read -r a <&4; do
		local pat=${e//\\/\\\\}
		pat=${pat//\*/\\*}
		pat=${pat//\?/\\?}
		pat=${pat//\[/\\[}
		pat=${pat//.../*}
		# shellcheck disable=SC2053
		[[ $a == $pat ]] || return 1
	done 3<"$1" 4<"$2"
	return 0
}

docex_run()
{
	local tag=$1 i cmd rc
	for ((i = 1; i <= DOCEX_N; i++)); do
		[ -f "$T_DIR/$tag.$i.cmd" ] || continue
		cmd=$(cat "$T_DIR/$tag.$i.cmd")
		rc=0
		eval "$cmd" >"$T_DIR/$tag.$i.got" 2>&1 || rc=$?
		# the document's trailing blank lines are layout, not output
		sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$T_DIR/$tag.$i.out"
		if [ -s "$T_DIR/$tag.$i.out" ]; then
			if ! docex_match "$T_DIR/$tag.$i.out" "$T_DIR/$tag.$i.got"; then
				diff -u "$T_DIR/$tag.$i.out" "$T_DIR/$tag.$i.got" | sed 's/^/    /'
				fail "$tag example $i: \"\$ $cmd\" prints other than the document shows"
			fi
			pass "$tag example $i: \$ $cmd (output as shown)"
		else
			[ $rc = 0 ] || { sed 's/^/    /' "$T_DIR/$tag.$i.got"; fail "$tag example $i: \"\$ $cmd\" exits $rc"; }
			pass "$tag example $i: \$ $cmd (exit 0)"
		fi
	done
}
