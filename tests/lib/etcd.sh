# tests/lib/etcd.sh: an etcd cluster (Debian's etcd-server 3.4) for the fleet
# registry's tests, sourced after netns.sh.  Its members run in namespace
# NS (member I: client port 2I379 on every address of NS, peer port 2I380
# on its loopback), as
# background processes of the harness (cleanup stops them); their data dirs
# are under $T_DIR/etcd.
#
#   etcd_cluster NS N      start members 1..N, wait until every one is healthy
#   etcd_stop I            stop member I (its data stays)
#   etcd_start I           start member I again on its data
#   etcd_healthy I         member I answers its health check
#   ETCD_EPS               the client URLs on NS's loopback, comma-separated
#   etcd_eps ADDR          the client URLs at ADDR (from another namespace)

ETCD_NS= ETCD_N=0 ETCD_EPS= ETCD_PEERS=
declare -A ETCD_PID=()

etcd_url() { printf 'http://127.0.0.1:2%d379' "$1"; }
etcd_eps() { local i out=; for i in $(seq 1 "$ETCD_N"); do out="$out${out:+,}http://$1:2${i}379"; done; printf '%s' "$out"; }

etcd_start()
{
	local i=$1
	mkdir -p "$T_DIR/etcd"
	bg "$ETCD_NS" "etcd/m$i.log" etcd --name "m$i" --data-dir "$T_DIR/etcd/m$i" \
		--listen-client-urls "http://0.0.0.0:2${i}379" --advertise-client-urls "$(etcd_url "$i")" \
		--listen-peer-urls "http://127.0.0.1:2${i}380" --initial-advertise-peer-urls "http://127.0.0.1:2${i}380" \
		--initial-cluster "$ETCD_PEERS" --initial-cluster-state new --initial-cluster-token "$T_PREFIX" \
		--heartbeat-interval 100 --election-timeout 1000
	ETCD_PID[$i]=$BG_PID
}

etcd_stop() { stop "${ETCD_PID[$1]}" 5; }

etcd_healthy() { nsx "$ETCD_NS" etcdctl --endpoints "$(etcd_url "$1")" --command-timeout=2s endpoint health >/dev/null 2>&1; }

etcd_cluster()
{
	local i
	ETCD_NS=$1 ETCD_N=$2 ETCD_EPS= ETCD_PEERS=
	for i in $(seq 1 "$ETCD_N"); do
		ETCD_PEERS="$ETCD_PEERS${ETCD_PEERS:+,}m$i=http://127.0.0.1:2${i}380"
		ETCD_EPS="$ETCD_EPS${ETCD_EPS:+,}$(etcd_url "$i")"
	done
	for i in $(seq 1 "$ETCD_N"); do etcd_start "$i"; done
	for i in $(seq 1 "$ETCD_N"); do wait_for 60 "etcd member $i healthy" etcd_healthy "$i"; done
	diag_add "nsx $ETCD_NS etcdctl --endpoints $ETCD_EPS endpoint status -w table"
}
