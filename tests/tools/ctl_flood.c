/* ctl_flood SOCKET IDLE WRITERS STATUSFILE: an unfriendly neighbour of a
 * control socket.  Opens WRITERS connections that each send one byte of a
 * frame every 4 s (the frame announces 100 bytes, so it never completes in
 * time), then IDLE connections that send nothing; keeps them open and reads
 * whatever the server says before closing any of them.  Until SIGTERM it
 * rewrites STATUSFILE (atomically, every 200 ms) with one line:
 *   opened=N open=N writers_open=N busy=N evicted=N frame_timeout=N idle=N
 *   other=N writer_closed_max_ms=N busy_text="..."
 * busy: connections answered "busy" (errno EBUSY, "busy" field) at accept;
 * evicted, frame_timeout, idle: the server's last word on a connection it
 * closed; writer_closed_max_ms: the longest a writer lived. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "vdp/ctl/ctl.h"

#define WRITE_EVERY_MS 4000

struct conn {
	int fd;
	bool writer;
	unsigned sent;
	int64_t opened_ms, next_ms;
	uint8_t buf[4096];
	size_t len;
};

static volatile sig_atomic_t stop;
static unsigned busy, evicted, frame_timeout, idle, other;
static int64_t writer_max_ms;
static char busy_text[128];

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_one(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	/* Blocking connect: waits while the listen backlog is full. */
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror("ctl_flood: connect");
		exit(1);
	}
	return fd;
}

static void classify(const uint8_t *p, size_t n)
{
	json_t *m = json_loadb((const char *)p, n, 0, NULL);
	const char *text = json_string_value(json_object_get(m, "error"));
	json_int_t e = json_integer_value(json_object_get(m, "errno"));

	if (e == EBUSY && json_is_integer(json_object_get(m, "busy"))) {
		if (!busy++)
			snprintf(busy_text, sizeof(busy_text), "%s", text ? text : "");
	} else if (text && strstr(text, "closed to make room")) {
		evicted++;
	} else if (text && strstr(text, "not complete")) {
		frame_timeout++;
	} else if (text && strstr(text, "idle for")) {
		idle++;
	} else {
		other++;
	}
	json_decref(m);
}

/* false once the server closed it. */
static bool on_readable(struct conn *c, int64_t now)
{
	ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);

	if (r > 0) {
		c->len += (size_t)r;
		while (c->len >= 4) {
			size_t n = (size_t)c->buf[0] << 24 | (size_t)c->buf[1] << 16 |
				(size_t)c->buf[2] << 8 | c->buf[3];

			if (n > sizeof(c->buf) - 4) {
				other++;
				c->len = 0;
				break;
			}
			if (c->len < 4 + n)
				break;
			classify(c->buf + 4, n);
			memmove(c->buf, c->buf + 4 + n, c->len - 4 - n);
			c->len -= 4 + n;
		}
		return true;
	}
	if (r < 0 && errno == EINTR)
		return true;
	if (c->writer && now - c->opened_ms > writer_max_ms)
		writer_max_ms = now - c->opened_ms;
	close(c->fd);
	c->fd = -1;
	return false;
}

static void write_status(const char *file, unsigned opened, struct conn *cs, unsigned n)
{
	unsigned open_n = 0, wr = 0;
	char tmp[4096];
	FILE *fp;

	for (unsigned i = 0; i < n; i++)
		if (cs[i].fd >= 0) {
			open_n++;
			wr += cs[i].writer;
		}
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	fp = fopen(tmp, "w");
	if (!fp)
		return;
	fprintf(fp,
		"opened=%u open=%u writers_open=%u busy=%u evicted=%u frame_timeout=%u idle=%u "
		"other=%u writer_closed_max_ms=%lld busy_text=\"%s\"\n",
		opened, open_n, wr, busy, evicted, frame_timeout, idle, other,
		(long long)writer_max_ms, busy_text);
	fclose(fp);
	rename(tmp, file);
}

int main(int argc, char **argv)
{
	struct rlimit rl;
	unsigned n_idle, n_wr, n, opened = 0;
	struct conn *cs;
	struct pollfd *pfd;
	static const uint8_t frame_start[4] = { 0, 0, 0, 100 };
	int64_t last_status = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: ctl_flood SOCKET IDLE WRITERS STATUSFILE\n");
		return 2;
	}
	n_idle = (unsigned)atoi(argv[2]);
	n_wr = (unsigned)atoi(argv[3]);
	n = n_idle + n_wr;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	cs = calloc(n, sizeof(*cs));
	pfd = calloc(n, sizeof(*pfd));
	for (unsigned i = 0; i < n; i++) {
		cs[i].fd = open_one(argv[1]);
		cs[i].writer = i < n_wr;
		cs[i].opened_ms = ctl_deadline(0);
		cs[i].next_ms = cs[i].opened_ms;
		opened++;
	}
	while (!stop) {
		int64_t now = ctl_deadline(0);

		for (unsigned i = 0; i < n; i++) {
			struct conn *c = &cs[i];

			if (c->fd >= 0 && c->writer && now >= c->next_ms && c->sent < 4 + 100) {
				uint8_t b = c->sent < 4 ? frame_start[c->sent] : ' ';

				if (send(c->fd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
					c->sent++;
				c->next_ms = now + WRITE_EVERY_MS;
			}
			pfd[i].fd = c->fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, 100) > 0)
			for (unsigned i = 0; i < n; i++)
				if (cs[i].fd >= 0 &&
				    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
					on_readable(&cs[i], ctl_deadline(0));
		if (now - last_status >= 200) {
			write_status(argv[4], opened, cs, n);
			last_status = now;
		}
	}
	write_status(argv[4], opened, cs, n);
	return 0;
}
