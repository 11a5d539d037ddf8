/* vsi.show paging (see vsipage.h). */
#include <errno.h>
#include <string.h>

#include "vdp/wire/vdp_text.h"
#include "tools/vdp-bridge/vsipage.h"

static int arg_u32(json_t *args, const char *key, uint32_t *out, bool *has, struct ctl_error *err)
{
	json_t *j = json_object_get(args, key);

	*has = j != NULL;
	if (!j)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    json_integer_value(j) > (json_int_t)UINT32_MAX)
		return ctl_failed(err, EINVAL, "%s must be a number 0..%u", key, UINT32_MAX);
	*out = (uint32_t)json_integer_value(j);
	return 0;
}

/* "after": {port, vsiid_format, vsiid} of the last VSI of the page before. */
static int parse_after(json_t *a, const char *const *ports, size_t n_ports, struct vbr_page *pg,
		       struct ctl_error *err)
{
	const char *port = json_string_value(json_object_get(a, "port"));
	const char *f = json_string_value(json_object_get(a, "vsiid_format"));
	const char *id = json_string_value(json_object_get(a, "vsiid"));
	int fmt;

	if (!json_is_object(a) || !port || !id)
		return ctl_failed(err, EINVAL,
				  "after must be an object {port, vsiid_format, vsiid}");
	for (pg->port = 0; pg->port < n_ports && strcmp(ports[pg->port], port) != 0; pg->port++)
		;
	if (pg->port == n_ports)
		return ctl_failed(err, ENODEV, "after: no such port %s", port);
	fmt = f ? vdp_txt_vsiid_fmt_parse(f) : VDP_VSIID_UUID;
	if (fmt < 0)
		return ctl_failed(err, EINVAL,
				  "after: vsiid_format: one of ipv4, ipv6, mac, local, uuid");
	if (vdp_txt_vsiid_parse((uint8_t)fmt, id, pg->id) < 0)
		return ctl_failed(err, EINVAL, "after: vsiid: not a %s",
				  vdp_txt_vsiid_fmt_name((uint8_t)fmt));
	pg->fmt = (uint8_t)fmt;
	pg->after = true;
	return 0;
}

int vbr_page_parse(json_t *args, const char *const *ports, size_t n_ports, struct vbr_page *pg,
		   struct ctl_error *err)
{
	json_t *a = json_object_get(args, "after");
	bool has_off, has_lim;

	memset(pg, 0, sizeof(*pg));
	pg->limit = UINT32_MAX;
	if (a && parse_after(a, ports, n_ports, pg, err) < 0)
		return -1;
	if (arg_u32(args, "offset", &pg->offset, &has_off, err) < 0 ||
	    arg_u32(args, "limit", &pg->limit, &has_lim, err) < 0)
		return -1;
	/* A client sends offset along for a vdp-bridge without "after". */
	if (pg->after)
		pg->offset = 0;
	pg->paging = pg->after || has_off || has_lim;
	return 0;
}

static size_t vsi_estimate(const struct vsi *v)
{
	return 400 + 110 * (size_t)v->n_filters;
}

size_t vbr_page_walk(struct vdp_bridge *const *brs, size_t n_ports, const struct vbr_page *pg,
		     vbr_page_fn fn, void *ctx)
{
	size_t skipped = 0, size = 0, n = 0;

	for (size_t i = pg->after ? pg->port : 0; i < n_ports; i++) {
		struct vsi *v;

		if (!brs[i])
			continue;
		v = pg->after && i == pg->port ? vdp_bridge_after(brs[i], pg->fmt, pg->id)
					       : vdp_bridge_first(brs[i]);
		for (; v; v = vdp_bridge_next(brs[i], v)) {
			if (skipped < pg->offset) {
				skipped++;
				continue;
			}
			/* Without paging everything is asked for; a reply
			 * over the cap then fails as a whole rather than
			 * silently leaving VSIs out. */
			if (n >= pg->limit ||
			    (pg->paging && n && size + vsi_estimate(v) > VBR_PAGE_BUDGET))
				return n;
			size += vsi_estimate(v);
			fn(ctx, i, v);
			n++;
		}
	}
	return n;
}

int vbr_vsi_json_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = strcmp(json_string_value(json_object_get(x, "port")),
		       json_string_value(json_object_get(y, "port")));

	return c ? c
		 : strcmp(json_string_value(json_object_get(x, "vsiid")),
			  json_string_value(json_object_get(y, "vsiid")));
}
