/* vdpd's process life: options, the pid file, detaching, signals and
 * systemd notification (see process.h).  What runs inside the process is
 * wired in vdpd.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "profiles/registry.h"
#include "vdp/base/log.h"
#include "vdp/store/lock.h"
#include "vdp/daemon/paths.h"
#include "vdp/daemon/privs.h"
#include "vdp/daemon/process.h"
#include "vdp/daemon/realize.h"
#include "vdp/daemon/vdpd.h"
#include "vdp/nlfront/nl_front.h"

#ifndef VDP_VERSION
#define VDP_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vdpd [OPTIONS]\n"
		"IEEE 802.1Qbg VDP station daemon.\n"
		"\n"
		"  -f, --config FILE      configuration (default " CFG_DEFAULT_PATH ")\n"
		"  -s, --socket PATH      control socket (default " VDPD_DEFAULT_SOCKET ")\n"
		"  -p, --pidfile PATH     pid file (default " VDPD_DEFAULT_PIDFILE
		"; \"\" for none)\n"
		"  -S, --state FILE       registry state (default from vdpd.conf, else "
		"/var/lib/vdpd/registry.json)\n"
		"  -i, --intents FILE     keep the requested VSIs (vdpctl, libvirt) in FILE "
		"across\n"
		"                         restarts (default global.intents_file, else\n"
		"                         " VDPD_DEFAULT_INTENTS "; \"\" for none)\n"
		"  -F, --foreground       do not detach; log to stderr\n"
		"  -d, --debug[=LEVEL]    log level: error, warning, notice, info, debug (default "
		"debug)\n"
		"  -t, --check-config     parse the configuration, report, exit 0 (valid) or 1\n"
		"  -V, --version          print the version and exit\n"
		"  -h, --help             print this help and exit\n"
		"\n"
		"Signals: SIGHUP reloads the configuration; SIGTERM and SIGINT stop without\n"
		"de-associating any VSI.  See vdpd(8), vdpd.conf(5), vdpctl(8).\n");
}

/* ---- systemd notification and pid file ---- */

int vdpd_sd_notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd, rc = 0;

	if (!path || !*path)
		return 0;
	/* "/path" or "@abstract"; sun_path need not be NUL-terminated. */
	if ((path[0] != '/' && path[0] != '@') || strlen(path) > sizeof(sun.sun_path))
		return -EINVAL;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = 0;
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, len) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int vdpd_pidfile_open(const char *path, pid_t *other)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* The lock, not the file's existence, tells a live daemon: a pid
	 * file left by a crash is simply taken over. */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		*other = 0;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0) {
			buf[n] = 0;
			*other = (pid_t)atoi(buf);
		}
		close(fd);
		return err == EWOULDBLOCK ? -EEXIST : -err;
	}
	return fd;
}

/* /run/vdpd may not exist when vdpd is started by hand (systemd creates it
 * through RuntimeDirectory=): create the last directory level only. */
static void make_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	if (!path || !*path || strlen(path) >= sizeof(dir))
		return;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = 0;
	if (mkdir(dir, 0755) == 0)
		log_info(NULL, "created %s", dir);
}

int vdpd_pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

/* ---- signals ---- */

static void sig_cb(evutil_socket_t sig, short what, void *arg)
{
	struct vdpd *d = arg;

	(void)what;
	switch (sig) {
	case SIGHUP:
		vdpd_reload(d);
		break;
	case SIGTERM:
	case SIGINT:
		log_notice(NULL,
			   "%s: stopping; VSIs stay associated until their keep-alive "
			   "runs out",
			   strsignal((int)sig));
		vdpd_sd_notify("STOPPING=1");
		event_base_loopbreak(d->base);
		break;
	}
}

