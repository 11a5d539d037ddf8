#!/bin/bash
# Runs every tests/integration/t_*.sh (and tests/interop/t_*.sh) as root, each
# in its own process group with a deadline; prints one line per test and a
# summary.  TESTS="name ..." runs a subset.  Logs go to build/it-logs/.
cd "$(dirname "$0")/../.." || exit 1
logdir=build/it-logs
mkdir -p "$logdir"
if [ -n "$TESTS" ]; then
	list=""
	for n in $TESTS; do list="$list $(ls tests/integration/$n.sh tests/interop/$n.sh 2>/dev/null)"; done
else
	list=$(ls tests/integration/t_*.sh tests/interop/t_*.sh 2>/dev/null)
fi
pass=0 fail=0 skip=0
for t in $list; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	timeout -k 10 "${IT_TIMEOUT:-600}" bash "$t" >"$logdir/$name.log" 2>&1
	rc=$?
	dur=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'ok   %-36s %4ds\n' "$name" "$dur"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); printf 'skip %-36s %s\n' "$name" "$(tail -1 "$logdir/$name.log")"
	else
		fail=$((fail + 1)); printf 'FAIL %-36s %4ds (exit %d), last lines of %s:\n' "$name" "$dur" "$rc" "$logdir/$name.log"
		# The failed check first: the diagnostics after it fill the tail.
		grep -m3 '^FAIL ' "$logdir/$name.log" | sed 's/^/     /'
		tail -25 "$logdir/$name.log" | sed 's/^/     /'
	fi
done
echo "== integration: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
