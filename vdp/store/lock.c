/* State file locks (see lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdp/store/lock.h"

/* The locks this process holds, for store_locks_repid(): a daemon has a
 * registry and an intents file; a few more fit. */
#define MAX_LOCKS 8
static int held[MAX_LOCKS];
static unsigned n_held;

static int write_pid(int fd)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

static long read_pid(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid;
	char *end;

	if (n <= 0)
		return -1;
	buf[n] = 0;
	pid = strtol(buf, &end, 10);
	return end != buf && pid > 0 ? pid : -1;
}

int store_lock(const char *file, char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4096];
	int fd, rc;
	long pid;

	if (snprintf(path, sizeof(path), "%s.lock", file) >= (int)sizeof(path)) {
		snprintf(err, errlen, "%s: path too long", file);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open lock file %s: %s", path, strerror(-rc));
		return rc;
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		rc = errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
		if (rc == -EBUSY) {
			pid = read_pid(fd);
			if (pid > 0)
				snprintf(err, errlen, "%s is in use by pid %ld (lock %s)", file,
					 pid, path);
			else
				snprintf(err, errlen, "%s is in use by an unknown pid (lock %s)",
					 file, path);
		} else {
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-rc));
		}
		close(fd);
		return rc;
	}
	rc = write_pid(fd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot write pid to %s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (n_held < MAX_LOCKS)
		held[n_held++] = fd;
	return fd;
}

void store_unlock(int fd)
{
	if (fd < 0)
		return;
	for (unsigned i = 0; i < n_held; i++)
		if (held[i] == fd) {
			held[i] = held[--n_held];
			break;
		}
	close(fd);
}

void store_locks_repid(void)
{
	for (unsigned i = 0; i < n_held; i++)
		write_pid(held[i]);
}
