# tests/lib/datapath.sh: the data path an EVB bridge enforces for a VEPA
# station, built from a Linux bridge and nftables.  Source after netns.sh.
#
#   station ns: uplink ---- veth ---- bridge ns: PORT (hairpin on) in bridge BR
#
# VEPA (802.1Qbg clause 40) sends every frame of every VM, also VM-to-VM, to the
# adjacent bridge; the bridge port runs reflective relay (Linux: "hairpin on")
# so a frame may leave by the port it entered.  VDP then decides which VM MACs
# the port admits: frames entering from PORT are dropped unless their source
# MAC is in the port's set.  Names (shared with vdp-bridge, docs/testing.md):
#   table  bridge vdp
#   chain  forward  (hook forward, priority 0, policy accept)
#   set    vsi_<PORT>  (type ether_addr): MACs of VSIs associated on PORT
#   rule   iifname "<PORT>" ether saddr != @vsi_<PORT> counter drop
# The PORT name must be a valid nft identifier (letters, digits, _).

DP_TABLE=${DP_TABLE:-vdp}

# dp_bridge NS BR PORT...: bridge BR with station-facing PORTs (hairpin on),
# each guarded by an empty MAC set (nothing passes until associated).
dp_bridge()
{
	local ns=$1 br=$2 p rules
	shift 2
	bridge_add "$ns" "$br" "$@"
	rules="table bridge $DP_TABLE {
	chain forward {
		type filter hook forward priority 0; policy accept;
	}
}
"
	for p in "$@"; do
		bridge -n "$(nsname "$ns")" link set dev "$p" hairpin on ||
			fail "hairpin on $ns/$p"
		rules+="add set bridge $DP_TABLE vsi_$p { type ether_addr; }
add rule bridge $DP_TABLE forward iifname \"$p\" ether saddr != @vsi_$p counter drop
"
	done
	printf '%s' "$rules" | nsx "$ns" nft -f - || fail "nft rules in $ns"
}

# dp_allow NS PORT MAC... / dp_deny NS PORT MAC...: what VDP association and
# de-association do to the port's set.
dp_allow()
{
	local ns=$1 p=$2 m
	shift 2
	for m in "$@"; do
		nsx "$ns" nft add element bridge "$DP_TABLE" "vsi_$p" "{ $m }" ||
			fail "nft add $m to vsi_$p"
	done
}
dp_deny()
{
	local ns=$1 p=$2 m
	shift 2
	for m in "$@"; do
		nsx "$ns" nft delete element bridge "$DP_TABLE" "vsi_$p" "{ $m }" ||
			fail "nft delete $m from vsi_$p"
	done
}

# dp_allowed NS PORT: the MACs in the port's set, one a line, sorted.
dp_allowed()
{
	nsx "$1" nft -j list set bridge "$DP_TABLE" "vsi_$2" |
		jq -r '.nftables[] | select(.set) | .set.elem // [] | .[]' | sort
}

# dp_drops NS PORT: packets dropped so far for unassociated sources on PORT.
dp_drops()
{
	nsx "$1" nft -j list chain bridge "$DP_TABLE" forward |
		jq -r --arg p "$2" '.nftables[] | select(.rule) | .rule |
			select(any(.expr[]; .match.right == $p)) |
			.expr[] | select(.counter) | .counter.packets'
}

# dp_can_ping VMNS IP: one echo within 1 s.
dp_can_ping() { nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

# dp_cannot_ping VMNS IP: three echoes, none answered.
dp_cannot_ping() { ! nsx "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
