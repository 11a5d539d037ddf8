#!/bin/sh
# Installs what vdpd needs when it is missing: `deps.sh` everything to build
# and test, `deps.sh demo` only what `make demo` needs.  A no-op on a machine
# that has everything; non-interactive otherwise.
set -e
# To build the programs.
BUILD="gcc make pkg-config libevent-dev libnl-3-dev libnl-route-3-dev libconfig-dev libjansson-dev
libxml2-dev libcap-ng-dev libcurl4-openssl-dev"
# To run them in network namespaces (the demo and the integration tests).
RUN="iproute2 nftables jq iputils-ping procps util-linux"
# To test: unit tests, fuzzers, lints, peers and decoders of other projects.
TEST="clang clang-format libclang-rt-14-dev libcmocka-dev tshark tcpdump lldpad libvirt-clients kmod
python3 lintian etcd-server etcd-client openssl zsh time"
case "${1-}" in
demo) PKGS="$BUILD $RUN" ;;
"") PKGS="$BUILD $RUN $TEST" ;;
*) echo "usage: tools/deps.sh [demo]" >&2; exit 2 ;;
esac
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