int vdpd_signals_add(struct vdpd *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->ev_sig[i] = evsignal_new(d->base, sigs[i], sig_cb, d);
		if (!d->ev_sig[i] || event_add(d->ev_sig[i], NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- start ---- */

/* Like daemon(3), except that the parent waits until the child reports
 * that it is serving (one byte on the returned fd) and exits 0 only then,
 * so whoever started vdpd may use the socket and the pid file at once; it
 * exits 1 if the child dies first.  Returns the fd in the child. */
static int detach(void)
{
	int p[2], fd;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = errno;

		close(p[0]);
		close(p[1]);
		return -err;
	}
	if (pid > 0) {
		ssize_t n;

		close(p[1]);
		c = 1;
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 && c == 0 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0)
		log_debug(NULL, "chdir /: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return p[1];
}

/* -1 to go on, else the exit code.  Over 80 lines: the option table and
 * one getopt case per option, read best as one list. */
static int parse_opts(int argc, char **argv, struct vdpd_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 'S' },
		{ "intents", required_argument, NULL, 'i' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "debug", optional_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->config = CFG_DEFAULT_PATH;
	o->socket = VDPD_DEFAULT_SOCKET;
	o->pidfile = VDPD_DEFAULT_PIDFILE;
	o->foreground = false;
	o->debug = -1;
	o->check_only = false;
	o->state_file = "";
	/* NULL: global.intents_file, else VDPD_DEFAULT_INTENTS (vdpd_main);
	 * tests pass their own file (tests/lib/netns.sh VDPD_INTENTS). */
	o->intents = NULL;
	o->port_ops = NULL;
	o->port_ctx = NULL;
	o->assume_link_up = false;
	o->no_linkmon = false;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:s:p:S:i:Fd::tVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->config = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'p':
			o->pidfile = optarg;
			break;
		case 'S':
			o->state_file = optarg;
			break;
		case 'i':
			o->intents = optarg;
			break;
		case 'F':
			o->foreground = true;
			break;
		case 'd':
			o->debug = optarg ? log_level_parse(optarg) : LOG_DEBUG;
			if (o->debug < 0) {
				fprintf(stderr,
					"vdpd: log level \"%s\" is not one of error, warning, "
					"notice, info, debug\n",
					optarg);
				return 2;
			}
			break;
		case 't':
			o->check_only = true;
			break;
		case 'V':
			printf("vdpd %s\n", VDP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "vdpd: option %s needs an argument\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "vdpd: unknown option %s; try vdpd --help\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vdpd: unexpected argument \"%s\"; try vdpd --help\n",
			argv[optind]);
		return 2;
	}
	return -1;
}

/* vdpd -t: every group of the file, parsed as a start would, reported. */
static int check_config(const struct vdpd_opts *opts, struct vdpd_config *cfg)
{
	struct nl_front_config nc;
	struct reg_err rerr;
	char err[512];

	if (nl_front_config_load(opts->config, &nc, err, sizeof(err)) < 0) {
		fprintf(stderr, "vdpd: %s\n", err);
		cfg_free(cfg);
		return 1;
	}
	if (realize_check_config(opts->config, &rerr) < 0) {
		fprintf(stderr, "vdpd: %s\n", rerr.msg);
		cfg_free(cfg);
		return 1;
	}
	printf("%s: OK, %zu uplink%s", opts->config, cfg->n_uplinks,
	       cfg->n_uplinks == 1 ? "" : "s");
	for (size_t i = 0; i < cfg->n_uplinks; i++)
		printf("%s%s", i ? ", " : ": ", cfg->uplinks[i].name);
	printf("\n");
	cfg_free(cfg);
	return 0;
}

/* The configuration file and the intents path it implies.  -1 to go on,
 * else the exit code. */
static int load_config(struct vdpd_opts *opts, struct vdpd_config *cfg)
{
	/* a copy: cfg moves into the daemon and is cleared */
	static char intents_path[sizeof(cfg->intents_file)];
	char err[512];

	if (cfg_load_file(opts->config, cfg, err, sizeof(err)) < 0) {
		/* A missing default file is no error: no uplinks until a
		 * reload adds some.  A missing explicit file is. */
		if (opts->check_only || strcmp(opts->config, CFG_DEFAULT_PATH) != 0 ||
		    access(opts->config, F_OK) == 0) {
			fprintf(stderr, "vdpd: %s\n", err);
			return 1;
		}
		cfg_init(cfg);
		log_notice("cfg", "%s not found; starting with no uplinks", opts->config);
	}
	/* On by default (DESIGN: nothing lost): without the file a restart
	 * would forget every VSI and the bridge would time them out. */
	if (!opts->intents) {
		snprintf(intents_path, sizeof(intents_path), "%s",
			 cfg->intents_file_set ? cfg->intents_file : VDPD_DEFAULT_INTENTS);
		opts->intents = intents_path;
	}
	return -1;
}

/* The pid file, locked before anything else starts: fd, -1 for none, or
 * -2 after reporting why vdpd must not start. */
static int take_pidfile(const struct vdpd_opts *opts)
{
	pid_t other = 0;
	int fd;

	if (!opts->pidfile || !*opts->pidfile)
		return -1;
	fd = vdpd_pidfile_open(opts->pidfile, &other);
	if (fd == -EEXIST) {
		fprintf(stderr, "vdpd: already running (pid %ld holds %s)\n", (long)other,
			opts->pidfile);
		return -2;
	}
	if (fd < 0) {
		fprintf(stderr, "vdpd: pid file %s: %s\n", opts->pidfile, strerror(-fd));
		return -2;
	}
	return fd;
}

/* Under systemd (NOTIFY_SOCKET) never fork; otherwise detach unless asked
 * not to.  Everything that can fail has been done, so errors reached the
 * terminal.  The fd to report readiness on (-1: none), or -2 on failure. */
static int go_background(struct vdpd *d)
{
	char err[512];
	int ready_fd = -1;

	if (!d->opts.foreground && !getenv("NOTIFY_SOCKET")) {
		ready_fd = detach();
		if (ready_fd < 0) {
			log_err(NULL, "cannot detach: %s", strerror(-ready_fd));
			return -2;
		}
		if (event_reinit(d->base) < 0)
			log_err(NULL, "event_reinit failed");
		if (nl_front_after_fork(d->nl, err, sizeof(err)) < 0)
			log_err("nl", "%s", err);
	}
	vdpd_log_start(d);
	return ready_fd;
}

int vdpd_main(int argc, char **argv)
{
	struct vdpd_opts opts;
	struct vdpd_config cfg;
	struct vdpd d;
	char user[sizeof(cfg.user)];
	int rc, pid_fd, ready_fd;

	rc = parse_opts(argc, argv, &opts);
	if (rc >= 0)
		return rc;
	log_init("vdpd", LOG_TO_STDERR, opts.debug >= 0 ? opts.debug : LOG_INFO);
	rc = load_config(&opts, &cfg);
	if (rc >= 0)
		return rc;
	if (opts.check_only)
		return check_config(&opts, &cfg);
#ifdef VDP_FUZZING
	fprintf(stderr, "vdpd: built for fuzzing; refusing to run\n");
	return 1;
#endif
	/* Fail here, before any file is created or the terminal is left,
	 * naming what is missing (not later as "uplink: not started"). */
	if (vdpd_privs_require() < 0) {
		cfg_free(&cfg);
		return 1;
	}
	snprintf(user, sizeof(user), "%s", cfg.user); /* cfg moves into d */
	signal(SIGPIPE, SIG_IGN);
	if (vdpd_paths_absolute(&opts) < 0) {
		cfg_free(&cfg);
		return 1;
	}
	make_parent(opts.socket);
	make_parent(opts.pidfile);
	make_parent(opts.intents);
	pid_fd = take_pidfile(&opts);
	if (pid_fd == -2) {
		cfg_free(&cfg);
		return 1;
	}
	rc = vdpd_init(&d, &opts, &cfg);
	d.pid_fd = pid_fd;
	if (rc < 0) {
		cfg_free(&cfg);
		vdpd_fini(&d);
		return 1;
	}
	/* No frame has been read yet: the loop has not run. */
	if (vdpd_privs_drop(user) < 0) {
		vdpd_fini(&d);
		return 1;
	}
	ready_fd = go_background(&d);
	if (ready_fd == -2) {
		vdpd_fini(&d);
		return 1;
	}
	if (pid_fd >= 0 && vdpd_pidfile_write(pid_fd) < 0)
		log_warn(NULL, "cannot write pid file %s", opts.pidfile);
	store_locks_repid(); /* the state locks' owner is the detached child */
	log_notice(NULL, "vdpd %s started: %zu uplinks, control socket %s", VDP_VERSION,
		   d.n_uplinks, opts.socket);
	vdpd_sd_notify("READY=1");
	if (ready_fd >= 0) {
		/* The parent exits 0 now: the socket is served, the pid
		 * file is written. */
		if (write(ready_fd, "", 1) != 1)
			log_warn(NULL, "parent gone before the start completed");
		close(ready_fd);
	}
	vdpd_status_now(&d);
	event_base_dispatch(d.base);
	vdpd_fini(&d);
	log_notice(NULL, "stopped");
	return 0;
}
