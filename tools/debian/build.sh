#!/bin/bash
# tools/debian/build.sh BUILD: a Debian binary package of vdpd from the built
# tree, with dpkg-deb (no debhelper: the top level of the repository is fixed,
# so there is no debian/ folder).  Installs with PREFIX=/usr into a staging
# root, adds the control files from this folder, prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
stage=$(realpath -m "$BUILD/deb")
root=$stage/root
rm -rf "$stage"
mkdir -p "$root/DEBIAN"
make --no-print-directory install DESTDIR="$root" PREFIX=/usr >/dev/null

# Debian policy: stripped programs, compressed man pages, copyright and
# changelog under /usr/share/doc/<package>.
find "$root/usr/sbin" "$root/usr/lib/vdpd" -type f -exec strip --strip-unneeded --remove-section=.comment --remove-section=.note {} +
gzip -9n "$root"/usr/share/man/man*/*
doc=$root/usr/share/doc/vdpd
install -m 644 LICENSE "$doc/copyright"
gzip -9n "$doc/vdpd.conf.example"

date=$(git log -1 --format=%cd --date=format:%Y%m%d 2>/dev/null || date +%Y%m%d)
rev=$(git rev-parse --short HEAD 2>/dev/null || echo 0)
version="0.2~git$date.$rev"
arch=$(dpkg --print-architecture)
# Whoever builds the package maintains it: DEBFULLNAME and DEBEMAIL, as
# Debian's own tools read them.
maintainer="${DEBFULLNAME:-vdpd maintainers} <${DEBEMAIL:-vdpd@localhost}>"
printf 'vdpd (%s) unstable; urgency=medium\n\n  * Built from the tree at %s.\n\n -- %s  %s\n' \
	"$version" "$rev" "$maintainer" "$(date -R)" | gzip -9n > "$doc/changelog.gz"
chmod 644 "$doc/changelog.gz"

# Depends: the package of every library the programs name (DT_NEEDED, not
# what those pull in), at least the version this was built against.
depends=$(for f in "$root"/usr/sbin/* "$root"/usr/lib/vdpd/*; do
		objdump -p "$f" | awk '$1 == "NEEDED" {print $2}'
	done | sort -u |
	while read -r soname; do
		lib=$(ldconfig -p | awk -v s="$soname" '$1 == s {print $NF; exit}')
		[ -n "$lib" ] || continue
		pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true)
		pkg=${pkg%%:*}
		[ -n "$pkg" ] || continue
		ver=$(dpkg-query -W -f='${Version}' "$pkg")
		echo "$pkg (>= ${ver%%-*})"
	done | sort -u | paste -sd, | sed 's/,/, /g')
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" \
	-e "s|@SIZE@|$size|" -e "s|@MAINTAINER@|$maintainer|" tools/debian/control > "$root/DEBIAN/control"
install -m 644 tools/debian/conffiles "$root/DEBIAN/conffiles"
install -m 755 tools/debian/postinst tools/debian/prerm tools/debian/postrm "$root/DEBIAN/"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/md5sums"

deb=$stage/vdpd_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
if command -v lintian >/dev/null; then
	# lintian leaves a cache of its ELF findings (mldbm-elf-*) in $TMPDIR
	lt=$(mktemp -d)
	TMPDIR=$lt lintian --suppress-tags-from-file tools/debian/lintian-overrides.txt "$deb" >&2 || true
	rm -rf "$lt"
fi
echo "$deb"
