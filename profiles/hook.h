/* libvirt hook input -> edge-binding changes (used by `vdpctl hook`).
 *
 * libvirt runs /etc/libvirt/hooks/{network,qemu} with argv
 * "NAME OPERATION SUB-OP EXTRA" and XML on stdin (reference A.5):
 *
 *   network NET port-created begin -   <hookData><network/><networkport/></hookData>
 *           -> bind: interface-id = the port's virtualport instanceid
 *              (802.1Qbg), else the port's <uuid> (a domain can choose it
 *              with <source network=... portid=UUID/>); MAC from <mac>;
 *              uplink from <plug type='direct' dev=...>; macvtap not yet
 *              created, so no dev.
 *   network NET port-deleted begin -   -> unbind the same interface-id.
 *   qemu DOM prepare|start|reconnect|attach begin -   full domain XML
 *           -> bind every <interface type='direct'> that has a
 *              <virtualport>: interface-id = instanceid, else a user alias
 *              "ua-<uuid>"; uplink = <source dev> (a VLAN device "eth4.10"
 *              means uplink eth4); dev = <target dev> when present
 *              ("start" has it: the macvtap exists by then).
 *   qemu DOM stopped|release end -     -> unbind them.
 * Anything else yields no action.  Interfaces that carry no interface-id
 * are skipped with a note, not an error: they are not vdpd's.
 *
 * Order (A.5): port-created runs before libvirt's ASSOCIATE, and a hook
 * exiting non-zero aborts the start before any netlink message is sent:
 * a binding that cannot be made stops the VM instead of leaving it
 * unassociated. */
#ifndef VDP_HOOK_H
#define VDP_HOOK_H

#include <stddef.h>

#include "profiles/registry.h"

enum reg_hook_op {
	REG_HOOK_BIND = 1,
	REG_HOOK_UNBIND = 2,
};

struct reg_hook_action {
	enum reg_hook_op op;
	struct reg_binding b;		/* unbind: only iface_id */
	char what[96];			/* "domain vm1 interface 52:54:00:..:01" for messages */
};

struct reg_hook_result {
	struct reg_hook_action *acts;	/* malloc'd, n entries */
	size_t n;
	char notes[512];		/* skipped interfaces, one per line */
};

/* object "network" or "qemu"; argv = libvirt's four arguments (argc >= 2).
 * 0 (possibly with n = 0) or -EINVAL with err: unknown object, XML that
 * does not parse, or an interface of ours with a malformed MAC/UUID. */
int reg_hook_parse(const char *object, int argc, char *const argv[], const char *xml, size_t len,
		   struct reg_hook_result *res, struct reg_err *err);
void reg_hook_result_free(struct reg_hook_result *res);

#endif
