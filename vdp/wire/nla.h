/* Netlink attributes walked under a policy table (used by nl_parse.c).
 *
 * One table per container, indexed by attribute type, in the manner of the
 * kernel's nla_policy: the payload length an attribute must have, the code
 * it fails with, and the function that takes it.  Unlike the kernel's
 * nla_parse() nothing is collected first: each attribute is checked and
 * taken in the order it comes, so the first fault in the message is the
 * one reported, and a repeated attribute reaches its function every time
 * (a value attribute: the last one wins; a nest allowed once counts and
 * refuses the next itself).
 *
 * Attribute types are masked with NLA_TYPE_MASK (NLA_F_NESTED and
 * NLA_F_NET_BYTEORDER are not part of the type).  Errors are the codes of
 * nl_parse.h: NLP_E_ATTR_LEN (nla_len below 4 or past its container),
 * NLP_E_TRAILING (1..3 stray octets), or what the table names. */
#ifndef VDP_NLA_H
#define VDP_NLA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NLAHDR 4 /* struct nlattr */
#define ALIGN4(x) (((x) + 3u) & ~(size_t)3u)

/* Host-order fields at any alignment. */
static inline uint16_t nla_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t nla_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Takes one attribute's payload into ctx: 0 or a negative code. */
typedef int (*nla_take_fn)(void *ctx, const uint8_t *pl, size_t n);

struct nla_rule {
	uint16_t min, max; /* payload octets accepted */
	int8_t len_err; /* outside [min, max]: this code, or 0 to pass over it */
	nla_take_fn take; /* NULL: an attribute the table does not know */
};

struct nla_policy {
	const struct nla_rule *rules; /* indexed by attribute type */
	size_t n;
	int8_t unknown; /* code for an unknown attribute, or 0 to pass over it */
};

/* One line each (clang-format would spread each over four). */
/* clang-format off */
#define NLA_ANY(fn) { 0, UINT16_MAX, 0, fn }
#define NLA_EXACT(len, err, fn) { len, len, err, fn }
#define NLA_MIN(len, err, fn) { len, UINT16_MAX, err, fn }
#define NLA_MAX(len, err, fn) { 0, len, err, fn }
#define NLA_RANGE(lo, hi, err, fn) { lo, hi, err, fn }
#define NLA_POLICY(rules, unknown) { rules, sizeof(rules) / sizeof(rules[0]), unknown }
/* clang-format on */

/* Walks the attributes of [p, p+n) under pol, handing each to its rule's
 * take with ctx: 0 at a clean end, or the first error. */
int nla_walk(const uint8_t *p, size_t n, const struct nla_policy *pol, void *ctx);

#endif
