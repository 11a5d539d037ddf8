# tests/lib/datapath.sh: the data path an EVB bridge enforces for a VEPA
# station, built from a Linux bridge and nftables.  Source after netns.sh.
#
#   station ns: uplink ---- veth ---- bridge ns: PORT (hairpin on) in bridge BR
#
# VEPA (802.1Qbg clause 40) sends every frame of every VM, also VM-to-VM, to the
# adjacent bridge; the bridge port runs reflective relay (Linux: "hairpin on")
# so a frame may leave by the port it entered.  VDP then decides which VM MACs
# the bridge admits: frames entering from a station-facing port are dropped
# unless their source MAC belongs to an associated VSI.  The names are those
# vdp-bridge uses for its own data path (tools/vdp-bridge/datapath.c,
# `datapath = { enable = true; bridge = "br0"; }`), so a test can inspect what
# vdp-bridge did with the same functions:
#   table  bridge vdp_bridge            (vdp-bridge: datapath.table)
#   set    vsi_macs  (type ether_addr)  MACs of associated VSIs, all ports
#   chain  forward   (hook forward, priority 0, policy accept)
#   rule   iifname { "<port>", ... } ether saddr != @vsi_macs counter drop
# vdp-bridge's VLAN isolation (datapath.vlan_isolation, on by default) adds
#   map    vsi_vlan  (ether_addr : mark)      MAC -> VID of its confirmed filter
#   set    vsi_ep    (ether_addr . mark)      (MAC . VID) pairs
#   rules  meta mark set ether saddr map @vsi_vlan; broadcast/multicast accept;
#          oifname { ports } ether daddr . meta mark != @vsi_ep counter drop
# dp_bridge below builds only the MAC part (vlan_isolation = false), which is
# all a test without VDP VLANs needs.

DP_TABLE=${DP_TABLE:-vdp_bridge}

# dp_bridge NS BR PORT...: bridge BR with station-facing PORTs (hairpin on)
# and the table above with an empty set (nothing passes until associated).
dp_bridge()
{
	local ns=$1 br=$2 p ports=
	shift 2
	bridge_add "$ns" "$br" "$@"
	for p in "$@"; do
		bridge -n "$(nsname "$ns")" link set dev "$p" hairpin on ||
			fail "hairpin on $ns/$p"
		ports+="${ports:+, }\"$p\""
	done
	nsx "$ns" nft -f - <<-NFT || fail "nft rules in $ns"
	table bridge $DP_TABLE {
		set vsi_macs { type ether_addr; }
		chain forward {
			type filter hook forward priority 0; policy accept;
			iifname { $ports } ether saddr != @vsi_macs counter drop
		}
	}
	NFT
}

# dp_hairpin NS PORT: "on" or "off".
dp_hairpin()
{
	ip -n "$(nsname "$1")" -d link show "$2" | grep -o 'hairpin o[nf]*' | cut -d' ' -f2
}

# dp_allow NS MAC... / dp_deny NS MAC...: what association and de-association
# do to the set (when vdp-bridge does not drive it).
dp_allow()
{
	local ns=$1 m
	shift
	for m in "$@"; do
		nsx "$ns" nft add element bridge "$DP_TABLE" vsi_macs "{ $m }" ||
			fail "nft add $m to vsi_macs"
	done
}
dp_deny()
{
	local ns=$1 m
	shift
	for m in "$@"; do
		nsx "$ns" nft delete element bridge "$DP_TABLE" vsi_macs "{ $m }" ||
			fail "nft delete $m from vsi_macs"
	done
}

# dp_allowed NS: the MACs in the set, one a line, sorted.
dp_allowed()
{
	nsx "$1" nft -j list set bridge "$DP_TABLE" vsi_macs |
		jq -r '.nftables[] | select(.set) | .set.elem // [] | .[]' | sort
}

# dp_endpoints NS: vdp-bridge's (MAC VID) pairs of set vsi_ep, one a line,
# sorted ("MAC VID"); empty without VLAN isolation.
dp_endpoints()
{
	nsx "$1" nft -j list set bridge "$DP_TABLE" vsi_ep 2>/dev/null |
		jq -r '.nftables[] | select(.set) | .set.elem // [] | .[] | .concat | "\(.[0]) \(.[1])"' | sort
}

# dp_vlan_drops NS: unicast frames dropped so far because the destination is
# not an associated VSI of the sender's VLAN (the vsi_ep rule's counter).
dp_vlan_drops()
{
	nsx "$1" nft -j list chain bridge "$DP_TABLE" forward |
		jq -r '[.nftables[] | select(.rule) | select(any(.rule.expr[]; .match.right == "@vsi_ep")) |
			.rule.expr[] | select(.counter) | .counter.packets] | add // 0'
}

# dp_drops NS: frames dropped so far (all drop rules: unassociated sources,
# and with VLAN isolation destinations outside the sender's VLAN).
dp_drops()
{
	nsx "$1" nft -j list chain bridge "$DP_TABLE" forward |
		jq -r '[.nftables[] | select(.rule) | .rule.expr[] | select(.counter) | .counter.packets] | add // 0'
}

# dp_can_ping VMNS IP: one echo within 1 s.
dp_can_ping() { nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

# dp_cannot_ping VMNS IP: three echoes, none answered.
dp_cannot_ping() { ! nsx "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; }
