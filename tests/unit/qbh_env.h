/* The 802.1Qbh backend's test bench, shared by the test_qbh* files: a
 * fake sysfs (eth4 a dynamic enic vNIC, eth5 a static one, enp1s0 a PF
 * with 100 VFs, see make_sysfs), the kernel + enic model
 * (tests/unit/enic_model.h) behind the backend's netlink seam on a fake
 * clock (struct fx), the retry helpers, and vdpd's registry realizing
 * 802.1Qbh VSIs at the model.  Each test binary makes the sysfs in its
 * group setup (qbh_env_setup) and removes it after. */
#ifndef TESTS_UNIT_QBH_ENV_H
#define TESTS_UNIT_QBH_ENV_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "profiles/reg_ctl.h"
#include "profiles/registry.h"
#include "vdp/base/log.h"
#include "vdp/ctl/ctl.h"
#include "vdp/daemon/realize.h"
#include "vdp/daemon/vdpd.h"
#include "vdp/io/qbh.h"
#include "tests/unit/enic_model.h"
#include "tests/unit/fakeclock.h"

static const uint8_t inst[16] = { 0x09, 0xb1, 0x1c, 0x53, 0x8b, 0x5c, 0x4e, 0xeb,
				  0x8f, 0x00, 0xd8, 0x4e, 0xaa, 0x0a, 0xaa, 0x4f };
static const uint8_t host[16] = { 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xc1, 0xc2,
				  0xd1, 0xd2, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6 };

static char tmpdir[64];
static char sysdir[96];

