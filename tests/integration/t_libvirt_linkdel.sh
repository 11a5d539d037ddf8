#!/bin/bash
# A VM's macvtap disappears without libvirt de-associating (libvirtd
# crashed, someone ran `ip link del`): vdpd de-associates the VSI after the
# grace period.  If a macvtap with the same MAC comes back on the uplink
# within the grace period (libvirt re-creating it), nothing happens.
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../lib/nlfront.sh"

U1=aaaaaaaa-1111-4222-8333-444444444444
U2=bbbbbbbb-1111-4222-8333-444444444444
M1=52:54:00:de:1e:01
M2=52:54:00:de:1e:02
GRACE=1500

nlf_netns
nlf_config "linkdel_grace_ms = $GRACE;"
nlf_start_vdpd
nlf_start_bridge
nlf_wait_converged
stat() { json_q ".netlink.counters.$1" vdpctl -j stats; }

macvtap_add host eth0 mvt1 $M1
macvtap_add host eth0 mvt2 $M2
nlc_vm $U1 $M1 associate >"$T_DIR/a1.out" 2>&1 || fail "associate 1: $(cat "$T_DIR/a1.out")"
nlc_vm $U2 $M2 associate >"$T_DIR/a2.out" 2>&1 || fail "associate 2: $(cat "$T_DIR/a2.out")"
assert_eq "$(bridge_mode $U1)" assoc "VSI 1 associated"

# ---- deleted and not coming back -----------------------------------------------------
t0=$(now_ms)
nsx host ip link del mvt1
gone() { bridge_gone $U1; }
wait_for 10 "VSI 1 de-associated after the macvtap was deleted" gone
el=$(($(now_ms) - t0))
[ $el -ge $GRACE ] || fail "de-associated after $el ms, before the $GRACE ms grace"
pass "VSI 1 de-associated $(ms_to_s $el) s after its macvtap went (grace $(ms_to_s $GRACE) s)"
assert_eq "$(stat linkdel_deassoc)" 1 "link-deletion de-associations"
nlc -i eth0 -u $U1 dump | grep -q 'uuid_ok=1' || fail "status of VSI 1 after the de-association"
pass "status reports VSI 1's de-association as done"

# ---- deleted and re-created within the grace period ----------------------------------------
nsx host ip link del mvt2
macvtap_add host eth0 mvt2b $M2
cancelled() { [ "$(stat linkdel_cancelled)" = 1 ]; }
wait_for 5 "grace timer cancelled by the re-created macvtap" cancelled
pass "grace timer cancelled ${WAITED_MS} ms after the macvtap came back"
# wait past the grace period: the VSI stays
sleep_past() { [ $(($(now_ms) - t0)) -ge $((GRACE * 2 + 1000)) ]; }
t0=$(now_ms)
wait_for 10 "past the grace period" sleep_past
assert_eq "$(bridge_mode $U2)" assoc "VSI 2 still associated"
assert_eq "$(stat linkdel_deassoc)" 1 "no further de-association"

# a macvtap on another MAC changes nothing
read0=$(stat linkdel_read)
[ -n "$read0" ] || fail "no linkdel_read counter in vdpctl -j stats"
macvtap_add host eth0 mvt3 52:54:00:de:1e:99
nsx host ip link del mvt3
read_mvt3() { [ "$(stat linkdel_read)" -gt "$read0" ]; }
wait_for 5 "vdpd read mvt3's deletion" read_mvt3
assert_eq "$(stat linkdel_seen)" 2 "deletions matched to VSIs"

done_ok
