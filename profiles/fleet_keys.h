/* The fleet registry's key schema on etcd: which key holds which registry
 * entry, and its value, one JSON object per key in the shape `vdpctl -j`
 * shows (reg_json.h).  Pure codec, no I/O.  Under a prefix (/vdpd):
 *
 *   PREFIX/profiles/NAME                  profile      fleet-wide
 *   PREFIX/networks/NAME                  network      fleet-wide
 *   PREFIX/ports/UUID                     port         fleet-wide
 *   PREFIX/attachments/IFACE-ID           attachment   fleet-wide (logical plug)
 *   PREFIX/hosts/HOST/uplinks/DEV         uplink       the host's physical networks
 *   PREFIX/hosts/HOST/bindings/IFACE-ID   binding      the host's edge bindings
 *   PREFIX/hosts/HOST/status/IFACE-ID     status       association, under the host's lease
 *
 * A value must name the entry its key names (a profile under
 * profiles/web has "name":"web"); "origin" is optional and, when present,
 * "runtime": fleet entries are never vdpd.conf's nor learned. */
#ifndef VDP_FLEET_KEYS_H
#define VDP_FLEET_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "profiles/registry.h"

#define FLEET_PREFIX_MAX 128
#define FLEET_KEY_MAX (FLEET_PREFIX_MAX + 2 * REG_NAME_MAX + 32)
#define FLEET_REASON_MAX 128

enum fleet_kind {
	FLEET_PROFILE,
	FLEET_NETWORK,
	FLEET_PORT,
	FLEET_ATTACHMENT,
	FLEET_UPLINK, /* per host */
	FLEET_BINDING, /* per host */
	FLEET_STATUS, /* per host, leased */
	FLEET_NKINDS,
};

struct fleet_key {
	enum fleet_kind kind;
	char host[REG_NAME_MAX]; /* "" for fleet-wide kinds */
	char id[REG_NAME_MAX]; /* name, dev, uuid or interface-id */
};

/* What a host reports about one of its bound interfaces. */
struct fleet_status {
	char iface_id[REG_UUID_STRLEN + 1];
	char host[REG_NAME_MAX];
	char uplink[IFNAMSIZ];
	char state[16]; /* associated, pending, failed, deassociated */
	uint16_t vlan; /* the VLAN the bridge answered; 0 when none */
	char reason[FLEET_REASON_MAX]; /* the last reason, "" when none */
	int64_t time; /* when state was last set, Unix seconds */
};

union fleet_value {
	union reg_entry e;
	struct fleet_status s;
};

/* "profiles", "hosts/.../bindings"...: the path segment of a kind. */
const char *fleet_kind_name(enum fleet_kind k);
/* The registry kind a fleet kind carries; REG_KIND_ALL for FLEET_STATUS. */
enum reg_kind fleet_reg_kind(enum fleet_kind k);
/* The fleet kind of a registry kind. */
enum fleet_kind fleet_kind_of_reg(enum reg_kind k);
/* Whether the kind lives under hosts/HOST/. */
int fleet_kind_per_host(enum fleet_kind k);

/* A prefix is "/" followed by 1..FLEET_PREFIX_MAX-2 characters of
 * [A-Za-z0-9._/-], no trailing "/": 0 or -EINVAL with err. */
int fleet_prefix_valid(const char *prefix, struct reg_err *err);

/* key -> *k: 0, -ENOENT when key is not under prefix or names no kind
 * (another tool's key: ignored, not an error), -EINVAL with err when it
 * is under a kind's folder but malformed. */
int fleet_key_parse(const char *prefix, const char *key, struct fleet_key *k, struct reg_err *err);
/* k -> buf: the length, or -EINVAL (bad name, host or too long). */
int fleet_key_format(const char *prefix, const struct fleet_key *k, char *buf, size_t n);
/* The folder that holds every key of kind (for one host when per host),
 * with a trailing "/": the length, or -EINVAL. */
int fleet_dir_format(const char *prefix, enum fleet_kind kind, const char *host, char *buf,
		     size_t n);

/* A value of key k -> *out.  0 or -EINVAL with err naming the key. */
int fleet_value_decode(const struct fleet_key *k, const char *val, size_t len,
		       union fleet_value *out, struct reg_err *err);
/* Compact JSON text of an entry of kind (a struct reg_<kind> or struct
 * fleet_status), malloc'd; NULL on allocation failure. */
char *fleet_value_encode(enum fleet_kind kind, const void *entry);

json_t *fleet_status_to_json(const struct fleet_status *s);
int fleet_status_from_json(json_t *j, struct fleet_status *s, struct reg_err *err);

#endif
