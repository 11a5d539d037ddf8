/* Text forms of registry values: names, UUIDs, MACs and the enums (see
 * registry.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/reg_int.h"
#include "vdp/wire/vdp_text.h"

/* ---- text helpers ---- */

bool reg_name_valid(const char *s)
{
	size_t n = strnlen(s, REG_NAME_MAX);

	if (n == 0 || n >= REG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._:-", *s))
			return false;
	return true;
}

bool reg_ifname_valid(const char *s)
{
	size_t n = strnlen(s, IFNAMSIZ);

	if (n == 0 || n >= IFNAMSIZ)
		return false;
	for (; *s; s++)
		if (!isgraph((unsigned char)*s) || *s == '/' || *s == ':')
			return false;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The one UUID rule of every command (vdp/wire/vdp_text.h): 32 hex
 * digits, dashes anywhere optional. */
int reg_uuid_parse(const char *in, uint8_t out[16])
{
	return in ? vdp_txt_uuid_parse(in, out) : -EINVAL;
}

/* By hand, not snprintf: every lookup by interface-id canonicalises. */
void reg_uuid_format(const uint8_t u[16], char out[REG_UUID_STRLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 15];
	}
	*p = 0;
}

int reg_uuid_canon(const char *in, char out[REG_UUID_STRLEN + 1])
{
	uint8_t u[16];

	if (reg_uuid_parse(in, u) < 0)
		return -EINVAL;
	reg_uuid_format(u, out);
	return 0;
}

int reg_mac_parse(const char *in, uint8_t out[6])
{
	if (!in || strlen(in) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(in[3 * i]), lo = hexval(in[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && in[3 * i + 2] != ':'))
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void reg_mac_format(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Each enum's text forms; the first of a value is the one printed, the
 * others are also accepted. */
struct enum_text {
	int value;
	const char *text;
};

static const struct enum_text vports[] = {
	{ REG_VPORT_QBG, "802.1Qbg" },
	{ REG_VPORT_QBH, "802.1Qbh" },
	{ REG_VPORT_QBG, "qbg" },
	{ REG_VPORT_QBH, "qbh" },
};
static const struct enum_text modes[] = {
	{ REG_MODE_VEPA, "vepa" },
	{ REG_MODE_PRIVATE, "private" },
	{ REG_MODE_PASSTHROUGH, "passthrough" },
};
static const struct enum_text origins[] = {
	{ REG_ORIGIN_RUNTIME, "runtime" },
	{ REG_ORIGIN_CONFIG, "config" },
	{ REG_ORIGIN_LEARNED, "learned" },
};
static const struct enum_text policies[] = {
	{ REG_POLICY_OFF, "off" },
	{ REG_POLICY_LEARN, "learn" },
	{ REG_POLICY_ENFORCE, "enforce" },
};

static const char *text_of(const struct enum_text *t, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].text;
	return "?";
}

/* The value s names, or -EINVAL (every value is >= 0). */
static int value_of(const struct enum_text *t, size_t n, const char *s, bool nocase)
{
	for (size_t i = 0; i < n; i++)
		if (nocase ? !strcasecmp(s, t[i].text) : !strcmp(s, t[i].text))
			return t[i].value;
	return -EINVAL;
}

/* reg_<e>_name() and reg_<e>_parse() of registry.h over one table. */
#define ENUM_TEXT(e, type, tab, nocase) \
	const char *reg_##e##_name(type v) \
	{ \
		return text_of(tab, sizeof(tab) / sizeof(tab[0]), (int)v); \
	} \
	int reg_##e##_parse(const char *s, type *out) \
	{ \
		int v = value_of(tab, sizeof(tab) / sizeof(tab[0]), s, nocase); \
\
		if (v < 0) \
			return -EINVAL; \
		*out = (type)v; \
		return 0; \
	}

ENUM_TEXT(vport, enum reg_vport, vports, true) /* qbg, 802.1Qbg, qbh, 802.1Qbh in any case */
ENUM_TEXT(mode, enum reg_mode, modes, false)
ENUM_TEXT(origin, enum reg_origin, origins, false)
ENUM_TEXT(policy, enum reg_policy, policies, false)
