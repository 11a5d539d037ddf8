/* The port-profile registry: the host's answer to "when the hypervisor
 * builds a VM interface, which source dev (eth4) and which profile
 * (enterprise-xyz) does it use?".
 *
 * Two independent facts meet here (docs/registry.md):
 *  - the logical attachment: an interface-id attached to a network (and
 *    optionally a port on it), decided by a tenant or orchestrator;
 *  - the edge binding: the same interface-id bound by the hypervisor to a
 *    local device (macvtap or VF) with a MAC, on a host uplink.
 * Where both exist, the registry derives the desired VSI (802.1Qbg clause
 * 41: instance UUID = interface-id, filter MAC/VLAN, VSI type id/version,
 * manager id; or the 802.1Qbh profile id) and reports every change of it to
 * the daemon through reg_ops.  The registry does no I/O.
 *
 * Invariant kept by every mutator: when an interface-id is both attached and
 * bound, the bound uplink serves the network's physical network, so a
 * desired VSI always exists for such a pair. */
#ifndef VDP_REGISTRY_H
#define VDP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define REG_NAME_MAX 64			/* names incl. NUL */
#define REG_UUID_STRLEN 36		/* canonical 8-4-4-4-12, lower case */
#define REG_QBH_PROFILEID_MAX 39	/* libvirt: "profileid parameter too long" at 40 */
#define REG_VLAN_MAX 4094

enum reg_vport {
	REG_VPORT_QBG = 1,	/* 802.1Qbg VDP: manager id, type id, version */
	REG_VPORT_QBH = 2,	/* 802.1Qbh: a profile name handed to the adapter */
};

/* macvtap modes a host uplink offers (libvirt <source mode>/<forward mode>). */
enum reg_mode {
	REG_MODE_VEPA = 1,
	REG_MODE_PRIVATE = 2,
	REG_MODE_PASSTHROUGH = 3,
};

/* Where an entry came from: config entries are re-read from vdpd.conf at
 * start and are not persisted nor removable at run time; learned entries
 * come from libvirt requests under policy "learn". */
enum reg_origin {
	REG_ORIGIN_RUNTIME = 0,
	REG_ORIGIN_CONFIG = 1,
	REG_ORIGIN_LEARNED = 2,
};

enum reg_policy {
	REG_POLICY_OFF = 0,	/* libvirt requests pass unchecked */
	REG_POLICY_LEARN = 1,	/* pass; record an edge binding when none exists */
	REG_POLICY_ENFORCE = 2,	/* must match the registry's desired VSI */
};

struct reg_err {
	char msg[256];
};

