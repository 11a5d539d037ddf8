/* vdp-nlclient: talks to a VDP daemon (vdpd or lldpad) exactly as libvirt
 * 9.0 does for an <interface type='direct'> with an 802.1Qbg virtualport:
 * byte-identical requests (vdp/wire/nl_libvirt.c), a fresh netlink socket per
 * request, nlmsg_pid = the port of a separate long-lived "event" socket,
 * status polled immediately and then every 125 ms, at most 80 times, and
 * the lldpad callback: on an unsolicited DISASSOCIATE for our MAC it
 * re-sends the ASSOCIATE (setlink only).  It prints what libvirt would
 * report.  Exit: 0 success, 1 failure, 2 timed out, 3 usage/system error. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vdp/wire/nl_libvirt.h"
#include "vdp/wire/nl_parse.h"

#define RCVBUF_LIBVIRT 131702	/* virNetlinkCreateSocket */
#define BUF 262144

static const char *pidfile = "/var/run/lldpad.pid";
static long dst_override;
static int verbose;
static int ack_wait_ms = NLV_ACK_TIMEOUT_MS;
static int hang_ms = 10000;	/* libvirt would block forever after the 2 s */
static uint8_t rxbuf[BUF];

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void hexdump(const char *what, const uint8_t *b, size_t n)
{
	printf("%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i % 16 ? " " : "\n  ", b[i]);
	printf("\n");
}

static int nl_socket(uint32_t *port, int rcvbuf, bool force)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, force ? SO_RCVBUFFORCE : SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 && force)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		close(fd);
		return -1;
	}
	if (port)
		*port = sa.nl_pid;
	return fd;
}

/* The destination: libvirt re-reads the pid file for every message. */
static long lldpad_pid(char *err, size_t errlen)
{
	if (dst_override)
		return dst_override;
	long p = nlv_read_pidfile(pidfile);
	if (p < 0)
		snprintf(err, errlen, "Error opening file %s: %s", pidfile, strerror((int)-p));
	return p;
}

static int send_to(int fd, uint32_t dst, const void *b, size_t n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = dst };
	return sendto(fd, b, n, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
}

/* virNetlinkCommand: poll 2 s, then (libvirt: blocking) receive. */
static ssize_t recv_reply(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, wait_ms);
	if (r == 0) {
		fprintf(stderr, "warning: no valid netlink response was received: Connection timed out\n");
		r = poll(&p, 1, hang_ms);
		if (r == 0)
			return -ETIMEDOUT;
	}
	if (r < 0)
		return -errno;
	ssize_t n = recv(fd, rxbuf, sizeof(rxbuf), 0);
	return n < 0 ? -errno : n;
}

/* One request/answer exchange on a fresh socket.  Returns the length of
 * the first datagram, or -errno with text set. */
static ssize_t transact(const uint8_t *msg, size_t len, char *text, size_t tl, const char *what)
{
	long dst = lldpad_pid(text, tl);
	if (dst < 0)
		return dst;
	int fd = nl_socket(NULL, RCVBUF_LIBVIRT, false);
	if (fd < 0) {
		snprintf(text, tl, "cannot create netlink socket: %s", strerror(errno));
		return -errno;
	}
	if (verbose > 1)
		hexdump(what, msg, len);
	int r = send_to(fd, (uint32_t)dst, msg, len);
	if (r < 0) {
		snprintf(text, tl, "cannot send to netlink socket: %s", strerror(-r));
		close(fd);
		return r;
	}
	ssize_t n = recv_reply(fd, ack_wait_ms);
	if (n < 0)
		snprintf(text, tl, "no netlink response: %s", strerror((int)-n));
	else if (verbose > 1)
		hexdump("reply", rxbuf, (size_t)n);
	close(fd);
	return n;
}

static int do_setlink(struct nlv_op *op, char *text, size_t tl)
{
	uint8_t msg[512];
	struct wbuf w;
	wbuf_init(&w, msg, sizeof(msg));
	if (nlv_build_setlink(&w, op) < 0) {
		snprintf(text, tl, "message too large");
		return -1;
	}
	uint64_t t0 = now_ms();
	ssize_t n = transact(msg, w.len, text, tl, "setlink");
	if (n < 0)
		return -1;
	enum nlv_result r = nlv_eval_ack(rxbuf, (size_t)n, op->ifindex, text, tl);
	if (verbose)
		printf("setlink answered in %llu ms: %s\n", (unsigned long long)(now_ms() - t0), text);
	return r == NLV_OK ? 0 : -1;
}

