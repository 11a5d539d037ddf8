/* libFuzzer target: the registry journal decoder (vdp/store/journal.c) and
 * its replay (profiles/store.c) onto a registry holding a profile, an
 * uplink and a network.  First byte selects:
 *   0  the rest is a journal file image, as read at start;
 *   1  the rest is payloads separated by newlines, each framed as a valid
 *      record (generations 1, 2, ...), so that the strict payload parsing
 *      and the registry mutators behind the CRC are reached.
 * Checks: no crash or leak; every record the scanner accepts re-encodes to
 * exactly its octets; a torn tail starts where the last good record ends;
 * a replay that succeeds ends at the last record's generation. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/store/journal.h"
#include "profiles/store.h"

static struct reg *base_reg(void)
{
	struct reg *reg = reg_new(NULL, NULL);
	struct reg_profile p = { .name = "web", .type = REG_VPORT_QBG, .mgrid = 11, .typeid = 5, .typeidver = 4 };
	struct reg_uplink u = { .dev = "eth4", .physnet = "dc", .mode = REG_MODE_VEPA };
	struct reg_network n = { .name = "A", .physnet = "dc", .profile = "web", .vlan = 10 };
	struct reg_err err;

	if (!reg || reg_profile_add(reg, &p, &err) || reg_uplink_add(reg, &u, &err) ||
	    reg_network_add(reg, &n, &err))
		abort();
	return reg;
}

struct check {
	const char *buf;
	uint64_t last;
};

static int reencode(void *ctx, const struct journal_rec *rec, unsigned idx, char *err, size_t errlen)
{
	struct check *c = ctx;
	size_t n;
	char *r = journal_encode(rec->seq, rec->payload, rec->len, &n);

	(void)idx;
	(void)err;
	(void)errlen;
	if (!r || n != rec->end - rec->off || memcmp(r, c->buf + rec->off, n))
		abort();
	free(r);
	c->last = rec->seq;
	return 0;
}

static void image(const char *buf, size_t len)
{
	struct check c = { .buf = buf };
	struct journal_scan res;
	struct reg_err err;
	struct reg *reg;
	uint64_t last;
	unsigned skipped = 0;

	if (journal_scan("fuzz", REG_JOURNAL_MAGIC, buf, len, reencode, &c, &res, err.msg, sizeof(err.msg)) == 0) {
		if (res.end > len || (res.torn && res.torn_off != res.end))
			abort();
		if (!res.torn && res.end != len && len >= REG_JOURNAL_MAGIC_LEN)
			abort();
	}
	reg = base_reg();
	if (reg_store_replay_buf(reg, "fuzz", buf, len, 0, &last, &skipped, &err) == 0 && res.records &&
	    last != c.last)
		abort();
	reg_free(reg);
}

static void framed(const char *buf, size_t len)
{
	size_t cap = REG_JOURNAL_MAGIC_LEN, n = REG_JOURNAL_MAGIC_LEN, rl;
	char *img = malloc(cap), *r;
	uint64_t seq = 0, last;
	struct reg_err err;
	struct reg *reg;

	if (!img)
		return;
	memcpy(img, REG_JOURNAL_MAGIC, n);
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t pl = nl ? (size_t)(nl - (buf + off)) : len - off;

		r = journal_encode(++seq, buf + off, pl, &rl);
		if (!r)
			break;
		if (n + rl > cap) {
			char *t = realloc(img, cap = (n + rl) * 2);

			if (!t) {
				free(r);
				break;
			}
			img = t;
		}
		memcpy(img + n, r, rl);
		n += rl;
		free(r);
		off += pl + 1;
	}
	reg = base_reg();
	if (reg_store_replay_buf(reg, "fuzz", img, n, 0, &last, NULL, &err) == 0 && last != seq)
		abort();
	reg_free(reg);
	free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 1)
		return 0;
	if (data[0] & 1)
		framed((const char *)data + 1, len - 1);
	else
		image((const char *)data + 1, len - 1);
	return 0;
}
