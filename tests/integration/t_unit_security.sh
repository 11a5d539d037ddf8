#!/bin/bash
# docs/vdpd.service keeps its sandbox: `systemd-analyze security
# --offline=yes` must rate it 3.5 or lower (a setting dropped or loosened
# raises the figure).  Skipped (and counted as skipped) only where
# systemd-analyze is missing.
. "$(dirname "$0")/../lib/netns.sh"

MAX=3.5
UNIT=$T_ROOT/docs/vdpd.service
command -v systemd-analyze >/dev/null || skip "systemd-analyze missing (Debian: package systemd)"
out=$(systemd-analyze security --offline=yes "$UNIT" 2>&1) || true
score=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for vdpd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "no exposure level in: $out"
awk -v s="$score" -v m="$MAX" 'BEGIN { exit !(s <= m) }' ||
	fail "exposure $score over $MAX; the settings that cost most: $(printf '%s\n' "$out" | grep '✗' | head -5)"
pass "systemd-analyze security --offline=yes docs/vdpd.service: $score (limit $MAX)"
# --threshold makes systemd-analyze itself fail above it (0..100 = 0.0..10.0)
systemd-analyze security --offline=yes --threshold=35 "$UNIT" >/dev/null 2>&1 ||
	fail "systemd-analyze --threshold=35 refuses the unit"
pass "systemd-analyze --threshold=35 accepts it"
done_ok