/* virNetDevVPortProfileOpCommon's polling loop. */
static int do_poll(struct nlv_op *op, char *text, size_t tl)
{
	uint8_t msg[64];
	struct wbuf w;
	uint64_t t0 = now_ms();

	for (unsigned i = 0; i < NLV_POLL_MAX; i++) {
		wbuf_init(&w, msg, sizeof(msg));
		nlv_build_getlink(&w, op);
		ssize_t n = transact(msg, w.len, text, tl, "getlink");
		if (n < 0)
			return 1;
		uint16_t resp;
		enum nlv_result r = nlv_eval_status(rxbuf, (size_t)n, op, &resp, text, tl);
		if (verbose)
			printf("poll %u at +%llu ms: %s\n", i + 1, (unsigned long long)(now_ms() - t0), text);
		if (r == NLV_OK) {
			printf("status: ok after %u polls, %llu ms\n", i + 1,
			       (unsigned long long)(now_ms() - t0));
			return 0;
		}
		if (r == NLV_FAILED)
			return 1;
		usleep(NLV_POLL_INTERVAL_US);
	}
	snprintf(text, tl, "port-profile setlink timed out");
	return 2;
}

static int run_op(struct nlv_op *op, bool setlink_only)
{
	char text[256];
	if (do_setlink(op, text, sizeof(text)) < 0) {
		printf("RESULT error: %s\nRESULT error: sending of PortProfileRequest failed.\n", text);
		return 1;
	}
	if (setlink_only) {
		printf("RESULT ok (setlink only)\n");
		return 0;
	}
	int r = do_poll(op, text, sizeof(text));
	if (r == 0)
		printf("RESULT ok\n");
	else
		printf("RESULT %s: %s\n", r == 2 ? "timeout" : "error", text);
	fflush(stdout);
	return r;
}

static void bump(uint8_t *b, size_t n, uint32_t k)
{
	/* adds k to the big-endian number in the last bytes */
	for (size_t i = n; i-- > 0 && k;) {
		uint32_t s = b[i] + (k & 0xff);
		b[i] = (uint8_t)s;
		k = (k >> 8) + (s >> 8);
	}
}

/* N requests pipelined (window of fresh sockets), each answered. */
static int run_many(struct nlv_op *base, unsigned count, unsigned window)
{
	char text[256];
	long dst = lldpad_pid(text, sizeof(text));
	if (dst < 0) {
		printf("RESULT error: %s\n", text);
		return 1;
	}
	struct pollfd *pf = calloc(window, sizeof(*pf));
	unsigned sent = 0, done = 0, ok = 0, bad = 0, open = 0;
	uint64_t t0 = now_ms();
	if (!pf)
		return 3;
	for (unsigned i = 0; i < window; i++)
		pf[i].fd = -1;
	while (done < count) {
		for (unsigned i = 0; i < window && sent < count; i++) {
			if (pf[i].fd >= 0)
				continue;
			struct nlv_op op = *base;
			bump(op.instance, 16, sent);
			bump(op.mac + 3, 3, sent);
			uint8_t msg[512];
			struct wbuf w;
			wbuf_init(&w, msg, sizeof(msg));
			nlv_build_setlink(&w, &op);
			pf[i].fd = nl_socket(NULL, RCVBUF_LIBVIRT, false);
			pf[i].events = POLLIN;
			if (pf[i].fd < 0 || send_to(pf[i].fd, (uint32_t)dst, msg, w.len) < 0) {
				if (pf[i].fd >= 0)
					close(pf[i].fd);
				pf[i].fd = -1;
				bad++;
				done++;
			} else {
				open++;
			}
			sent++;
		}
		if (!open)
			continue;
		int r = poll(pf, window, hang_ms);
		if (r <= 0) {
			printf("RESULT error: %u answers missing after %d ms\n", open, hang_ms);
			return 1;
		}
		for (unsigned i = 0; i < window; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & POLLIN))
				continue;
			ssize_t n = recv(pf[i].fd, rxbuf, sizeof(rxbuf), 0);
			if (n > 0 && nlv_eval_ack(rxbuf, (size_t)n, base->ifindex, text, sizeof(text)) == NLV_OK)
				ok++;
			else
				bad++;
			close(pf[i].fd);
			pf[i].fd = -1;
			open--;
			done++;
		}
	}
	free(pf);
	printf("many: %u requests, %u acked ok, %u refused, %llu ms\n", count, ok, bad,
	       (unsigned long long)(now_ms() - t0));
	printf("RESULT %s\n", bad ? "error" : "ok");
	return bad ? 1 : 0;
}

