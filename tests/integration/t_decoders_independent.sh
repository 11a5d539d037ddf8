#!/bin/bash
# Independent decoder check of our wire encoders: tests/tools/vdp-pcapgen
# builds ECP/VDP and LLDP (EVB + CDCP) frames with our encoders and prints a
# manifest of the field values it asked for; tshark (ECP header and VDP TLVs
# up to the filter info format) and tcpdump (LLDP EVB and CDCP TLVs) decode
# the pcap and every value they print is compared with the manifest.
#
# What the third-party decoders are NOT trusted for (their known defects,
# shared/reference/standards.md 5.1/5.2): tshark's vdp21 filter entries
# (count not skipped, wrong PS/PCP masks) and the bodies of Pre-Associate
# TLVs (types 1 and 2: tshark shows type and length only); tcpdump does not
# decode ECP at all.  Our decoders for those parts are covered by the unit
# tests and by the byte-exact vectors there.
# No root, no network: reads and writes files in a temp dir only.
set -u
cd "$(dirname "$0")/../.." || exit 1

for tool in tshark tcpdump python3; do
	command -v $tool >/dev/null || { echo "skip: $tool not installed"; exit 77; }
done

tmp=$(mktemp -d "/tmp/t_decoders_independent.$$.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp	# no user wireshark profile, no config noise

gen=build/tests/vdp-pcapgen
if ! make --no-print-directory -s "$gen" >"$tmp/make.log" 2>&1; then
	echo "FAIL: cannot build $gen"; tail -20 "$tmp/make.log"; exit 1
fi
"$gen" "$tmp/gen.pcap" >"$tmp/manifest.jsonl" || { echo "FAIL: vdp-pcapgen"; exit 1; }

fields="frame.number ecp.ver ecp.op ecp.subtype ecp.seqno vdp21.tlvtype vdp21.tlvlen
vdp21.manager_id vdp21.assoc.reason vdp21.assoc.error vdp21.assoc.flags.req_rsp
vdp21.assoc.flags.keep vdp21.assoc.flags.hard_error vdp21.assoc.flags.sbit
vdp21.assoc.flags.mbit vdp21.vsitypeid vdp21.vsiversion vdp21.vsiidformat vdp21.VSIID
vdp21.filterformat"
args=()
for f in $fields; do args+=(-e "$f"); done
tshark -r "$tmp/gen.pcap" -T fields -E header=y -E separator='|' "${args[@]}" \
	>"$tmp/tshark.txt" 2>"$tmp/tshark.err" || { echo "FAIL: tshark"; cat "$tmp/tshark.err"; exit 1; }
tcpdump -r "$tmp/gen.pcap" -tt -nn -vvv >"$tmp/tcpdump.txt" 2>"$tmp/tcpdump.err" ||
	{ echo "FAIL: tcpdump"; cat "$tmp/tcpdump.err"; exit 1; }

/usr/bin/python3 - "$tmp/manifest.jsonl" "$tmp/tshark.txt" "$tmp/tcpdump.txt" <<'EOF'
import ipaddress, json, re, sys

manifest = [json.loads(l) for l in open(sys.argv[1])]
lines = open(sys.argv[2]).read().splitlines()
hdr = lines[0].split('|')
tshark = {}
for l in lines[1:]:
    row = dict(zip(hdr, l.split('|')))
    tshark[int(row['frame.number'])] = row
fails = []
checked = 0

def num(s):
    return int(s, 16) if s.lower().startswith('0x') else int(s)

def cmp(frame, field, got, want):
    global checked
    checked += 1
    if got != want:
        fails.append(f'frame {frame}: {field}: decoder says {got!r}, we encoded {want!r}')

def nums(row, field):
    v = row.get(field, '')
    return [num(x) for x in v.split(',')] if v else []

# ---- ECP / VDP against tshark ------------------------------------------
coverage = set()
for m in manifest:
    if m['kind'] != 'ecp':
        continue
    n = m['frame']
    row = tshark.get(n)
    if row is None:
        fails.append(f'frame {n}: missing from tshark output'); continue
    for f, k in (('ecp.ver', 'ver'), ('ecp.op', 'op'), ('ecp.subtype', 'subtype'), ('ecp.seqno', 'seq')):
        cmp(n, f, nums(row, f), [m[k]])
    tlvs = m.get('tlvs', [])
    cmp(n, 'vdp21.tlvtype', nums(row, 'vdp21.tlvtype'), [t['type'] for t in tlvs])
    cmp(n, 'vdp21.tlvlen', nums(row, 'vdp21.tlvlen'), [t['len'] for t in tlvs])
    if 'mgrid' in m:
        got = row['vdp21.manager_id']
        cmp(n, 'vdp21.manager_id', ipaddress.IPv6Address(got).packed.hex() if got else '', m['mgrid'])
    else:
        cmp(n, 'vdp21.manager_id', row['vdp21.manager_id'], '')
    # association TLV bodies tshark dissects: Associate (3), De-Associate (4)
    want = {k: [] for k in ('reason', 'error', 'req_rsp', 'keep', 'hard_error', 'sbit', 'mbit',
                            'vsitypeid', 'vsiversion', 'vsiidformat', 'VSIID', 'filterformat')}
    for t in tlvs:
        if t['type'] not in (3, 4):
            continue
        s = t['status']
        coverage.add((t['type'], t['vsiidfmt'], t['filterfmt'], s))
        want['req_rsp'].append(s >> 6 & 1)
        if s & 0x40:		# response: keep (0x20), hard error (0x10), error code
            want['error'].append(s & 0x0F)
            want['keep'].append(s >> 5 & 1)
            want['hard_error'].append(s >> 4 & 1)
        else:			# request: S-bit (0x20), M-bit (0x10), reason nibble
            want['reason'].append(s & 0x0F)
            want['sbit'].append(s >> 5 & 1)
            want['mbit'].append(s >> 4 & 1)
        want['vsitypeid'].append(t['typeid'])
        want['vsiversion'].append(t['version'])
        want['vsiidformat'].append(t['vsiidfmt'])
        want['VSIID'].append(t['vsiid'])
        want['filterformat'].append(t['filterfmt'])
    for k, v in want.items():
        f = ('vdp21.assoc.flags.' + k) if k in ('req_rsp', 'keep', 'hard_error', 'sbit', 'mbit') \
            else ('vdp21.assoc.' + k) if k in ('reason', 'error') else 'vdp21.' + k
        if k == 'VSIID':
            got = [x.replace(':', '').lower() for x in row[f].split(',')] if row[f] else []
        else:
            got = nums(row, f)
        cmp(n, f, got, v)

# the generator must have covered what we claim
types = {(t, v, f) for (t, v, f, s) in coverage}
for t in (3, 4):
    for v in range(1, 6):
        for f in range(1, 5):
            if (t, v, f) not in types:
                fails.append(f'coverage: no dissected TLV type {t} VSIID fmt {v} filter fmt {f}')
statuses = {s for (_, _, _, s) in coverage}
for s in (0x00, 0x10, 0x20, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x62, 0x54, 0x73):
    if s not in statuses:
        fails.append(f'coverage: status 0x{s:02x} never sent')

# ---- LLDP EVB / CDCP against tcpdump -----------------------------------
blocks = {}
cur = None
for l in open(sys.argv[3]).read().splitlines():
    mt = re.match(r'^(\d+)\.\d+ ', l)
    if mt:
        cur = int(mt.group(1)); blocks[cur] = []
    elif cur is not None:
        blocks[cur].append(l.strip())
nlldp = 0
for m in manifest:
    if m['kind'] != 'lldp':
        continue
    nlldp += 1
    n = m['frame']
    text = '\n'.join(blocks.get(n, []))
    def grab(pat, what):
        mt = re.search(pat, text)
        if not mt:
            fails.append(f'frame {n}: tcpdump shows no {what}'); return None
        return [int(x) for x in mt.groups()]
    g = grab(r'TTL (\d+)s', 'TTL')
    if g: cmp(n, 'ttl', g[0], m['ttl'])
    g = re.search(r'Subtype Interface Name \(5\): (\S+)', text)
    cmp(n, 'port id', g.group(1) if g else None, m['port'])
    e = m['evb']
    evb = text[text.find('EVB Subtype (13)'):]
    text_saved, text = text, evb
    g = grab(r'BGID: (\d+), RRCAP: (\d+), RRCTR: (\d+)', 'EVB bridge status')
    if g: cmp(n, 'BGID/RRCAP/RRCTR', g, [e['bgid'], e['rrcap'], e['rrctr']])
    g = grab(r'SGID: (\d+), RRREQ: (\d+),\s*RRSTAT: (\d+)', 'EVB station status')
    if g: cmp(n, 'SGID/RRREQ/RRSTAT', g, [e['sgid'], e['rrreq'], e['rrstat']])
    g = grab(r'R: (\d+), RTE: (\d+), EVB Mode: [^\[]*\[(\d+)\]', 'R/RTE/mode')
    if g: cmp(n, 'R/RTE/mode', g, [e['r'], e['rte'], e['mode']])
    g = grab(r'ROL: (\d+), RWD: (\d+), RES: \d+, ROL: (\d+), RKA: (\d+)', 'ROL/RWD/ROL/RKA')
    if g: cmp(n, 'ROL/RWD/ROL/RKA', g, [e['rwd_rol'], e['rwd'], e['rka_rol'], e['rka']])
    text = text_saved
    c = m.get('cdcp')
    has = 'CDCP Subtype (14)' in text
    cmp(n, 'CDCP present', has, c is not None)
    if c and has:
        text = text[text.find('CDCP Subtype (14)'):]
        g = grab(r'Role: (\d+), RES: \d+, Scomp: (\d+) ChnCap: (\d+)', 'CDCP role/scomp/chncap')
        if g: cmp(n, 'Role/Scomp/ChnCap', g, [c['role'], c['scomp'], c['chncap']])
        chans = [[int(a), int(b)] for a, b in re.findall(r'SCID: (\d+), SVID: (\d+)', text)]
        cmp(n, 'SCID/SVID list', chans, c['channels'])
        text = text_saved

necp = sum(1 for m in manifest if m['kind'] == 'ecp')
if len(tshark) != len(manifest):
    fails.append(f'tshark read {len(tshark)} frames, generator wrote {len(manifest)}')
for f in fails[:40]:
    print('MISMATCH', f)
print(f'{necp} ECP frames, {nlldp} LLDP frames, {checked} field comparisons, '
      f'{len(coverage)} distinct dissected (type, VSIID fmt, filter fmt, status), {len(fails)} mismatches')
sys.exit(1 if fails else 0)
EOF
