#!/bin/sh
# Runs each cmocka test binary; prints one line per binary and a summary.
# A binary counts as failed if it exits non-zero (cmocka exits with the
# number of failed tests) or is killed by a sanitizer.
label=unit
[ -n "$SAN" ] && label="unit (asan+ubsan)"
pass=0 fail=0 tests=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	n=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	tests=$((tests + n))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf 'ok   %-40s %3d tests\n' "$(basename "$t")" "$n"
	else
		fail=$((fail + 1))
		printf 'FAIL %-40s (exit %d)\n' "$(basename "$t")" "$rc"
		printf '%s\n' "$out" | grep -v '^\[       OK \]\|^\[ RUN      \]' | sed 's/^/     /'
	fi
done
echo "== $label: $pass passed, $fail failed ($tests test cases)"
[ $fail -eq 0 ]
