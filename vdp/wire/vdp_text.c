/* See vdp_text.h. */
#include "vdp/wire/vdp_text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 32 hex digits (dashes skipped when allowed); out is written only on success. */
static int hex16_parse(const char *s, bool dashes, uint8_t out[16])
{
	uint8_t tmp[16];
	int n = 0;

	for (; *s; s++) {
		int v;

		if (*s == '-' && dashes)
			continue;
		v = hexval((unsigned char)*s);
		if (v < 0 || n >= 32)
			return -EINVAL;
		if (n % 2 == 0)
			tmp[n / 2] = (uint8_t)(v << 4);
		else
			tmp[n / 2] |= (uint8_t)v;
		n++;
	}
	if (n != 32)
		return -EINVAL;
	memcpy(out, tmp, 16);
	return 0;
}

int vdp_txt_uuid_parse(const char *s, uint8_t out[16])
{
	return hex16_parse(s, true, out);
}

int vdp_txt_hex16_parse(const char *s, uint8_t out[16])
{
	return hex16_parse(s, false, out);
}

/* By hand, not snprintf: vdpd formats one or more per VSI in every reply
 * and event, and snprintf's format parsing was most of that cost. */
void vdp_txt_uuid_format(const uint8_t u[16], char out[VDP_TXT_UUID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u[i] >> 4];
		*o++ = hex[u[i] & 15];
	}
	*o = 0;
}

int vdp_txt_uint(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!isxdigit((unsigned char)s[2]))
			return -EINVAL;
		v = strtoull(s + 2, &end, 16);
	} else {
		v = strtoull(s, &end, 10);
	}
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool name_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

int vdp_txt_mgrid_parse(const char *s, uint8_t out[VDP_MGRID_LEN])
{
	uint8_t tmp[VDP_MGRID_LEN] = { 0 };
	uint32_t v;
	size_t n = strlen(s);

	if (vdp_txt_uint(s, 255, &v) == 0) {
		tmp[0] = (uint8_t)v;
	} else if (vdp_txt_uuid_parse(s, tmp) == 0) {
		/* tmp filled */
	} else {
		if (n == 0 || n > VDP_MGRID_LEN - 1)
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			if (!name_char((unsigned char)s[i]))
				return -EINVAL;
		memcpy(tmp, s, n);
	}
	memcpy(out, tmp, VDP_MGRID_LEN);
	return 0;
}

void vdp_txt_mgrid_format(const uint8_t in[VDP_MGRID_LEN], char out[VDP_TXT_MGRID_LEN])
{
	size_t n = 0;
	bool rest_zero = true;

	while (n < VDP_MGRID_LEN - 1 && in[n] && name_char(in[n]))
		n++;
	for (size_t i = n; i < VDP_MGRID_LEN; i++)
		if (in[i])
			rest_zero = false;
	/* A name that would read back as a number is shown by its first octet. */
	if (n >= 2 && rest_zero && !isdigit(in[0])) {
		memcpy(out, in, n);
		out[n] = 0;
		return;
	}
	rest_zero = true;
	for (size_t i = 1; i < VDP_MGRID_LEN; i++)
		if (in[i])
			rest_zero = false;
	if (rest_zero)
		snprintf(out, VDP_TXT_MGRID_LEN, "%u", in[0]);
	else
		vdp_txt_uuid_format(in, out);
}

