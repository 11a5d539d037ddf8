/* The fleet store settings of vdpd.conf (see fleet_config.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "profiles/fleet_config.h"

static const char *const settings[] = { "backend", "endpoints", "prefix",  "host",
					"tls",     "user",      "password" };

bool fleet_config_is_setting(const char *name)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (!strcmp(name, settings[i]))
			return true;
	return false;
}

/* s's string member name into out (n bytes); absent: left as is. */
static int str(const config_setting_t *g, const char *name, char *out, size_t n,
	       struct reg_err *err)
{
	const config_setting_t *m = config_setting_get_member(g, name);
	const char *v;

	if (!m)
		return 0;
	v = config_setting_get_string(m);
	if (!v || !v[0] || strlen(v) >= n) {
		reg_fail(err, -EINVAL,
			 "%s:%d: registry: \"%s\" must be a string of 1..%zu characters",
			 config_setting_source_file(m) ? config_setting_source_file(m)
						       : "vdpd.conf",
			 config_setting_source_line(m), name, n - 1);
		return -EINVAL;
	}
	snprintf(out, n, "%s", v);
	return 0;
}

static int endpoints(const config_setting_t *g, struct fleet_config *out, struct reg_err *err)
{
	const config_setting_t *m = config_setting_get_member(g, "endpoints");
	int n;

	if (!m)
		return 0;
	n = config_setting_is_aggregate(m) ? config_setting_length(m) : -1;
	if (n < 1 || n > FLEET_MAX_ENDPOINTS)
		return reg_fail(
			err, -EINVAL, "%s:%d: registry.endpoints must be a list of 1..%d URLs",
			config_setting_source_file(m) ? config_setting_source_file(m) : "vdpd.conf",
			config_setting_source_line(m), FLEET_MAX_ENDPOINTS);
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string_elem(m, (unsigned)i);

		if (!v || (strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
		    strlen(v) >= sizeof(out->endpoints[0]))
			return reg_fail(err, -EINVAL,
					"%s:%d: registry.endpoints[%d] is not http://HOST:PORT or "
					"https://HOST:PORT",
					config_setting_source_file(m)
						? config_setting_source_file(m)
						: "vdpd.conf",
					config_setting_source_line(m), i);
		snprintf(out->endpoints[out->nendpoints++], sizeof(out->endpoints[0]), "%s", v);
	}
	return 0;
}

int fleet_config_parse(const config_setting_t *g, struct fleet_config *out, struct reg_err *err)
{
	const config_setting_t *tls;
	char backend[16] = "local";

	memset(out, 0, sizeof(*out));
	snprintf(out->prefix, sizeof(out->prefix), "/vdpd");
	if (gethostname(out->host, sizeof(out->host) - 1) < 0 || !reg_name_valid(out->host))
		snprintf(out->host, sizeof(out->host), "localhost");
	if (!g)
		return 0;
	tls = config_setting_get_member(g, "tls");
	if (str(g, "backend", backend, sizeof(backend), err) || endpoints(g, out, err) ||
	    str(g, "prefix", out->prefix, sizeof(out->prefix), err) ||
	    str(g, "host", out->host, sizeof(out->host), err) ||
	    str(g, "user", out->user, sizeof(out->user), err) ||
	    str(g, "password", out->password, sizeof(out->password), err))
		return -EINVAL;
	if (tls && !config_setting_is_group(tls))
		return reg_fail(err, -EINVAL, "registry.tls must be a group { ca; cert; key; }");
	if (tls &&
	    (str(tls, "ca", out->ca, sizeof(out->ca), err) ||
	     str(tls, "cert", out->cert, sizeof(out->cert), err) ||
	     str(tls, "key", out->key, sizeof(out->key), err)))
		return -EINVAL;
	if (strcmp(backend, "local") && strcmp(backend, "etcd"))
		return reg_fail(err, -EINVAL, "registry.backend \"%s\" is not local or etcd",
				backend);
	out->etcd = !strcmp(backend, "etcd");
	if (out->etcd && !out->nendpoints)
		return reg_fail(err, -EINVAL, "registry.backend \"etcd\" needs registry.endpoints");
	if (fleet_prefix_valid(out->prefix, err))
		return -EINVAL;
	if (!reg_name_valid(out->host))
		return reg_fail(err, -EINVAL,
				"registry.host \"%s\": 1..63 characters of A-Z a-z 0-9 . _ : -",
				out->host);
	if (!out->user[0] != !out->password[0])
		return reg_fail(err, -EINVAL, "registry: user and password go together");
	if (!out->cert[0] != !out->key[0])
		return reg_fail(err, -EINVAL, "registry.tls: cert and key go together");
	return 0;
}

int fleet_config_load_file(const char *path, struct fleet_config *out, struct reg_err *err)
{
	config_t cf;
	int rc;

	config_init(&cf);
	if (!config_read_file(&cf, path)) {
		rc = reg_fail(err, -EINVAL, "%s:%d: %s",
			      config_error_file(&cf) ? config_error_file(&cf) : path,
			      config_error_line(&cf), config_error_text(&cf));
		config_destroy(&cf);
		return rc;
	}
	rc = fleet_config_parse(config_lookup(&cf, "registry"), out, err);
	config_destroy(&cf);
	return rc;
}
