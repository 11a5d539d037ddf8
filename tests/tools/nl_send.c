/* nl_send: sends one raw netlink datagram (hex on the command line) to the
 * port named in a pid file, from a fresh NETLINK_ROUTE socket, and prints
 * the first answer: "type=N error=E len=L" (error only for NLMSG_ERROR).
 * For the malformed-message tests of the lldpad-compatible front.
 *   nl_send PIDFILE|PORT HEX [WAIT_MS]   exit 0 answered, 1 no answer, 2 usage */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/netlink.h>

int main(int argc, char **argv)
{
	static uint8_t msg[65536], ans[65536];
	size_t n = 0;

	if (argc < 3)
		return 2;
	long dst = 0;
	char *end;
	dst = strtol(argv[1], &end, 10);
	if (*end || dst <= 0) {
		FILE *fp = fopen(argv[1], "r");
		if (!fp || fscanf(fp, "%ld", &dst) != 1)
			return 2;
		fclose(fp);
	}
	for (const char *h = argv[2]; h[0] && h[1] && n < sizeof(msg); h += 2) {
		unsigned v;
		if (*h == ' ') {
			h--;
			continue;
		}
		if (sscanf(h, "%2x", &v) != 1)
			return 2;
		msg[n++] = (uint8_t)v;
	}
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK }, to = { .nl_family = AF_NETLINK, .nl_pid = (uint32_t)dst };
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    sendto(fd, msg, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		perror("nl_send");
		return 2;
	}
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, argc > 3 ? atoi(argv[3]) : 2000) <= 0) {
		printf("no answer\n");
		return 1;
	}
	ssize_t r = recv(fd, ans, sizeof(ans), 0);
	if (r < 16) {
		printf("short answer %zd\n", r);
		return 1;
	}
	uint16_t type;
	int32_t err = 0;
	memcpy(&type, ans + 4, 2);
	if (type == NLMSG_ERROR && r >= 20)
		memcpy(&err, ans + 16, 4);
	printf("type=%u error=%d len=%zd\n", type, err, r);
	return 0;
}
