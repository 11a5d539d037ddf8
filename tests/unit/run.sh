#!/bin/sh
# Runs each cmocka test binary; prints one line per binary and a summary.
# A binary counts as failed if it exits non-zero (cmocka exits with the
# number of failed tests) or is killed by a sanitizer.  Test cases cmocka
# reports SKIPPED (e.g. netlink tests without CAP_NET_ADMIN) are counted and
# named: `make check` fails on them unless ALLOW_SKIP=1.
label=unit
[ -n "$SAN" ] && label="unit (asan+ubsan)"
pass=0 fail=0 tests=0 skipped=0
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	n=$(printf '%s\n' "$out" | grep -c '^\[       OK \]')
	# cmocka names a skipped case when it runs and again in its summary
	sk=$(printf '%s\n' "$out" | grep '^\[  SKIPPED \] ' | grep -v ' test(s)' |
		sed 's/^\[  SKIPPED \] //' | sort -u)
	k=0
	[ -n "$sk" ] && k=$(printf '%s\n' "$sk" | wc -l)
	tests=$((tests + n))
	skipped=$((skipped + k))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		if [ $k -gt 0 ]; then
			printf 'ok   %-40s %3d tests, %d SKIPPED: %s\n' "$(basename "$t")" "$n" "$k" "$(echo $sk)"
		else
			printf 'ok   %-40s %3d tests\n' "$(basename "$t")" "$n"
		fi
	else
		fail=$((fail + 1))
		printf 'FAIL %-40s (exit %d)\n' "$(basename "$t")" "$rc"
		printf '%s\n' "$out" | grep -v '^\[       OK \]\|^\[ RUN      \]' | sed 's/^/     /'
	fi
done
echo "== $label: $pass passed, $fail failed, $skipped skipped ($tests test cases)"
[ $fail -eq 0 ]