/* The message into err (when err is not NULL); returns e. */
int reg_fail(struct reg_err *err, int e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A profile's type is its identity where the uplink does not choose; an
 * 802.1Qbg profile may also carry an 802.1Qbh profileid, so that one name
 * ("enterprise-xyz") is a VSI type on a VEPA uplink and a port profile on
 * a port-extender (Cisco VIC) uplink: reg_vport_for(). */
struct reg_profile {
	char name[REG_NAME_MAX];
	enum reg_vport type;
	/* 802.1Qbg.  mgrid is libvirt's one-octet managerid (<= 0xff). */
	uint8_t mgrid;
	uint32_t typeid;	/* 24 bits */
	uint8_t typeidver;
	uint8_t filter_fmt;	/* enum vdp_filter_fmt; 0 means MAC/VID (2) */
	/* 802.1Qbh. */
	char profileid[REG_QBH_PROFILEID_MAX + 1];
	uint16_t vlan;		/* 0: the network's, or the switch chooses */
	enum reg_origin origin;
};

struct reg_uplink {
	char dev[IFNAMSIZ];		/* eth4 */
	char physnet[REG_NAME_MAX];	/* physical network it reaches */
	enum reg_mode mode;
	enum reg_vport vport; /* 0: each profile's type; else the kind this uplink speaks */
	enum reg_origin origin;
};

struct reg_network {
	char name[REG_NAME_MAX];
	char uuid[REG_UUID_STRLEN + 1];	/* optional, "" when none */
	char physnet[REG_NAME_MAX];
	char profile[REG_NAME_MAX];
	uint16_t vlan;			/* 0: the profile's, or the switch chooses */
	enum reg_origin origin;
};

struct reg_port {
	char uuid[REG_UUID_STRLEN + 1];
	char network[REG_NAME_MAX];
	enum reg_origin origin;
};

/* Logical plug. */
struct reg_attachment {
	char iface_id[REG_UUID_STRLEN + 1];
	char network[REG_NAME_MAX];
	char port[REG_UUID_STRLEN + 1];	/* "" when not on a port */
	enum reg_origin origin;
};

/* Non-logical plug. */
struct reg_binding {
	char iface_id[REG_UUID_STRLEN + 1];
	char dev[IFNAMSIZ];		/* macvtap0 or the VF netdev; "" while unknown */
	uint8_t mac[6];
	char uplink[IFNAMSIZ];
	/* the domain's UUID, "" while unknown (the 802.1Qbh instance) */
	char vm_uuid[REG_UUID_STRLEN + 1];
	/* 1: the VM is migrating in, not running here yet (802.1Qbh:
	 * PREASSOCIATE_RR until it is 0 again); a bind request with -1 keeps
	 * the current value */
	int8_t migrating;
	enum reg_origin origin;
};

/* Room for an entry of any kind: the parsers fill one by kind. */
union reg_entry {
	struct reg_profile p;
	struct reg_uplink u;
	struct reg_network n;
	struct reg_port po;
	struct reg_attachment a;
	struct reg_binding b;
};

/* A desired VSI, the join of an attachment and a binding. */
struct reg_vsi {
	char iface_id[REG_UUID_STRLEN + 1];
	uint8_t instance[16];		/* VSIID, format 5 (UUID) */
	char uplink[IFNAMSIZ];
	char dev[IFNAMSIZ];
	enum reg_mode mode;
	uint8_t mac[6];
	uint16_t vlan;			/* 0: the switch chooses (null VID) */
	char network[REG_NAME_MAX];
	char profile[REG_NAME_MAX];
	enum reg_vport type;
	uint8_t mgrid;
	uint32_t typeid;
	uint8_t typeidver;
	uint8_t filter_fmt;
	char profileid[REG_QBH_PROFILEID_MAX + 1];
	char vm_uuid[REG_UUID_STRLEN + 1]; /* the binding's, "" when unknown */
	bool migrating; /* 802.1Qbh only: the binding's */
};

/* vsi_desired(ctx, NULL, new): associate new.
 * vsi_desired(ctx, old, new): parameters changed (network move, profile
 *   change): de-associate old, associate new.
 * vsi_desired(ctx, old, NULL): de-associate old.
 * The pointers are valid only during the call; the callback must not
 * modify the registry. */
struct reg_ops {
	void (*vsi_desired)(void *ctx, const struct reg_vsi *old, const struct reg_vsi *cur);
};

struct reg;

struct reg *reg_new(const struct reg_ops *ops, void *ctx);
void reg_free(struct reg *reg);

/* Mutators: 0 or -errno with err->msg naming the entry and the problem
 * (err may be NULL).  -EINVAL bad value, -EEXIST duplicate, -ENOENT unknown
 * reference, -EBUSY still referenced, -EPERM config entry.  Each one
 * reconciles what it touched before returning. */
int reg_profile_add(struct reg *reg, const struct reg_profile *p, struct reg_err *err);
/* Replaces an existing profile (same name); in-use VSIs are re-derived. */
int reg_profile_set(struct reg *reg, const struct reg_profile *p, struct reg_err *err);
int reg_profile_del(struct reg *reg, const char *name, struct reg_err *err);

int reg_uplink_add(struct reg *reg, const struct reg_uplink *u, struct reg_err *err);
int reg_uplink_set(struct reg *reg, const struct reg_uplink *u, struct reg_err *err);
int reg_uplink_del(struct reg *reg, const char *dev, struct reg_err *err);

int reg_network_add(struct reg *reg, const struct reg_network *n, struct reg_err *err);
int reg_network_set(struct reg *reg, const struct reg_network *n, struct reg_err *err);
/* name may also be the network's UUID. */
int reg_network_del(struct reg *reg, const char *name, struct reg_err *err);

int reg_port_add(struct reg *reg, const struct reg_port *p, struct reg_err *err);
int reg_port_del(struct reg *reg, const char *uuid, struct reg_err *err);

/* Attaching an attached interface-id to another network is a move.
 * a->network may be a network name or UUID (stored as the name). */
int reg_attach(struct reg *reg, const struct reg_attachment *a, struct reg_err *err);
int reg_detach(struct reg *reg, const char *iface_id, struct reg_err *err);

/* Idempotent for an identical binding (hooks run again on libvirtd
 * restart); a binding without dev is completed by one with the same MAC
 * and uplink that names it; any other binding of a bound interface-id is
 * -EEXIST. */
int reg_bind(struct reg *reg, const struct reg_binding *b, struct reg_err *err);
int reg_unbind(struct reg *reg, const char *iface_id, struct reg_err *err);

/* Lookups, O(1).  Returned pointers are valid until the next mutation. */
const struct reg_profile *reg_profile_get(const struct reg *reg, const char *name);
const struct reg_uplink *reg_uplink_get(const struct reg *reg, const char *dev);
const struct reg_network *reg_network_get(const struct reg *reg, const char *name_or_uuid);
const struct reg_port *reg_port_get(const struct reg *reg, const char *uuid);
const struct reg_attachment *reg_attachment_get(const struct reg *reg, const char *iface_id);
const struct reg_binding *reg_binding_get(const struct reg *reg, const char *iface_id);
/* The binding holding (uplink, mac), or NULL. */
const struct reg_binding *reg_binding_by_mac(const struct reg *reg, const char *uplink,
					     const uint8_t mac[6]);
/* The desired VSI last reported for iface_id, or NULL. */
const struct reg_vsi *reg_vsi_get(const struct reg *reg, const char *iface_id);

/* Sorted snapshots for show/export/store; caller frees the array (not the
 * entries).  NULL with *n = 0 when empty. */
const struct reg_profile **reg_profiles(const struct reg *reg, size_t *n);
const struct reg_uplink **reg_uplinks(const struct reg *reg, size_t *n);
const struct reg_network **reg_networks(const struct reg *reg, size_t *n);
const struct reg_port **reg_ports(const struct reg *reg, size_t *n);
const struct reg_attachment **reg_attachments(const struct reg *reg, size_t *n);
const struct reg_binding **reg_bindings(const struct reg *reg, size_t *n);
const struct reg_vsi **reg_vsis(const struct reg *reg, size_t *n);

struct reg_counts {
	size_t profiles, uplinks, networks, ports, attachments, bindings, vsis;
};
void reg_get_counts(const struct reg *reg, struct reg_counts *c);

/* Recomputes every desired VSI and reports the differences.  Mutators
 * already do this for what they touch; the daemon calls it once after
 * loading config and state, so every VSI is reported as new. */
void reg_reconcile(struct reg *reg);

/* Replaces every entry of dst by those of src, which is freed, keeping
 * dst's ops, policy and last reported VSIs; then reconciles, so only the
 * VSIs that differ are reported (a configuration reload). */
void reg_replace(struct reg *dst, struct reg *src);

/* Bumped by every successful mutation (the store saves when it moved). */
uint64_t reg_generation(const struct reg *reg);

/* Which entry a mutation changed, for the store's journal (store.h). */
enum reg_kind {
	REG_KIND_PROFILE,
	REG_KIND_UPLINK,
	REG_KIND_NETWORK,
	REG_KIND_PORT,
	REG_KIND_BINDING,
	REG_KIND_ATTACHMENT,
	REG_KIND_ALL,		/* reg_replace: any entry may have changed */
};

/* Called by every mutation that bumps the generation, once, after the
 * change: key names the entry (its name, dev, uuid or interface-id, as
 * stored), entry is the struct reg_<kind> as it now is, NULL when it was
 * removed (and for REG_KIND_ALL, where key is NULL too).  The pointers are
 * valid only during the call; the hook must not modify the registry. */
typedef void (*reg_change_fn)(void *ctx, enum reg_kind kind, const char *key, const void *entry);
void reg_set_change_hook(struct reg *reg, reg_change_fn fn, void *ctx);

/* Policy for libvirt's netlink requests (the lldpad-compatible front).
 * uuid is the 16-octet instance id.  0 when allowed; -EACCES with why
 * filled when refused.  Under learn, a request for an interface-id without
 * a binding records a learned binding (dev ""). */
void reg_set_policy(struct reg *reg, enum reg_policy pol);
enum reg_policy reg_get_policy(const struct reg *reg);
int reg_check_request(struct reg *reg, const char *ifname, const uint8_t mac[6], uint16_t vlan,
		      uint8_t mgrid, uint32_t typeid, uint8_t typeidver, const uint8_t uuid[16],
		      struct reg_err *why);

/* Text helpers (parse: 0 or -EINVAL). */
/* What profile p becomes on uplink u: the uplink's kind when p has that
 * identity (an 802.1Qbh uplink and a profileid), else p's type. */
enum reg_vport reg_vport_for(const struct reg_profile *p, const struct reg_uplink *u);
const char *reg_vport_name(enum reg_vport t);	/* "802.1Qbg" / "802.1Qbh" */
int reg_vport_parse(const char *s, enum reg_vport *t);	/* qbg, 802.1Qbg, qbh, 802.1Qbh */
const char *reg_mode_name(enum reg_mode m);	/* vepa / private / passthrough */
int reg_mode_parse(const char *s, enum reg_mode *m);
const char *reg_origin_name(enum reg_origin o);	/* runtime / config / learned */
int reg_origin_parse(const char *s, enum reg_origin *o);
const char *reg_policy_name(enum reg_policy p);
int reg_policy_parse(const char *s, enum reg_policy *p);
/* UUID text -> canonical lower-case text; 0 or -EINVAL. */
int reg_uuid_canon(const char *in, char out[REG_UUID_STRLEN + 1]);
int reg_uuid_parse(const char *in, uint8_t out[16]);
void reg_uuid_format(const uint8_t in[16], char out[REG_UUID_STRLEN + 1]);
int reg_mac_parse(const char *in, uint8_t out[6]);
void reg_mac_format(const uint8_t in[6], char out[18]);
/* Names: 1..63 chars of [A-Za-z0-9._:-]. */
bool reg_name_valid(const char *s);

#endif