/* A whole status dump, every part until NLMSG_DONE. */
static int dump_once(struct nlv_op *op, unsigned *entries, unsigned *ok, unsigned *inprog,
		     unsigned *failed, unsigned *parts, unsigned *first_part, bool *found_ok,
		     unsigned *pos)
{
	char text[256];
	static struct nlp_port ports[8192];
	long dst = lldpad_pid(text, sizeof(text));
	if (dst < 0) {
		fprintf(stderr, "%s\n", text);
		return -1;
	}
	int fd = nl_socket(NULL, 8 << 20, true);
	uint8_t msg[64];
	struct wbuf w;
	wbuf_init(&w, msg, sizeof(msg));
	nlv_build_getlink(&w, op);
	if (fd < 0 || send_to(fd, (uint32_t)dst, msg, w.len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*entries = *ok = *inprog = *failed = *parts = *first_part = *pos = 0;
	*found_ok = false;
	for (;;) {
		ssize_t n = recv_reply(fd, 2000);
		if (n < 0)
			break;
		/* a datagram may hold several messages */
		size_t off = 0;
		bool end = false;
		while (off + 16 <= (size_t)n) {
			uint32_t ml;
			memcpy(&ml, rxbuf + off, 4);
			if (ml < 16 || off + ml > (size_t)n)
				break;
			struct nlp_status_reply r = { .ports = ports, .cap = 8192 };
			if (nlp_parse_reply(rxbuf + off, ml, &r) < 0) {
				end = true;
				break;
			}
			if (r.type == NLMSG_DONE && !r.has_vf_ports) {
				end = true;
				break;
			}
			if (*parts == 0)
				*first_part = (unsigned)r.n;
			(*parts)++;
			for (size_t i = 0; i < r.n_kept; i++) {
				(*entries)++;
				/* where -u's UUID is in the dump (1 = first) */
				if (!*pos && !memcmp(ports[i].uuid, op->instance, 16))
					*pos = *entries;
				if (!ports[i].has_response || ports[i].response == 0x101)
					(*inprog)++;
				else if (ports[i].response == 0 || ports[i].response == 0x100)
					(*ok)++;
				else
					(*failed)++;
				if (!memcmp(ports[i].uuid, op->instance, 16) && ports[i].has_response &&
				    ports[i].response == 0)
					*found_ok = true;
			}
			if (!(r.flags & NLM_F_MULTI) || r.type == NLMSG_ERROR) {
				end = true;
				break;
			}
			off += (ml + 3u) & ~3u;
		}
		if (end)
			break;
	}
	close(fd);
	return 0;
}

static int run_dump(struct nlv_op *op, unsigned expect_ok, int timeout_ms)
{
	unsigned e, ok, ip, f, parts, first, pos;
	bool found;
	uint64_t t0 = now_ms();
	do {
		if (dump_once(op, &e, &ok, &ip, &f, &parts, &first, &found, &pos) < 0) {
			printf("RESULT error: dump failed\n");
			return 1;
		}
		if (!expect_ok || ok >= expect_ok)
			break;
		usleep(250000);
	} while ((int)(now_ms() - t0) < timeout_ms);
	printf("dump: entries=%u ok=%u in_progress=%u failed=%u parts=%u first_part=%u uuid_ok=%d "
	       "uuid_pos=%u\n",
	       e, ok, ip, f, parts, first, found, pos);
	if (expect_ok && ok < expect_ok) {
		printf("RESULT timeout: %u of %u ok\n", ok, expect_ok);
		return 2;
	}
	printf("RESULT ok\n");
	return 0;
}

/* The lldpad callback: wait on the event socket. */
static int run_listen(int evfd, struct nlv_op *op, int secs, unsigned want)
{
	uint64_t end = now_ms() + (uint64_t)secs * 1000;
	unsigned reassoc = 0;
	char text[256];

	printf("listening on port %u\n", op->event_port);
	fflush(stdout);
	while (now_ms() < end && (!want || reassoc < want)) {
		struct pollfd p = { .fd = evfd, .events = POLLIN };
		int r = poll(&p, 1, (int)(end - now_ms()));
		if (r <= 0)
			continue;
		ssize_t n = recv(evfd, rxbuf, sizeof(rxbuf), 0);
		if (n <= 0)
			continue;
		struct nlp_msg m;
		int pr = nlp_parse(rxbuf, (size_t)n, &m);
		char u[37] = "-";
		if (pr == 0 && m.n_ports)
			nlp_uuid_format(m.port.uuid, u);
		long lp = nlv_read_pidfile(pidfile);
		bool act = lp > 0 && nlv_callback_wants_reassoc(rxbuf, (size_t)n, (uint32_t)lp, op->mac);
		printf("unsolicited: %zd bytes type=%u pid=%u ifindex=%d request=%d uuid=%s parse=%s -> %s\n",
		       n, m.type, m.pid, m.ifindex, m.n_ports && m.port.has_request ? m.port.request : -1,
		       u, nlp_strerror(pr), act ? "re-associate" : "ignored");
		if (verbose > 1)
			hexdump("unsolicited", rxbuf, (size_t)n);
		if (!act)
			continue;
		struct nlv_op a = *op;
		a.request = NLP_REQ_ASSOCIATE;
		int rc = do_setlink(&a, text, sizeof(text));
		printf("reassociate: %s\n", rc == 0 ? "ok" : text);
		fflush(stdout);
		if (rc == 0)
			reassoc++;
	}
	printf("listen: %u re-associations\n", reassoc);
	return 0;
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
"usage: vdp-nlclient [options] COMMAND\n"
"commands: associate | disassociate | preassociate | preassociate-rr | status | dump | listen\n"
"  -i, --ifname IF          root device (its ifindex is looked up here)\n"
"  -x, --ifindex N          ifindex to send instead of looking it up\n"
"  -m, --mac MAC            guest MAC\n"
"  -V, --vlan N             VLAN id (default 0)\n"
"  -M, --managerid N        -T, --typeid N   -v, --typeidversion N\n"
"  -u, --instanceid UUID\n"
"  -p, --pidfile PATH       default /var/run/lldpad.pid;  -d, --dst-pid N\n"
"  -s, --setlink-only       no status polling (libvirt's re-association)\n"
"  -n, --count N            send N requests (UUID and MAC incremented), pipelined\n"
"  -w, --window N           requests in flight with --count (default 64)\n"
"  -e, --expect-ok N        dump: repeat until N entries report success\n"
"  -t, --timeout S          dump/listen: give up after S seconds\n"
"  -l, --listen S           after the command, act as libvirt's callback for S seconds\n"
"  -r, --reassoc N          listen: stop after N re-associations\n"
"  -a, --ack-wait MS        wait for the SETLINK answer (default 2000, then 10 s more)\n"
"  -b, --bytes              print the bytes sent (-bb also received)\n");
	exit(3);
}

/* What the command line asks for. */
struct nlc_opts {
	struct nlv_op op;
	bool setlink_only, have_uuid;
	unsigned count, window, expect_ok, want_reassoc;
	int timeout, listen_s;
	const char *ifname, *cmd;
};

static void parse_opts(int argc, char **argv, struct nlc_opts *o)
{
	static const struct option lo[] = {
		{ "ifname", 1, 0, 'i' }, { "ifindex", 1, 0, 'x' }, { "mac", 1, 0, 'm' },
		{ "vlan", 1, 0, 'V' }, { "managerid", 1, 0, 'M' }, { "typeid", 1, 0, 'T' },
		{ "typeidversion", 1, 0, 'v' }, { "instanceid", 1, 0, 'u' },
		{ "pidfile", 1, 0, 'p' }, { "dst-pid", 1, 0, 'd' }, { "setlink-only", 0, 0, 's' },
		{ "count", 1, 0, 'n' }, { "window", 1, 0, 'w' }, { "expect-ok", 1, 0, 'e' },
		{ "timeout", 1, 0, 't' }, { "listen", 1, 0, 'l' }, { "reassoc", 1, 0, 'r' },
		{ "ack-wait", 1, 0, 'a' }, { "bytes", 0, 0, 'b' }, { "verbose", 0, 0, 'D' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "i:x:m:V:M:T:v:u:p:d:sn:w:e:t:l:r:a:bD", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'x':
			o->op.ifindex = atoi(optarg);
			break;
		case 'm':
			if (parse_mac(optarg, o->op.mac) < 0)
				usage();
			break;
		case 'V':
			o->op.vlan = (uint16_t)atoi(optarg);
			break;
		case 'M':
			o->op.mgr_id = (uint8_t)strtoul(optarg, NULL, 0);
			break;
		case 'T':
			o->op.type_id = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'v':
			o->op.type_version = (uint8_t)strtoul(optarg, NULL, 0);
			break;
		case 'u':
			if (!nlp_uuid_parse(optarg, o->op.instance))
				usage();
			o->have_uuid = true;
			break;
		case 'p': pidfile = optarg; break;
		case 'd': dst_override = atol(optarg); break;
		case 's':
			o->setlink_only = true;
			break;
		case 'n':
			o->count = (unsigned)atoi(optarg);
			break;
		case 'w':
			o->window = (unsigned)atoi(optarg);
			break;
		case 'e':
			o->expect_ok = (unsigned)atoi(optarg);
			break;
		case 't':
			o->timeout = atoi(optarg);
			break;
		case 'l':
			o->listen_s = atoi(optarg);
			break;
		case 'r':
			o->want_reassoc = (unsigned)atoi(optarg);
			break;
		case 'a': ack_wait_ms = atoi(optarg); break;
		case 'b': verbose++; verbose++; break;
		case 'D': verbose++; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || o->window == 0)
		usage();
	o->cmd = argv[optind];
}

/* associate | disassociate | preassociate | preassociate-rr, as libvirt sends them. */
static int run_request(struct nlc_opts *o)
{
	if (!strcmp(o->cmd, "associate"))
		o->op.request = NLP_REQ_ASSOCIATE;
	else if (!strcmp(o->cmd, "disassociate"))
		o->op.request = NLP_REQ_DISASSOCIATE;
	else if (!strcmp(o->cmd, "preassociate"))
		o->op.request = NLP_REQ_PREASSOCIATE;
	else if (!strcmp(o->cmd, "preassociate-rr"))
		o->op.request = NLP_REQ_PREASSOCIATE_RR;
	else
		usage();
	if (!o->have_uuid || !o->ifname)
		usage();
	return o->count ? run_many(&o->op, o->count, o->window) : run_op(&o->op, o->setlink_only);
}

int main(int argc, char **argv)
{
	struct nlc_opts o = { .window = 64, .timeout = 10 };
	int evfd, rc;

	memcpy(o.op.mac, "\x52\x54\x00\x00\x00\x01", 6);
	parse_opts(argc, argv, &o);
	o.op.ifname = o.ifname;
	if (o.ifname && !o.op.ifindex)
		o.op.ifindex = (int32_t)if_nametoindex(o.ifname);
	if (o.ifname && !o.op.ifindex) {
		fprintf(stderr, "no interface %s\n", o.ifname);
		return 3;
	}
	o.op.seq = (uint32_t)time(NULL);
	/* libvirt's event service socket: long-lived, its port is nlmsg_pid */
	evfd = nl_socket(&o.op.event_port, RCVBUF_LIBVIRT, false);
	if (evfd < 0) {
		perror("netlink socket");
		return 3;
	}
	if (verbose)
		printf("event port %u\n", o.op.event_port);
	if (!strcmp(o.cmd, "status") || !strcmp(o.cmd, "dump")) {
		rc = run_dump(&o.op, o.expect_ok, o.timeout * 1000);
	} else if (!strcmp(o.cmd, "listen")) {
		rc = run_listen(evfd, &o.op, o.listen_s ? o.listen_s : o.timeout, o.want_reassoc);
		o.listen_s = 0;
	} else {
		rc = run_request(&o);
	}
	if (o.listen_s)
		run_listen(evfd, &o.op, o.listen_s, o.want_reassoc);
	close(evfd);
	return rc;
}
