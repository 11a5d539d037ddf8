/* A raw Ethernet port: one AF_PACKET socket per interface that receives the
 * frames EVB needs (LLDP 0x88CC, ECP 0x8940) and sends whole frames.
 *
 * The socket is opened and read through struct port_ops so unit tests can
 * put a socketpair in its place (the systemd sd-lldp seam): everything above
 * the ops, libevent included, then runs unprivileged.  Errors are counted in
 * struct port_stats and never fatal: a full transmit queue or a vanished
 * interface must not stop the daemon.
 *
 * A tap (port_set_tap) may sit between the port and its user in both
 * directions; vdp-bridge uses it to inject faults.  The tap forwards with
 * port_send_raw() and port_deliver().
 *
 * Admission: a port serves one EVB group address (the uplink's LLDP and ECP
 * destination).  The kernel filter passes untagged LLDP and ECP frames sent
 * to it whole; of an LLDP or ECP frame sent anywhere else (unicast,
 * broadcast, another group) it passes only the 14-octet Ethernet header, so
 * the agents above can count the drop by reason while no octet of its
 * payload reaches a decoder.  Everything else stays in the kernel. */
#ifndef VDP_PORT_H
#define VDP_PORT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct event_base;
struct port;

#define PORT_MAX_FRAME 9216	/* jumbo; frames longer than this are counted and dropped */

struct port_info {
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	unsigned int mtu;
};

struct port_stats {
	uint64_t rx_frames;	/* delivered to the user */
	uint64_t rx_bytes;
	uint64_t rx_own;	/* our own outgoing frames seen by the tap (ignored) */
	uint64_t rx_other;	/* other ethertypes or tagged frames (ignored) */
	uint64_t rx_short;	/* shorter than an Ethernet header */
	uint64_t rx_errors;	/* recv() failures other than EAGAIN */
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t tx_errors;	/* send() failures, EAGAIN included */
};

/* How a port reaches the network.  The default (port_ops_packet) is an
 * AF_PACKET socket; tests substitute their own. */
struct port_ops {
	/* Opens a non-blocking socket for ifname and fills info.  Returns the
	 * fd or -errno. */
	int (*open)(void *ctx, const char *ifname, struct port_info *info);
	/* Re-reads MAC and MTU (after a link change).  0 or -errno. */
	int (*refresh)(void *ctx, int fd, struct port_info *info);
	/* Reads one frame.  *outgoing is set when the frame is one we sent
	 * ourselves (PACKET_OUTGOING).  Returns its length or -errno. */
	ssize_t (*recv)(void *ctx, int fd, uint8_t *buf, size_t len, bool *outgoing);
	/* Sends one whole frame (destination MAC first).  Length or -errno. */
	ssize_t (*send)(void *ctx, int fd, const uint8_t *frame, size_t len);
	void (*close)(void *ctx, int fd);
	/* Optional: admit, in the kernel, only what the port serves for the
	 * EVB group address (see above; port_filter_attach() does it for
	 * any socket).  0 or -errno. */
	int (*filter)(void *ctx, int fd, const uint8_t group[6]);
};

extern const struct port_ops port_ops_packet;

/* Called for every received LLDP or ECP frame, Ethernet header included.
 * The frame lives in the port's buffer until the callback returns (copy it
 * to keep it); the callback must not close the port. */
typedef void (*port_rx_fn)(void *arg, uint16_t ethertype, const uint8_t *frame, size_t len);

/* Taps: return nothing; forward (now or later) with port_send_raw() /
 * port_deliver(), or not at all to drop. */
struct port_tap {
	void (*tx)(void *arg, struct port *p, const uint8_t *frame, size_t len);
	void (*rx)(void *arg, struct port *p, uint16_t ethertype, const uint8_t *frame, size_t len);
};

/* Opens ifname through ops (NULL: port_ops_packet) for the EVB group
 * address group, sets the kernel filter (ops->filter) and adds a read event
 * to base.  Returns NULL with errno set on failure. */
struct port *port_open(struct event_base *base, const char *ifname, const uint8_t group[6],
		       const struct port_ops *ops, void *ops_ctx, port_rx_fn rx, void *arg);
void port_close(struct port *p);

/* Sends a frame (through the tap when one is set).  Returns 0 or -errno;
 * failures are also counted. */
int port_send(struct port *p, const uint8_t *frame, size_t len);
/* Sends bypassing the tap. */
int port_send_raw(struct port *p, const uint8_t *frame, size_t len);
/* Hands a frame to the user bypassing the tap. */
void port_deliver(struct port *p, uint16_t ethertype, const uint8_t *frame, size_t len);

void port_set_tap(struct port *p, const struct port_tap *tap, void *arg);
int port_refresh(struct port *p);

const struct port_info *port_info(const struct port *p);
const struct port_stats *port_stats(const struct port *p);
const char *port_name(const struct port *p);
const uint8_t *port_group(const struct port *p);

/* Attaches the admission filter for group (classic BPF, see above) to a
 * socket: an AF_PACKET one, or in tests any socket whose messages are
 * Ethernet frames.  0 or -errno. */
int port_filter_attach(int fd, const uint8_t group[6]);

/* The AF_PACKET helpers behind port_ops_packet, for code that needs only
 * an interface lookup. */
int port_lookup(const char *ifname, struct port_info *info);

#endif
