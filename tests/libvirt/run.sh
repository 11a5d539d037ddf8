#!/bin/bash
# make check-libvirt: an unmodified libvirtd (Debian 12: libvirt 9.0, QEMU
# 7.2, TCG) against vdpd, in network namespaces and a private mount
# namespace (tests/libvirt/libvirtd.sh).  Not part of `make check`: it
# installs libvirtd and QEMU when they are missing (~32 packages, ~90 MB) and
# starts real guests.  Runs every tests/libvirt/t_*.sh (TESTS="name ..." for
# a subset), each with a deadline; logs in build/libvirt-logs/.
cd "$(dirname "$0")/../.." || exit 1
if [ "$(id -u)" != 0 ]; then
	echo "check-libvirt: needs root (network and mount namespaces, libvirtd)" >&2
	exit 1
fi
t_all=$(date +%s)

# What the tests need beyond `make deps`; a no-op when all are installed.
PKGS="libvirt-daemon libvirt-clients qemu-system-x86 util-linux iproute2 jq"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "check-libvirt: installing$missing"
	t0=${EPOCHREALTIME/[.,]/}
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || { echo "check-libvirt: apt-get update failed" >&2; exit 1; }
	apt-get install -y --no-install-recommends $missing >build/libvirt-apt.log 2>&1 ||
		{ tail -20 build/libvirt-apt.log; echo "check-libvirt: apt-get install failed" >&2; exit 1; }
	grep -E 'newly installed|^Need to get|^After this operation' build/libvirt-apt.log | sed 's/^/check-libvirt: /'
	ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
	printf 'check-libvirt: packages installed in %d.%03d s\n' $((ms / 1000)) $((ms % 1000))
fi

logdir=build/libvirt-logs
mkdir -p "$logdir"
if [ -n "$TESTS" ]; then
	list=""
	for n in $TESTS; do list="$list $(ls tests/libvirt/$n.sh 2>/dev/null)"; done
else
	list=$(ls tests/libvirt/t_*.sh)
fi
# What must be the same afterwards: the host's lldpad pid file,
# /etc/libvirt, /etc/passwd and /etc/group, /var/{lib,log,cache}/libvirt
# (present or not), the number of libvirtd and QEMU processes.
host_state()
{
	ls -la --time-style=full-iso /etc/libvirt /run/lldpad.pid 2>&1
	cat /run/lldpad.pid 2>&1
	md5sum /etc/passwd /etc/group
	ls -d /var/lib/libvirt /var/log/libvirt /var/cache/libvirt 2>&1
	echo "libvirtd $(pgrep -c -x libvirtd) qemu $(pgrep -c -f '^[^ ]*qemu-system-x86_64 ')"
}
before=$(host_state)

pass=0 fail=0 i=0
for t in $list; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	i=$((i + 1))
	T_PREFIX=vl$$x$i- timeout -k 10 "${LV_TIMEOUT:-300}" bash "$t" >"$logdir/$name.log" 2>&1
	rc=$?
	dur=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf 'ok   %-28s %4ds\n' "$name" "$dur"
		grep -h 'figures:' "$logdir/$name.log" | sed 's/^\[[^]]*\] /     /'
	else
		# a skip (77) counts as a failure here: whoever runs this target wants it run
		fail=$((fail + 1))
		printf 'FAIL %-28s %4ds (exit %d), last lines of %s:\n' "$name" "$dur" "$rc" "$logdir/$name.log"
		tail -25 "$logdir/$name.log" | sed 's/^/     /'
	fi
done

# Nothing may be left: namespaces, processes (vdpd, vdp-bridge and the
# mount-namespace holder carry the test's directory in their command line),
# scratch directories, changes to the host's files.
left=""
ns=$(ip netns list | awk '{print $1}' | grep "^vl$$x") && left="$left namespaces: $ns;"
procs=$(pgrep -a -f 'vdpt\.t_libvirtd_') && left="$left processes: $procs;"
grep -q 'vdpt\.t_libvirtd_' /proc/self/mountinfo && left="$left mounts: $(grep 'vdpt\.t_libvirtd_' /proc/self/mountinfo);"
[ -z "$T_KEEP" ] && ls -d /tmp/vdpt.t_libvirtd_* >/dev/null 2>&1 && left="$left $(ls -d /tmp/vdpt.t_libvirtd_*);"
after=$(host_state)
[ "$before" = "$after" ] || left="$left host state changed: $(diff <(echo "$before") <(echo "$after"));"
if [ -n "$left" ]; then
	fail=$((fail + 1))
	echo "FAIL left behind:$left"
else
	echo "ok   nothing left (namespaces, processes, mounts, scratch dirs; /run/lldpad.pid, /etc/libvirt, /etc/passwd, /etc/group, /var/*/libvirt as before)"
fi
echo "== libvirt: $pass passed, $fail failed ($(($(date +%s) - t_all)) s)"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
