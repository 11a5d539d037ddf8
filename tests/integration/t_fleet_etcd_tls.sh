#!/bin/bash
# vdpctl --etcd against a secured etcd (Debian's etcd-server): HTTPS with a
# client certificate checked against a CA, then user/password
# authentication.  Without the credentials a command fails and says why;
# with them it writes and reads back.
. "$(dirname "$0")/../lib/netns.sh"

require_root
require_cmd etcd etcdctl openssl jq
ns_add sec
C=$T_DIR/pki
mkdir -p "$C"
pki() { openssl "$@" >>"$C/openssl.log" 2>&1 || fail "openssl $1: $(tail -3 "$C/openssl.log")"; }
pki req -x509 -newkey rsa:2048 -nodes -keyout "$C/ca.key" -out "$C/ca.pem" -days 1 -subj /CN=vdpd-test-ca
for n in server client; do
	pki req -newkey rsa:2048 -nodes -keyout "$C/$n.key" -out "$C/$n.csr" -subj "/CN=$n"
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$C/$n.ext"
	pki x509 -req -in "$C/$n.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial -out "$C/$n.pem" \
		-days 1 -extfile "$C/$n.ext"
done
start_etcd() # SCHEME [ETCD OPTIONS]
{
	local url="$1://127.0.0.1:2379"
	shift
	bg sec "etcd.log" etcd --name m1 --data-dir "$T_DIR/etcd" --listen-client-urls "$url" \
		--advertise-client-urls "$url" --listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster m1=http://127.0.0.1:2380 "$@"
	ETCD=$BG_PID EP=$url
}
vc() { nsx sec "$T_BUILD/vdpctl" -t 8000 --etcd "$EP" "$@"; }
vca() { VDPCTL_ETCD_USER=root VDPCTL_ETCD_PASSWORD=rootpw vc "$@"; }
tls() { VDPCTL_ETCD_CA=$C/ca.pem VDPCTL_ETCD_CERT=$C/client.pem VDPCTL_ETCD_KEY=$C/client.key "$@"; }

# ---- HTTPS, client certificates required -----------------------------------------
start_etcd https --cert-file "$C/server.pem" --key-file "$C/server.key" --trusted-ca-file "$C/ca.pem" \
	--client-cert-auth
wait_for 30 "etcd over TLS healthy" nsx sec etcdctl --endpoints "$EP" --cacert "$C/ca.pem" \
	--cert "$C/client.pem" --key "$C/client.key" endpoint health
rc=0; vc network show >"$T_DIR/noca.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit without the CA"
grep -q "etcd unreachable at $EP: SSL certificate problem" "$T_DIR/noca.out" || fail "no CA: $(cat "$T_DIR/noca.out")"
tls vc profile add enterprise-xyz qbg mgrid 11 typeid 1193047 typeidver 2 >/dev/null || fail "profile add over TLS"
answer p tls vc -j profile show enterprise-xyz
assert_eq "$(json_get "$p" '.[0].typeid')" 1193047 "profile read back over TLS"
pass "HTTPS with a client certificate: refused without the CA, written and read with it"
stop "$ETCD" 5

# ---- user/password ---------------------------------------------------------------
rm -rf "$T_DIR/etcd"
start_etcd http
wait_for 30 "etcd healthy" nsx sec etcdctl --endpoints "$EP" endpoint health
nsx sec etcdctl --endpoints "$EP" user add root:rootpw >/dev/null || fail "user add"
nsx sec etcdctl --endpoints "$EP" auth enable >/dev/null 2>&1 || fail "auth enable"
rc=0; vc network show >"$T_DIR/nouser.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit without a user"
grep -q "user name is empty" "$T_DIR/nouser.out" || fail "no user: $(cat "$T_DIR/nouser.out")"
rc=0; VDPCTL_ETCD_USER=root VDPCTL_ETCD_PASSWORD=wrong vc network show >"$T_DIR/badpw.out" 2>&1 || rc=$?
assert_eq "$rc" 1 "exit with a wrong password"
grep -q "authentication failed" "$T_DIR/badpw.out" || fail "wrong password: $(cat "$T_DIR/badpw.out")"
vca profile add web qbg mgrid 1 typeid 42 typeidver 1 >/dev/null || fail "profile add with a user"
answer p vca -j profile show web
assert_eq "$(json_get "$p" '.[0].typeid')" 42 "profile read back with a user"
pass "user/password: refused without a user or with a wrong password, written and read with them"
done_ok
