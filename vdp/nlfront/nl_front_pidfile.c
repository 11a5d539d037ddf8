/* The lldpad pid file (/var/run/lldpad.pid): libvirt finds its VDP daemon
 * there and sends its requests to that pid as netlink port. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "vdp/nlfront/nl_front_int.h"

long nlf_read_pid(const char *path)
{
	char b[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = 0;
	return strtol(b, NULL, 10);
}

static void proc_comm(long pid, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	out[0] = 0;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return;
	if (fgets(out, (int)len, fp))
		out[strcspn(out, "\n")] = 0;
	fclose(fp);
}

int nlf_take_pidfile(const char *path, char *err, size_t errlen)
{
	long other = nlf_read_pid(path);
	if (other > 0 && other != getpid() && (kill((pid_t)other, 0) == 0 || errno == EPERM)) {
		char comm[32];
		proc_comm(other, comm, sizeof(comm));
		if (!strcmp(comm, "lldpad") || !strcmp(comm, "vdpd")) {
			snprintf(err, errlen,
				 "%s (pid %ld) holds %s and receives libvirt's requests; stop it "
				 "first "
				 "(e.g. systemctl stop lldpad.service lldpad.socket) or turn "
				 "netlink.lldpad_compat off",
				 comm, other, path);
			return -1;
		}
		/* a live process of another name: the pid was reused */
	}
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.vdpd%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	char b[32];
	int n = snprintf(b, sizeof(b), "%d\n", (int)getpid());
	bool ok = write(fd, b, (size_t)n) == n;
	close(fd);
	if (!ok || rename(tmp, path) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
