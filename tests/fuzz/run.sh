#!/bin/sh
# Runs each libFuzzer target for $1 seconds on a scratch copy of its seed
# corpus (tests/fuzz/corpus/<target>/), so the committed seeds stay small.
secs=$1; shift
rc=0
for f in "$@"; do
	name=$(basename "$f")
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=build/fuzz/corpus-${name#fuzz_}
	mkdir -p "$work"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
	echo "== $name: $secs s"
	if "$f" -max_total_time="$secs" -print_final_stats=1 "$work" >build/fuzz/$name.log 2>&1; then
		grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' build/fuzz/$name.log | sed 's/^/   /'
		echo "   ok: no crash"
	else
		echo "   CRASH: see build/fuzz/$name.log"; tail -30 build/fuzz/$name.log; rc=1
	fi
done
exit $rc
