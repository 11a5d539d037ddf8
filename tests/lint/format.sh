#!/bin/bash
# tests/lint/format.sh: lines changed since .clang-format was last changed
# must be as clang-format would write them.  Older code is left as written
# (it predates the file and was formatted by hand); what a change touches is
# checked.  With --fix, rewrites those lines in place instead.
set -u
cd "$(dirname "$0")/../.."
cfd=$(command -v clang-format-diff-14 || command -v clang-format-diff) || {
	echo "format: clang-format-diff not found (apt-get install clang-format)"; exit 1; }
base=$(git log -1 --format=%H -- .clang-format 2>/dev/null)
[ -n "$base" ] || { echo "format: .clang-format is not committed yet; nothing to compare"; exit 0; }
if [ "${1-}" = --fix ]; then
	git diff -U0 --no-color "$base" -- '*.c' '*.h' | "$cfd" -p1 -i
	exit 0
fi
out=$(git diff -U0 --no-color "$base" -- '*.c' '*.h' | "$cfd" -p1)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "format: the lines above differ from .clang-format (make format fixes them)"
	exit 1
fi
echo "== format: ok (lines changed since $(git log -1 --format=%h "$base") match .clang-format)"
