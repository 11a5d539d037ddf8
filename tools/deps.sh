#!/bin/sh
# Installs what vdpd needs to build and test, when it is missing.  A no-op on
# a machine that has everything; non-interactive otherwise.
set -e
PKGS="gcc make pkg-config clang clang-format libclang-rt-14-dev libevent-dev libnl-3-dev libnl-route-3-dev
libconfig-dev libcmocka-dev libjansson-dev libxml2-dev iproute2 nftables tshark tcpdump lldpad
libvirt-clients kmod jq iputils-ping python3 procps util-linux lintian"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "deps: done"
