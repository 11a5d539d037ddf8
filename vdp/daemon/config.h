/* vdpd.conf (libconfig syntax): global options and the uplinks vdpd runs
 * the station role on.  See docs/man/vdpd.conf.5.
 *
 *	global: { log_level = "info"; mgrid = "0"; resp_wait_max_ms = 8000;
 *		  intents_file = "/var/lib/vdpd/vsis.json"; };
 *	uplinks = (
 *		{ name = "eth0"; mgrid = "blabla";
 *		  evb = { r = 3; rte = 8; rwd = 20; rka = 20; rrreq = true; gid = false; };
 *		  lldp = { tx_interval = 30; tx_hold = 4; }; }
 *	);
 *
 * Loading parses and validates everything before anything is returned, so
 * a reload (SIGHUP) with a broken file changes nothing.  Errors read
 * "FILE:LINE: what is wrong".  Top-level groups owned by other modules
 * (the port-profile registry) are left to them. */
#ifndef VDP_CONFIG_H
#define VDP_CONFIG_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lldp/evb.h"
#include "vdp/wire/vdp_tlv.h"

#define CFG_DEFAULT_PATH "/etc/vdpd/vdpd.conf"

struct cfg_uplink {
	char name[IF_NAMESIZE];
	struct evb_config evb;		/* role is always EVB_MODE_STATION */
	uint32_t tx_interval;		/* LLDP msgTxInterval, s */
	uint32_t tx_hold;		/* LLDP msgTxHold */
	uint8_t mgrid[VDP_MGRID_LEN];	/* default manager ID for requests on this uplink */
	int line;			/* where it was defined */
};

/* qbh = { timeout_ms; poll_ms; host_uuid; instance_uuid; retry_initial_ms; }:
 * the 802.1Qbh backend (vdp/io/qbh.h), read at start (retry_initial_ms
 * also on reload). */
enum cfg_qbh_host {
	CFG_QBH_HOST_SMBIOS = 0, /* /sys/class/dmi/id/product_uuid, as libvirt */
	CFG_QBH_HOST_NONE, /* leave IFLA_PORT_HOST_UUID out */
	CFG_QBH_HOST_GIVEN, /* host_uuid = "<uuid>" */
};

struct cfg_qbh {
	uint32_t timeout_ms; /* 0: 10000, libvirt's 80 polls of 125 ms */
	uint32_t poll_ms; /* 0: 125 */
	enum cfg_qbh_host host_from;
	uint8_t host_uuid[16];
	bool instance_is_iface_id; /* instance_uuid = "interface-id"; default "domain" */
	uint32_t retry_initial_ms; /* first retry of a transient failure; 0 = none;
				    * default 1000; the cap is retry_max_ms */
};

struct vdpd_config {
	int log_level;			/* LOG_*; -1 when not set in the file */
	int log_target; /* enum log_target; LOG_TO_AUTO when not set */
	uint32_t resp_wait_max_ms;	/* cap of VDP's response wait; 0 = none */
	uint32_t keepalive_spread_pct; /* keep-alives up to this % sooner, per VSI; 0 = off */
	uint32_t retry_initial_ms; /* reconciler: first retry delay; 0 = one ECP
					 * exchange, (R+1) x ackTimer */
	uint32_t retry_max_ms; /* reconciler: cap of the backoff */
	uint8_t mgrid[VDP_MGRID_LEN];	/* global default manager ID */
	bool intents_file_set;		/* global.intents_file given ("" = keep none) */
	char intents_file[256];		/* read at start only (vdpd -i overrides) */
	char user[64]; /* global.user: run as this user ("" = stay) */
	struct cfg_qbh qbh;
	size_t n_uplinks;
	struct cfg_uplink *uplinks;
};

/* Defaults for everything (no uplinks). */
void cfg_init(struct vdpd_config *cfg);
/* 0, or -1 with err filled ("FILE:LINE: ...").  On error cfg is left
 * initialised and empty; on success the caller owns it (cfg_free). */
int cfg_load_file(const char *path, struct vdpd_config *cfg, char *err, size_t errlen);
int cfg_load_string(const char *text, const char *name, struct vdpd_config *cfg,
		    char *err, size_t errlen);
void cfg_free(struct vdpd_config *cfg);

const struct cfg_uplink *cfg_find_uplink(const struct vdpd_config *cfg, const char *name);
/* True when the per-uplink settings differ in a way the running uplink
 * must see (EVB, LLDP, mgrid). */
bool cfg_uplink_changed(const struct cfg_uplink *a, const struct cfg_uplink *b);

#endif
