#!/bin/bash
# make install / make uninstall / make deb: the files an install puts where,
# for PREFIX=/usr and PREFIX=/usr/local (the list below is the contract);
# the installed unit starts the installed vdpd; uninstall leaves nothing
# but an edited vdpd.conf; the package installs into an offline dpkg root,
# holds the same files, and purges cleanly.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd make dpkg dpkg-deb "$T_BUILD/vdpd" "$T_BUILD/vdpctl" "$T_BUILD/vdp-bridge"

# expected PREFIX UNITDIR: the files (not directories) make install creates.
expected()
{
	local p=$1 u=$2
	printf '%s\n' \
		/etc/libvirt/hooks/network.d/vdpd /etc/libvirt/hooks/qemu.d/vdpd /etc/vdpd/vdpd.conf \
		"$u/vdpd.service" "$p/lib/vdpd/vdp-nlclient" \
		"$p/sbin/vdp-bridge" "$p/sbin/vdpctl" "$p/sbin/vdpd" \
		"$p/share/bash-completion/completions/vdpctl" "$p/share/zsh/vendor-completions/_vdpctl" \
		"$p/share/doc/vdpd/vdpd.conf.example" \
		"$p/share/man/man5/vdpd.conf.5" "$p/share/man/man8/vdp-bridge.8" \
		"$p/share/man/man8/vdp-nlclient.8" "$p/share/man/man8/vdpctl.8" "$p/share/man/man8/vdpd.8" |
		sort
}

files_in() { [ -d "$1" ] || return 0; (cd "$1" && find . -type f -o -type l) | sed 's|^\.||' | sort; }

mk() { make --no-print-directory -C "$T_ROOT" BUILD="$T_BUILD" "$@" >"$T_DIR/make.log" 2>&1 || {
	cat "$T_DIR/make.log"; fail "make $*"; }; }

for prefix in /usr /usr/local; do
	unitdir=/usr/local/lib/systemd/system
	[ $prefix = /usr ] && unitdir=/lib/systemd/system
	d=$T_DIR/root$(echo $prefix | tr / _)
	mk install DESTDIR="$d" PREFIX=$prefix
	got=$(files_in "$d")
	[ "$got" = "$(expected $prefix $unitdir)" ] ||
		fail "PREFIX=$prefix: installed files differ: $(diff <(expected $prefix $unitdir) <(echo "$got") | tr '\n' ' ')"
	pass "PREFIX=$prefix: $(echo "$got" | wc -l) files where expected"

	exec_start=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$d$unitdir/vdpd.service")
	assert_eq "$exec_start" "$prefix/sbin/vdpd" "PREFIX=$prefix: the unit's ExecStart"
	[ -x "$d$exec_start" ] || fail "PREFIX=$prefix: $exec_start is not installed"
	grep -q '/usr/local/sbin' "$d$unitdir/vdpd.service" "$d/etc/libvirt/hooks/qemu.d/vdpd" &&
		[ $prefix = /usr ] && fail "PREFIX=/usr: /usr/local/sbin left in the unit or a hook"
	grep -qF "$prefix/sbin/vdpctl" "$d/etc/libvirt/hooks/network.d/vdpd" ||
		fail "PREFIX=$prefix: the network hook does not fall back to $prefix/sbin/vdpctl"
	grep -qF '$(PREFIX)' "$d$prefix/share/man/man8/vdpctl.8" && fail "PREFIX=$prefix: \$(PREFIX) left in vdpctl.8"
	"$d$prefix/sbin/vdpd" -t -f "$d/etc/vdpd/vdpd.conf" >/dev/null 2>&1 ||
		fail "PREFIX=$prefix: the installed vdpd does not accept the installed vdpd.conf (-t)"
	pass "PREFIX=$prefix: unit, hooks and man pages name the installed paths; vdpd -t accepts vdpd.conf"

	# A second install keeps the operator's vdpd.conf.
	echo '# edited' >> "$d/etc/vdpd/vdpd.conf"
	mk install DESTDIR="$d" PREFIX=$prefix
	tail -1 "$d/etc/vdpd/vdpd.conf" | grep -qx '# edited' || fail "PREFIX=$prefix: install overwrote vdpd.conf"
	mk uninstall DESTDIR="$d" PREFIX=$prefix
	assert_eq "$(files_in "$d")" "/etc/vdpd/vdpd.conf" "PREFIX=$prefix: uninstall leaves only the edited vdpd.conf"
	rm "$d/etc/vdpd/vdpd.conf"
	mk install DESTDIR="$d" PREFIX=$prefix
	mk uninstall DESTDIR="$d" PREFIX=$prefix
	assert_eq "$(files_in "$d")" "" "PREFIX=$prefix: install + uninstall leaves no file"
done

# The package: built, installed into an offline root (maintainer scripts run
# outside a chroot with DPKG_ROOT set, so they touch nothing of this host),
# then purged.
deb=$(make --no-print-directory -C "$T_ROOT" BUILD="$T_BUILD" deb 2>"$T_DIR/deb.log" | tail -1)
[ -f "$deb" ] || { cat "$T_DIR/deb.log"; fail "make deb printed no package"; }
pass "make deb: $(basename "$deb")"
R=$T_DIR/dpkgroot
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
: > "$R/var/lib/dpkg/status"
: > "$R/var/lib/dpkg/available"
dpkg --root="$R" --force-script-chrootless --force-depends -i "$deb" >"$T_DIR/dpkg.log" 2>&1 ||
	{ cat "$T_DIR/dpkg.log"; fail "dpkg -i into $R"; }
state=$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' vdpd)
assert_eq "$state" "install ok installed" "dpkg status after install"
want=$(expected /usr /lib/systemd/system | sed 's|/share/man/\(.*\)$|/share/man/\1.gz|; s|vdpd.conf.example$|vdpd.conf.example.gz|')
want=$(printf '%s\n' "$want" /usr/share/doc/vdpd/changelog.gz /usr/share/doc/vdpd/copyright | sort)
got=$(files_in "$R" | grep -v '^/var/lib/dpkg/')
[ "$got" = "$want" ] || fail "package files differ: $(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"
pass "package installs $(echo "$got" | wc -l) files where make install puts them (man pages compressed)"
"$R/usr/sbin/vdpd" -t -f "$R/etc/vdpd/vdpd.conf" >/dev/null 2>&1 || fail "packaged vdpd -t on its vdpd.conf"
mkdir -p "$R/var/lib/vdpd" && echo state > "$R/var/lib/vdpd/registry.json"
dpkg --root="$R" --force-script-chrootless --purge vdpd >>"$T_DIR/dpkg.log" 2>&1 ||
	{ cat "$T_DIR/dpkg.log"; fail "dpkg --purge"; }
assert_eq "$(files_in "$R" | grep -v '^/var/lib/dpkg/')" "" "purge leaves no file (state included)"
done_ok