int vdp_txt_mac_parse(const char *s, uint8_t out[6])
{
	uint8_t tmp[6];

	for (int i = 0; i < 6; i++) {
		int hi = hexval((unsigned char)s[0]);
		int lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);

		if (lo < 0)
			return -EINVAL;
		tmp[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	memcpy(out, tmp, 6);
	return 0;
}

/* By hand for the same reason as vdp_txt_uuid_format(): one per filter in
 * every VSI object vdpd writes. */
void vdp_txt_mac_format(const uint8_t m[6], char out[VDP_TXT_MAC_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;

	for (int i = 0; i < 6; i++) {
		if (i)
			*o++ = ':';
		*o++ = hex[m[i] >> 4];
		*o++ = hex[m[i] & 15];
	}
	*o = 0;
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 1; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const mode_names[] = {
	[0] = "none",
	[VDP_TLV_PREASSOC] = "preassoc",
	[VDP_TLV_PREASSOC_RR] = "preassoc-rr",
	[VDP_TLV_ASSOC] = "assoc",
	[VDP_TLV_DEASSOC] = "deassoc",
};

int vdp_txt_mode_parse(const char *s)
{
	return lookup(mode_names, NELEM(mode_names), s);
}

const char *vdp_txt_mode_name(uint8_t mode)
{
	return mode < NELEM(mode_names) ? mode_names[mode] : "unknown";
}

static const char *const ffmt_names[] = {
	[VDP_FILTER_VID] = "vid",
	[VDP_FILTER_MAC_VID] = "mac-vid",
	[VDP_FILTER_GROUP_VID] = "group-vid",
	[VDP_FILTER_GROUP_MAC_VID] = "group-mac-vid",
};

int vdp_txt_filter_fmt_parse(const char *s)
{
	return lookup(ffmt_names, NELEM(ffmt_names), s);
}

const char *vdp_txt_filter_fmt_name(uint8_t fmt)
{
	return fmt && fmt < NELEM(ffmt_names) ? ffmt_names[fmt] : "unknown";
}

static const char *const vfmt_names[] = {
	[VDP_VSIID_IPV4] = "ipv4",
	[VDP_VSIID_IPV6] = "ipv6",
	[VDP_VSIID_MAC] = "mac",
	[VDP_VSIID_LOCAL] = "local",
	[VDP_VSIID_UUID] = "uuid",
};

int vdp_txt_vsiid_fmt_parse(const char *s)
{
	return lookup(vfmt_names, NELEM(vfmt_names), s);
}

const char *vdp_txt_vsiid_fmt_name(uint8_t fmt)
{
	return fmt && fmt < NELEM(vfmt_names) ? vfmt_names[fmt] : "unknown";
}

int vdp_txt_vsiid_parse(uint8_t fmt, const char *s, uint8_t out[VDP_VSIID_LEN])
{
	uint8_t tmp[VDP_VSIID_LEN] = { 0 };

	switch (fmt) {
	case VDP_VSIID_IPV4:
		/* IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
		tmp[10] = tmp[11] = 0xff;
		if (inet_pton(AF_INET, s, tmp + 12) != 1)
			return -EINVAL;
		break;
	case VDP_VSIID_IPV6:
		if (inet_pton(AF_INET6, s, tmp) != 1)
			return -EINVAL;
		break;
	case VDP_VSIID_MAC:
		if (vdp_txt_mac_parse(s, tmp + 10) < 0)
			return -EINVAL;
		break;
	case VDP_VSIID_LOCAL:
		if (vdp_txt_hex16_parse(s, tmp) < 0)
			return -EINVAL;
		break;
	case VDP_VSIID_UUID:
		if (vdp_txt_uuid_parse(s, tmp) < 0)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	memcpy(out, tmp, VDP_VSIID_LEN);
	return 0;
}

void vdp_txt_vsiid_format(uint8_t fmt, const uint8_t in[VDP_VSIID_LEN], char out[VDP_TXT_VSIID_LEN])
{
	switch (fmt) {
	case VDP_VSIID_IPV4:
		if (inet_ntop(AF_INET, in + 12, out, VDP_TXT_VSIID_LEN))
			return;
		break;
	case VDP_VSIID_IPV6:
		if (inet_ntop(AF_INET6, in, out, VDP_TXT_VSIID_LEN))
			return;
		break;
	case VDP_VSIID_MAC:
		vdp_txt_mac_format(in + 10, out);
		return;
	case VDP_VSIID_UUID:
		vdp_txt_uuid_format(in, out);
		return;
	default:
		break;
	}
	for (int i = 0; i < VDP_VSIID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

int vdp_txt_hints_parse(const char *s)
{
	if (strcmp(s, "none") == 0)
		return 0;
	if (strcmp(s, "migrate-to") == 0)
		return VDP_STATUS_MBIT;
	if (strcmp(s, "migrate-from") == 0)
		return VDP_STATUS_SBIT;
	return -EINVAL;
}

const char *vdp_txt_hints_name(uint8_t hints)
{
	switch (hints & (VDP_STATUS_MBIT | VDP_STATUS_SBIT)) {
	case 0:
		return "none";
	case VDP_STATUS_MBIT:
		return "migrate-to";
	case VDP_STATUS_SBIT:
		return "migrate-from";
	}
	return "migrate-to,migrate-from";
}