static inline void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static inline void mkdirs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void mkdirs(const char *fmt, ...)
{
	char p[512], cmd[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
}

static inline void link_to(const char *target, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void link_to(const char *target, const char *fmt, ...)
{
	char p[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p, sizeof(p), fmt, ap);
	va_end(ap);
	assert_int_equal(symlink(target, p), 0);
}

#define N_VFS 100

static inline void vf_pci(int i, char out[16])
{
	snprintf(out, 16, "0000:02:%02x.%x", i / 8, i % 8);
}

/* sysfs as the kernel lays it out: class/net/<dev>/device -> the PCI
 * function under bus/pci/devices; a VF's physfn -> its PF, which has
 * virtfnN links and net/<pf netdev>; <function>/driver -> the driver.
 *   eth4       dynamic enic vNIC (PORT_SELF), ifindex 14
 *   eth5       static enic vNIC, ifindex 15
 *   enp1s0     enic PF with 100 VFs, ifindex 20; VFs 0..2 have netdevs
 *              enp1s0v0..2, VF 90 is bound to vfio (no netdev)
 *   macvtap0, macvtap1, macvtap9   no device
 *   veth0      no driver port ops, ifindex 30 */
static inline void make_sysfs(void)
{
	char pci[16], rel[64];

	mkdirs("%s/bus/pci/devices/0000:01:00.0/net/enp1s0", sysdir);
	link_to("../../../../bus/drivers/enic", "%s/bus/pci/devices/0000:01:00.0/driver", sysdir);
	for (int i = 0; i < N_VFS; i++) {
		vf_pci(i, pci);
		snprintf(rel, sizeof(rel), "../%s", pci);
		link_to(rel, "%s/bus/pci/devices/0000:01:00.0/virtfn%d", sysdir, i);
		mkdirs("%s/bus/pci/devices/%s", sysdir, pci);
		link_to("../0000:01:00.0", "%s/bus/pci/devices/%s/physfn", sysdir, pci);
		link_to(i == 90 ? "../../../../bus/drivers/vfio-pci"
				: "../../../../bus/drivers/enic",
			"%s/bus/pci/devices/%s/driver", sysdir, pci);
	}
	const struct {
		const char *dev, *pci;
	} nets[] = { { "eth4", "0000:05:00.0" },
		     { "eth5", "0000:06:00.0" },
		     { "enp1s0", "0000:01:00.0" },
		     { "enp1s0v0", "0000:02:00.0" },
		     { "enp1s0v1", "0000:02:00.1" },
		     { "enp1s0v2", "0000:02:00.2" },
		     { "veth0", NULL },
		     { "macvtap0", NULL },
		     { "macvtap1", NULL },
		     { "macvtap9", NULL } };
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		mkdirs("%s/class/net/%s", sysdir, nets[i].dev);
		if (!nets[i].pci)
			continue;
		mkdirs("%s/bus/pci/devices/%s", sysdir, nets[i].pci);
		snprintf(rel, sizeof(rel), "../../../bus/pci/devices/%s", nets[i].pci);
		link_to(rel, "%s/class/net/%s/device", sysdir, nets[i].dev);
		if (strncmp(nets[i].pci, "0000:0", 6) == 0 && nets[i].pci[6] >= '5')
			link_to("../../../../bus/drivers/enic", "%s/bus/pci/devices/%s/driver",
				sysdir, nets[i].pci);
	}
}

static inline void model_init(struct enic_model *em)
{
	enic_model_init(em);
	enic_model_add(em, "eth4", 14, true, 0);
	enic_model_add(em, "eth5", 15, false, 0);
	enic_model_add(em, "enp1s0", 20, false, N_VFS);
	enic_model_add(em, "veth0", 30, false, 0)->port_ops = false;
}

/* ---- the backend on a fake clock against the model */

struct fx {
	struct fakeclock fc;
	struct enic_model m;
	struct qbh *q;
	struct qbh_counters c0;
};

static inline void fx_init_retry(struct fx *f, uint64_t deadline_us, uint64_t retry_initial_us,
				 uint64_t retry_max_us)
{
	struct qbh_cfg c = { .sysfs = sysdir,
			     .deadline_us = deadline_us,
			     .has_host_uuid = true,
			     .retry_initial_us = retry_initial_us,
			     .retry_max_us = retry_max_us };

	memcpy(c.host_uuid, host, 16);
	fakeclock_init(&f->fc, 1000000);
	model_init(&f->m);
	f->q = qbh_new(fakeclock_vclock(&f->fc), &enic_model_ops, &f->m, &c);
	assert_non_null(f->q);
	f->c0 = *qbh_counters();
}

/* Retries off, as the backend starts without them. */
static inline void fx_init(struct fx *f, uint64_t deadline_us)
{
	fx_init_retry(f, deadline_us, 0, 0);
}

static inline void fx_fini(struct fx *f)
{
	qbh_free(f->q);
	assert_int_equal(f->m.open_fds, 0); /* every socket closed */
	assert_int_equal(fakeclock_armed(&f->fc), 0);
	fakeclock_destroy(&f->fc);
	enic_model_fini(&f->m);
}

#define DELTA(f, field) (qbh_counters()->field - (f)->c0.field)

static inline int assoc(struct fx *f, const char *key, const char *dev, const char *uplink,
			const char *profile)
{
	struct qbh_vsi v = { .key = key, .dev = dev, .uplink = uplink, .profile = profile };
	memcpy(v.instance, inst, 16);
	v.instance[15] = (uint8_t)key[strlen(key) - 1];
	return qbh_associate(f->q, &v);
}

/* The n-th retry is due within [d/2, d] of the failure, d = min(max,
 * initial x 2^(n-1)): nothing is sent before retry_at_us, the SETLINK at
 * it. */
static inline void expect_retry(struct fx *f, const char *key, uint64_t d, unsigned n)
{
	const struct qbh_result *r = qbh_last(key);
	uint64_t now = f->fc.now, at = r->retry_at_us;
	unsigned sent = f->m.setlinks;

	assert_int_equal(r->state, QBH_ST_FAILED);
	assert_int_equal(r->retry, QBH_RETRY_WAITING);
	assert_int_equal(r->retries, n - 1);
	assert_in_range(at - now, d / 2, d);
	assert_int_equal(qbh_retry_in_ms(key), (int64_t)((at - now) / 1000));
	fakeclock_advance(&f->fc, at - now - 1);
	assert_int_equal(f->m.setlinks, sent);
	fakeclock_advance(&f->fc, 1);
	assert_int_equal(f->m.setlinks, sent + 1);
	assert_int_equal(qbh_last(key)->retries, n);
}

/* An association with retries on that the adapter leaves INPROGRESS past
 * the deadline: its result, once the take-back DISASSOCIATE is sent. */
static inline const struct qbh_result *time_out(struct fx *f, const char *key, const char *dev,
						const char *uplink)
{
	fx_init_retry(f, 0, 1000000, 0);
	f->m.never_done = true;
	assert_int_equal(assoc(f, key, dev, uplink, "finance"), 0);
	fakeclock_advance(&f->fc, QBH_DEADLINE_US);
	assert_int_equal(qbh_last(key)->error, -ETIMEDOUT);
	assert_int_equal(f->m.setlinks, 2); /* the take-back DISASSOCIATE */
	return qbh_last(key);
}

static inline struct vdpd *start_vdpd_retry(struct fakeclock *fc, struct enic_model *em,
					    const char *conf_text, uint32_t retry_initial_ms)
{
	char conf[128], path[256];
	struct vdpd *d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/class/dmi/id", sysdir);
	mkdirs("%s", path);
	snprintf(path, sizeof(path), "%s/class/dmi/id/product_uuid", sysdir);
	put_file(path, "A1A2A3A4-B1B2-C1C2-D1D2-E1E2E3E4E5E6\n");
	log_init("test_qbh", LOG_TO_STDERR, getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	snprintf(conf, sizeof(conf), "%s/vdpd.conf", tmpdir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs(conf_text, f);
	fclose(f);
	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	d->opts.config = strdup(conf);
	d->opts.state_file = NULL; /* not persisted */
	d->opts.qbh_ops = &enic_model_ops;
	d->opts.qbh_ctx = em;
	d->opts.sysfs = sysdir;
	d->clock = fakeclock_vclock(fc);
	d->cfg.qbh.retry_initial_ms = retry_initial_ms;
	d->cfg.retry_max_ms = 60000;
	assert_int_equal(realize_start(d), 0);
	return d;
}

static inline struct vdpd *start_vdpd(struct fakeclock *fc, struct enic_model *em,
				      const char *conf_text)
{
	return start_vdpd_retry(fc, em, conf_text, 0);
}

static inline void stop_vdpd(struct vdpd *d)
{
	realize_stop(d);
	free((char *)d->opts.config);
	free(d);
}

static inline json_t *resolve_qbh(struct vdpd *d, const char *id)
{
	struct ctl_error cerr;
	json_t *args = json_pack("{s:s}", "iface_id", id);
	json_t *j = reg_ctl_resolve(&d->reg, args, &cerr);
	json_t *q;

	json_decref(args);
	assert_non_null(j);
	q = json_incref(json_object_get(j, "qbh"));
	json_decref(j);
	assert_non_null(q);
	return q;
}

static inline int qbh_env_setup(void **state)
{
	(void)state;
	log_set_level(getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_CRIT);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_qbh.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(sysdir, sizeof(sysdir), "%s/sys", tmpdir);
	make_sysfs();
	return 0;
}

static inline int qbh_env_teardown(void **state)
{
	(void)state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
