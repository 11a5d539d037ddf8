#!/bin/sh
# Runs each benchmark binary given as an argument and prints its output.
# Benchmarks print figures only; a non-zero exit is reported, not hidden.
rc=0
for b in "$@"; do
	echo "== $(basename "$b")"
	"$b" || { echo "!! $(basename "$b") exited $?"; rc=1; }
done
exit $rc
