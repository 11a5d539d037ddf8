/* libFuzzer target for the 802.1Qbh backend's reply path (vdp/io/qbh.c):
 * whatever the kernel answers (acks, status replies with any port
 * entries), a session must end or keep polling without reading out of
 * bounds, leaking, or leaving a socket open.  The input is the kernel's
 * side: datagrams of <u16 length><bytes>, each stamped with the sequence
 * number of the last request so that the session takes it as its answer.
 * The first octet picks PORT_SELF or a VF, and a migration.  A fake sysfs
 * (made once, under /tmp) gives the backend its ports. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vdp/base/vclock.h"
#include "vdp/io/qbh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* ---- a clock whose timers fire only when the loop below says so */
struct vtimer {
	vtimer_cb cb;
	void *arg;
	uint64_t at;
	bool armed;
};
static uint64_t now_us;

static uint64_t c_now(struct vclock *c)
{
	(void)c;
	return now_us;
}

static struct vtimer *c_new(struct vclock *c, vtimer_cb cb, void *arg)
{
	(void)c;
	struct vtimer *t = calloc(1, sizeof(*t));
	if (t) {
		t->cb = cb;
		t->arg = arg;
	}
	return t;
}

#define MAX_TIMERS 16
static struct vtimer *timers[MAX_TIMERS];

static void c_arm(struct vclock *c, struct vtimer *t, uint64_t d)
{
	(void)c;
	t->at = now_us + d;
	t->armed = true;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i] == t)
			return;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (!timers[i]) {
			timers[i] = t;
			return;
		}
	abort(); /* more live timers than sessions could have */
}

static void c_cancel(struct vclock *c, struct vtimer *t)
{
	(void)c;
	t->armed = false;
}

static void c_free(struct vclock *c, struct vtimer *t)
{
	(void)c;
	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i] == t)
			timers[i] = NULL;
	free(t);
}

static bool c_pending(struct vclock *c, const struct vtimer *t)
{
	(void)c;
	return t->armed;
}

static const struct vclock_ops clock_ops = { c_now, c_new, c_arm, c_cancel, c_free, c_pending };
static struct vclock clk = { &clock_ops, NULL };

static bool fire_next(void)
{
	struct vtimer *best = NULL;

	for (int i = 0; i < MAX_TIMERS; i++)
		if (timers[i] && timers[i]->armed && (!best || timers[i]->at < best->at))
			best = timers[i];
	if (!best)
		return false;
	now_us = best->at;
	best->armed = false;
	best->cb(best->arg);
	return true;
}

/* ---- the kernel: the fuzz input */
static const uint8_t *in;
static size_t in_len;
static uint32_t last_seq;
static int open_fds;

static int k_open(void *ctx)
{
	(void)ctx;
	open_fds++;
	return 7;
}

static int k_send(void *ctx, int fd, const void *msg, size_t len)
{
	(void)ctx;
	(void)fd;
	if (len < 16)
		abort(); /* the backend builds whole messages */
	memcpy(&last_seq, (const uint8_t *)msg + 8, 4);
	return 0;
}

static ssize_t k_recv(void *ctx, int fd, uint8_t **buf, size_t *cap)
{
	(void)ctx;
	(void)fd;
	if (in_len < 2)
		return -EAGAIN;
	size_t n = (size_t)in[0] | (size_t)in[1] << 8;
	in += 2;
	in_len -= 2;
	if (n > in_len)
		n = in_len;
	uint8_t *b = realloc(*buf, n ? n : 1);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = n ? n : 1;
	memcpy(b, in, n);
	if (n >= 12)
		memcpy(b + 8, &last_seq, 4);
	in += n;
	in_len -= n;
	return (ssize_t)n;
}

static void k_close(void *ctx, int fd)
{
	(void)ctx;
	(void)fd;
	open_fds--;
}

static int k_ifindex(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] == 'p' ? 20 : 14;
}

static const struct qbh_nl_ops ops = { k_open, k_send, k_recv, k_close, k_ifindex };

static char sysdir[64];

static void mk(const char *fmt, const char *arg)
{
	char p[256];
	snprintf(p, sizeof(p), fmt, sysdir, arg);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	if (system(cmd) != 0)
		abort();
}

static void ln(const char *target, const char *fmt, const char *arg)
{
	char p[256];
	snprintf(p, sizeof(p), fmt, sysdir, arg);
	if (symlink(target, p) < 0 && errno != EEXIST)
		abort();
}

static void remove_sysdir(void)
{
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysdir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_qbh: %s not removed\n", sysdir);
}

/* eth4: a PORT_SELF port; vf2: VF 2 of pf0 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(sysdir, sizeof(sysdir), "/tmp/fuzz_qbh.%d", (int)getpid());
	atexit(remove_sysdir);
	mk("%s/class/net/%s", "eth4");
	mk("%s/class/net/%s", "pf0");
	mk("%s/class/net/%s", "vf2");
	mk("%s/bus/pci/devices/%s/net/pf0", "0000:00:01.0");
	mk("%s/bus/pci/devices/%s", "0000:00:02.0");
	mk("%s/bus/pci/devices/%s", "0000:00:02.1");
	mk("%s/bus/pci/devices/%s", "0000:00:02.2");
	ln("../0000:00:02.0", "%s/bus/pci/devices/0000:00:01.0/%s", "virtfn0");
	ln("../0000:00:02.1", "%s/bus/pci/devices/0000:00:01.0/%s", "virtfn1");
	ln("../0000:00:02.2", "%s/bus/pci/devices/0000:00:01.0/%s", "virtfn2");
	ln("../0000:00:01.0", "%s/bus/pci/devices/0000:00:02.2/%s", "physfn");
	ln("../../../bus/pci/devices/0000:00:02.2", "%s/class/net/vf2/%s", "device");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qbh_cfg cfg = { .sysfs = sysdir, .poll_us = 1000, .deadline_us = 20000 };
	struct qbh_vsi v = { .key = "k", .uplink = "eth4", .profile = "finance" };
	struct qbh *q;

	if (size < 1)
		return 0;
	v.dev = data[0] & 1 ? "vf2" : "";
	v.migrate = data[0] & 2;
	in = data + 1;
	in_len = size - 1;
	now_us = 0;
	q = qbh_new(&clk, &ops, NULL, &cfg);
	if (!q)
		return 0;
	qbh_associate(q, &v);
	for (int i = 0; i < 64 && fire_next(); i++)
		;
	const struct qbh_result *r = qbh_last("k");
	if (!r || (r->state == QBH_ST_DONE && r->error))
		abort(); /* a result is always there; done means no error */
	if (data[0] & 4) {
		qbh_disassociate(q, "k");
		for (int i = 0; i < 64 && fire_next(); i++)
			;
	}
	qbh_free(q);
	if (open_fds != 0)
		abort(); /* every socket closed */
	return 0;
}
