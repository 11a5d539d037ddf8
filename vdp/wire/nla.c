/* Netlink attributes walked under a policy table (see nla.h). */
#include <linux/netlink.h>

#include "vdp/wire/nl_parse.h"
#include "vdp/wire/nla.h"

/* Attribute iterator over [p, p+left). */
struct nla_it {
	const uint8_t *p;
	size_t left;
};

/* Next attribute: 1 and type/payload set, 0 at a clean end, or an error. */
static int nla_next(struct nla_it *it, uint16_t *type, const uint8_t **pl, size_t *pl_len)
{
	if (it->left == 0)
		return 0;
	if (it->left < NLAHDR)
		return NLP_E_TRAILING;
	uint16_t len = nla_u16(it->p);
	if (len < NLAHDR || len > it->left)
		return NLP_E_ATTR_LEN;
	*type = nla_u16(it->p + 2) & NLA_TYPE_MASK;
	*pl = it->p + NLAHDR;
	*pl_len = len - NLAHDR;
	size_t step = ALIGN4(len);
	if (step > it->left) /* last attribute may lack its padding */
		step = it->left;
	it->p += step;
	it->left -= step;
	return 1;
}

int nla_walk(const uint8_t *p, size_t n, const struct nla_policy *pol, void *ctx)
{
	struct nla_it it = { p, n };
	uint16_t t;
	const uint8_t *pl;
	size_t pn;
	int r;

	while ((r = nla_next(&it, &t, &pl, &pn)) == 1) {
		const struct nla_rule *rule = t < pol->n ? &pol->rules[t] : NULL;

		if (!rule || !rule->take) {
			if (pol->unknown)
				return pol->unknown;
			continue;
		}
		if (pn < rule->min || pn > rule->max) {
			if (rule->len_err)
				return rule->len_err;
			continue;
		}
		if ((r = rule->take(ctx, pl, pn)) < 0)
			return r;
	}
	return r;
}
