/* The fleet key schema (see fleet_keys.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/fleet_keys.h"
#include "profiles/reg_kind.h"

static const struct {
	const char *dir;
	enum reg_kind reg;
	int per_host;
} kinds[FLEET_NKINDS] = {
	[FLEET_PROFILE] = { "profiles", REG_KIND_PROFILE, 0 },
	[FLEET_NETWORK] = { "networks", REG_KIND_NETWORK, 0 },
	[FLEET_PORT] = { "ports", REG_KIND_PORT, 0 },
	[FLEET_ATTACHMENT] = { "attachments", REG_KIND_ATTACHMENT, 0 },
	[FLEET_UPLINK] = { "uplinks", REG_KIND_UPLINK, 1 },
	[FLEET_BINDING] = { "bindings", REG_KIND_BINDING, 1 },
	[FLEET_STATUS] = { "status", REG_KIND_ALL, 1 },
};

static const char *const states[] = { "associated", "pending", "failed", "deassociated" };

const char *fleet_kind_name(enum fleet_kind k)
{
	return (unsigned)k < FLEET_NKINDS ? kinds[k].dir : "?";
}

enum reg_kind fleet_reg_kind(enum fleet_kind k)
{
	return (unsigned)k < FLEET_NKINDS ? kinds[k].reg : REG_KIND_ALL;
}

enum fleet_kind fleet_kind_of_reg(enum reg_kind k)
{
	for (int i = 0; i < FLEET_NKINDS; i++)
		if (kinds[i].reg == k)
			return (enum fleet_kind)i;
	return FLEET_NKINDS;
}

int fleet_kind_per_host(enum fleet_kind k)
{
	return (unsigned)k < FLEET_NKINDS && kinds[k].per_host;
}

int fleet_prefix_valid(const char *prefix, struct reg_err *err)
{
	size_t n = strlen(prefix);

	if (n < 2 || n > FLEET_PREFIX_MAX - 2 || prefix[0] != '/' || prefix[n - 1] == '/')
		return reg_fail(err, -EINVAL,
				"prefix '%s': must be / and 1..%d characters, no trailing /",
				prefix, FLEET_PREFIX_MAX - 3);
	for (const char *c = prefix; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-",
			    *c))
			return reg_fail(err, -EINVAL, "prefix '%s': character '%c' not allowed",
					prefix, *c);
	return 0;
}

/* Copies the segment at *p up to the next '/' (or the end) into out. */
static int segment(const char **p, char *out, size_t n)
{
	const char *s = *p, *e = strchr(s, '/');
	size_t len = e ? (size_t)(e - s) : strlen(s);

	if (len == 0 || len >= n)
		return -EINVAL;
	memcpy(out, s, len);
	out[len] = 0;
	*p = e ? e + 1 : s + len;
	return e ? 1 : 0;
}

static int id_valid(enum fleet_kind k, const char *id)
{
	char canon[REG_UUID_STRLEN + 1];

	switch (k) {
	case FLEET_PORT:
	case FLEET_ATTACHMENT:
	case FLEET_BINDING:
	case FLEET_STATUS:
		/* interface-ids and ports are stored canonical */
		return !reg_uuid_canon(id, canon) && !strcmp(canon, id);
	case FLEET_UPLINK:
		return strlen(id) < IFNAMSIZ && reg_name_valid(id);
	default:
		return reg_name_valid(id);
	}
}

static enum fleet_kind kind_by_dir(const char *dir, int per_host)
{
	for (int i = 0; i < FLEET_NKINDS; i++)
		if (kinds[i].per_host == per_host && !strcmp(kinds[i].dir, dir))
			return (enum fleet_kind)i;
	return FLEET_NKINDS;
}

int fleet_key_parse(const char *prefix, const char *key, struct fleet_key *k, struct reg_err *err)
{
	size_t pl = strlen(prefix);
	const char *p = key + pl + 1;
	char dir[REG_NAME_MAX];
	int more;

	memset(k, 0, sizeof(*k));
	if (strncmp(key, prefix, pl) || key[pl] != '/')
		return -ENOENT;
	more = segment(&p, dir, sizeof(dir));
	if (more <= 0)
		return -ENOENT;
	if (!strcmp(dir, "hosts")) {
		if (segment(&p, k->host, sizeof(k->host)) <= 0 || !reg_name_valid(k->host))
			return reg_fail(err, -EINVAL, "key '%s': no valid host name after hosts/",
					key);
		if (segment(&p, dir, sizeof(dir)) <= 0 ||
		    (k->kind = kind_by_dir(dir, 1)) == FLEET_NKINDS)
			return -ENOENT;
	} else if ((k->kind = kind_by_dir(dir, 0)) == FLEET_NKINDS) {
		return -ENOENT;
	}
	if (segment(&p, k->id, sizeof(k->id)) != 0 || !id_valid(k->kind, k->id))
		return reg_fail(err, -EINVAL, "key '%s': '%s' is not a valid %s key", key, p,
				kinds[k->kind].dir);
	return 0;
}

int fleet_key_format(const char *prefix, const struct fleet_key *k, char *buf, size_t n)
{
	int len;

	if ((unsigned)k->kind >= FLEET_NKINDS || !id_valid(k->kind, k->id))
		return -EINVAL;
	if (kinds[k->kind].per_host) {
		if (!reg_name_valid(k->host))
			return -EINVAL;
		len = snprintf(buf, n, "%s/hosts/%s/%s/%s", prefix, k->host, kinds[k->kind].dir,
			       k->id);
	} else {
		len = snprintf(buf, n, "%s/%s/%s", prefix, kinds[k->kind].dir, k->id);
	}
	return len < 0 || (size_t)len >= n ? -EINVAL : len;
}

int fleet_dir_format(const char *prefix, enum fleet_kind kind, const char *host, char *buf,
		     size_t n)
{
	int len;

	if ((unsigned)kind >= FLEET_NKINDS)
		return -EINVAL;
	if (kinds[kind].per_host) {
		if (!host || !reg_name_valid(host))
			return -EINVAL;
		len = snprintf(buf, n, "%s/hosts/%s/%s/", prefix, host, kinds[kind].dir);
	} else {
		len = snprintf(buf, n, "%s/%s/", prefix, kinds[kind].dir);
	}
	return len < 0 || (size_t)len >= n ? -EINVAL : len;
}

json_t *fleet_status_to_json(const struct fleet_status *s)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I}", "iface_id", s->iface_id, "host",
			 s->host, "uplink", s->uplink, "state", s->state, "vlan", s->vlan, "reason",
			 s->reason, "time", (json_int_t)s->time);
}

static int copy_field(char *dst, size_t n, const char *src, const char *field, struct reg_err *err)
{
	if (strlen(src) >= n)
		return reg_fail(err, -EINVAL, "status: \"%s\" is longer than %zu characters", field,
				n - 1);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

int fleet_status_from_json(json_t *j, struct fleet_status *s, struct reg_err *err)
{
	const char *id, *host, *uplink, *state, *reason = "";
	json_int_t vlan = 0, t = 0;
	json_error_t je;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s, s:s, s:s, s?I, s?s, s:I}", "iface_id",
			   &id, "host", &host, "uplink", &uplink, "state", &state, "vlan", &vlan,
			   "reason", &reason, "time", &t))
		return reg_fail(err, -EINVAL, "status: %s", je.text);
	if (reg_uuid_canon(id, s->iface_id) < 0)
		return reg_fail(err, -EINVAL, "status: \"iface_id\" '%s' is not a UUID", id);
	if (!reg_name_valid(host))
		return reg_fail(err, -EINVAL, "status: \"host\" '%s' is not a valid name", host);
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(state, states[i]))
			break;
	if (i == sizeof(states) / sizeof(states[0]))
		return reg_fail(
			err, -EINVAL,
			"status: \"state\" '%s' is not associated, pending, failed or deassociated",
			state);
	if (vlan < 0 || vlan > REG_VLAN_MAX)
		return reg_fail(err, -EINVAL, "status: \"vlan\" %lld out of range 0..%d",
				(long long)vlan, REG_VLAN_MAX);
	if (t < 0)
		return reg_fail(err, -EINVAL, "status: \"time\" %lld is negative", (long long)t);
	if (copy_field(s->host, sizeof(s->host), host, "host", err) ||
	    copy_field(s->uplink, sizeof(s->uplink), uplink, "uplink", err) ||
	    copy_field(s->state, sizeof(s->state), state, "state", err) ||
	    copy_field(s->reason, sizeof(s->reason), reason, "reason", err))
		return -EINVAL;
	s->vlan = (uint16_t)vlan;
	s->time = t;
	return 0;
}

/* The value must name what its key names (and a status the key's host). */
static int matches_key(const struct fleet_key *k, const union fleet_value *v, struct reg_err *err)
{
	const char *id;

	if (k->kind == FLEET_STATUS) {
		if (strcmp(v->s.host, k->host))
			return reg_fail(err, -EINVAL,
					"status of %s: \"host\" '%s' is not the key's host '%s'",
					k->id, v->s.host, k->host);
		id = v->s.iface_id;
	} else {
		const struct reg_kind_ops *ops = reg_kind_of(kinds[k->kind].reg);

		if (ops->origin_of(&v->e) != REG_ORIGIN_RUNTIME)
			return reg_fail(err, -EINVAL,
					"%s '%s': \"origin\" must be runtime in the fleet store",
					ops->name, k->id);
		id = ops->key_of(&v->e);
	}
	if (strcmp(id, k->id))
		return reg_fail(err, -EINVAL, "%s/%s: the value names '%s'", kinds[k->kind].dir,
				k->id, id);
	return 0;
}

int fleet_value_decode(const struct fleet_key *k, const char *val, size_t len,
		       union fleet_value *out, struct reg_err *err)
{
	json_error_t je;
	json_t *j;
	int rc;

	if ((unsigned)k->kind >= FLEET_NKINDS)
		return reg_fail(err, -EINVAL, "unknown fleet kind %d", (int)k->kind);
	j = json_loadb(val, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return reg_fail(err, -EINVAL, "%s/%s: not JSON: %s", kinds[k->kind].dir, k->id,
				je.text);
	if (k->kind == FLEET_STATUS)
		rc = fleet_status_from_json(j, &out->s, err);
	else
		rc = reg_kind_of(kinds[k->kind].reg)->from_json(j, &out->e, err);
	json_decref(j);
	return rc ? rc : matches_key(k, out, err);
}

char *fleet_value_encode(enum fleet_kind kind, const void *entry)
{
	json_t *j;
	char *s;

	if ((unsigned)kind >= FLEET_NKINDS)
		return NULL;
	j = kind == FLEET_STATUS ? fleet_status_to_json(entry)
				 : reg_kind_of(kinds[kind].reg)->to_json(entry);
	if (!j)
		return NULL;
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}
