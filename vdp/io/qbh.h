/* 802.1Qbh backend: a port profile is applied by the NIC (a Cisco VIC,
 * driver enic, whose firmware talks to the port extender), not by VDP.
 * The host hands the profile id, an instance UUID and the host UUID to
 * the driver through the kernel: RTM_SETLINK with IFLA_PORT_SELF (the
 * device itself) or IFLA_VF_PORTS/IFLA_VF_PORT (an SR-IOV VF of a PF),
 * reaching ndo_set_vf_port.  docs/registry.md, "802.1Qbh", lists the
 * kernel and driver behaviour this follows.
 *
 * The kernel runs the driver inside sendmsg() and queues its ack; the
 * adapter's answer comes later and only when asked: RTM_GETLINK with
 * RTEXT_FILTER_VF shows PORT_PROFILE_RESPONSE_* (INPROGRESS first).  So
 * every request is a session on the event loop: SETLINK, ack, then a
 * GETLINK every poll interval until a final response or the deadline
 * (libvirt: every 125 ms, 80 times).  A deadline on an association sends
 * DISASSOCIATE, as libvirt does.  Nothing blocks: the socket is
 * non-blocking and waiting is a vclock timer.
 *
 * A failed (pre)association whose cause may pass (qbh_failure_transient:
 * the deadline, INSUFFICIENT_RESOURCES, BADSTATE, ERROR, a busy driver) is
 * sent again on the same timer after a capped exponential backoff with
 * jitter (vdp/base/backoff.h), when retries are on (qbh_cfg); a permanent
 * one (no port profiles on the device, INVALID, a refused request) is
 * not.  A new qbh_associate() or qbh_disassociate() of the key replaces a
 * waiting retry at once and starts the count again.  Every session here
 * is the registry's: libvirt sends its own 802.1Qbh requests to the
 * kernel, never through vdpd, and retries them itself.
 *
 * enic zeroes the netdev's MAC when the device itself (PORT_SELF) is
 * disassociated, and registers a random MAC for a (pre)association on a
 * zero one.  So every request on PORT_SELF reads the link first and
 * remembers a non-zero MAC; a (pre)association that finds it zero puts the
 * remembered one back (RTM_SETLINK IFLA_ADDRESS) before it is sent, and
 * without one (or when that fails) is not sent at all: the failure names
 * the device and the fix, and is retried like a transient one (each retry
 * reads the MAC again; nothing reaches the adapter while it is zero).
 *
 * All netlink I/O goes through struct qbh_nl_ops, so unit tests run the
 * whole backend against a model of the kernel and enic. */
#ifndef VDP_QBH_H
#define VDP_QBH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vdp/base/cursor.h"

struct vclock;

#define QBH_SELF_VF (-1) /* PORT_SELF_VF */
#define QBH_MSG_MAX 400
#define QBH_PROFILE_LEN 40 /* PORT_PROFILE_MAX: enic wants exactly 40 octets */
#define QBH_PROFILE_MAX 39 /* characters, so that a NUL fits */
#define QBH_KEY_MAX 40
#define QBH_POLL_US 125000ULL /* libvirt's STATUS_POLL_INTERVAL_MS */
#define QBH_DEADLINE_US 10000000ULL /* libvirt: 80 polls of 125 ms */
#define QBH_RETRY_MAX_US 60000000ULL /* cap of the retry backoff when none is given */

/* PORT_PROFILE_RESPONSE_* of if_link.h */
enum qbh_response {
	QBH_RESP_SUCCESS = 0x100,
	QBH_RESP_INPROGRESS = 0x101,
	QBH_RESP_INVALID = 0x102,
	QBH_RESP_BADSTATE = 0x103,
	QBH_RESP_INSUFFICIENT_RESOURCES = 0x104,
	QBH_RESP_ERROR = 0x105,
};

/* PORT_REQUEST_* of if_link.h (PREASSOCIATE is refused by enic) */
enum qbh_request {
	QBH_PREASSOCIATE_RR = 1, /* migration: reserve, associate later */
	QBH_ASSOCIATE = 2,
	QBH_DISASSOCIATE = 3,
};

/* One RTM_SETLINK, as sent. */
struct qbh_req {
	const char *dev; /* the bound device, for messages */
	const char *target; /* device addressed: dev itself or its PF */
	int ifindex; /* of target */
	int32_t vf; /* QBH_SELF_VF or the VF index on target */
	const char *profile; /* profile id, 1..39 characters */
	uint8_t instance[16]; /* IFLA_PORT_INSTANCE_UUID */
	bool has_host_uuid;
	uint8_t host_uuid[16];
	uint8_t request; /* enum qbh_request */
};

/* Where a session stands; final states are DONE and FAILED. */
enum qbh_state {
	QBH_ST_IDLE = 0,
	QBH_ST_POLLING, /* acked, asking the adapter */
	QBH_ST_DONE, /* the adapter said SUCCESS */
	QBH_ST_FAILED, /* refused, error response, or deadline */
};

/* What happens after a failure. */
enum qbh_retry {
	QBH_RETRY_NONE = 0, /* nothing failed (yet) */
	QBH_RETRY_WAITING, /* sent again at retry_at_us */
	QBH_RETRY_PERMANENT, /* not sent again: asking again would get the same */
	QBH_RETRY_OFF, /* transient, but retries are off (or the request is not retried) */
};

struct qbh_result {
	enum qbh_state state;
	uint8_t request; /* what was asked */
	int error; /* 0, or -errno (kernel's ack, our I/O, -ETIMEDOUT) */
	bool has_response; /* the driver reported a PORT_PROFILE_RESPONSE_* */
	uint16_t response;
	unsigned polls; /* GETLINKs sent */
	char msg[QBH_MSG_MAX]; /* one line for logs and vdpctl */
	enum qbh_retry retry;
	uint32_t retries; /* this request sent again by the timer so far */
	uint64_t retry_at_us; /* vclock time of the next retry (WAITING), else 0 */
};

struct qbh_counters {
	uint64_t requests; /* SETLINKs sent */
	uint64_t acked; /* kernel acks with error 0 */
	uint64_t polls; /* GETLINKs sent */
	uint64_t success; /* final SUCCESS */
	uint64_t errors; /* final failures of any kind */
	uint64_t unsupported; /* -EOPNOTSUPP among them */
	uint64_t timeouts; /* deadlines (DISASSOCIATE sent after an association) */
	uint64_t refused; /* not sent: no device, PORT_SELF taken, bad profile, zero MAC */
	uint64_t adopted; /* at start the adapter already had it: not re-sent */
	uint64_t retries; /* (pre)associations sent again by the retry timer */
	uint64_t recovered; /* SUCCESS after at least one retry */
	uint64_t permanent; /* failed (pre)associations not retried: permanent cause */
	uint64_t mac_restored; /* PORT_SELF MACs put back before a (pre)association */
	uint64_t mac_zero; /* (pre)associations not sent: PORT_SELF MAC zero, not put back */
};

/* The kernel's side, replaceable by tests.  The default (qbh_nl_kernel)
 * is a non-blocking NETLINK_ROUTE socket. */
struct qbh_nl_ops {
	/* A socket to the kernel (nl_pid 0).  fd or -errno. */
	int (*open)(void *ctx);
	/* One whole message.  0 or -errno. */
	int (*send)(void *ctx, int fd, const void *msg, size_t len);
	/* The next datagram into *buf (grown with realloc, *cap its size).
	 * Length, -EAGAIN when none is queued, or -errno. */
	ssize_t (*recv)(void *ctx, int fd, uint8_t **buf, size_t *cap);
	void (*close)(void *ctx, int fd);
	/* ifindex of a netdev, or -errno. */
	int (*ifindex)(void *ctx, const char *name);
};

extern const struct qbh_nl_ops qbh_nl_kernel;

struct qbh_cfg {
	const char *sysfs; /* root of sysfs, NULL = "/sys" */
	uint64_t poll_us; /* 0 = QBH_POLL_US */
	uint64_t deadline_us; /* 0 = QBH_DEADLINE_US */
	bool has_host_uuid; /* else left out of requests */
	uint8_t host_uuid[16];
	/* Transient failures of (pre)associations: the n-th retry waits
	 * min(retry_max_us, retry_initial_us x 2^(n-1)), drawn uniformly from
	 * [d/2, d].  retry_initial_us 0 = never retried (the registry asking
	 * again still re-sends). */
	uint64_t retry_initial_us;
	uint64_t retry_max_us; /* 0 = QBH_RETRY_MAX_US */
	uint64_t retry_seed; /* the jitter's generator; 0 = from the clock */
};

/* What the registry wants for one VSI. */
struct qbh_vsi {
	const char *key; /* interface id: one session per key */
	const char *dev; /* bound device: VF netdev, PCI address of a VF, macvtap, or "" */
	const char *uplink; /* libvirt's <source dev> */
	const char *profile;
	uint8_t instance[16];
	bool migrate; /* PREASSOCIATE_RR instead of ASSOCIATE */
};

struct qbh;

struct qbh *qbh_new(struct vclock *clock, const struct qbh_nl_ops *ops, void *ops_ctx,
		    const struct qbh_cfg *cfg);
/* Ends every session without sending anything (a restart must leave the
 * adapter as it is). */
void qbh_free(struct qbh *q);

/* Associates v (or moves it: the same port gets one ASSOCIATE with the new
 * profile, which keeps enic's MAC; another port gets DISASSOCIATE on the
 * old one first).  Unchanged and already associated: nothing is sent; a
 * first request for a key that the adapter already reports with the same
 * profile and instance is adopted without a re-send.  0 when started (the
 * outcome comes later through qbh_last()), or -errno when refused at once
 * (no such device, PORT_SELF already holding another VSI's profile). */
int qbh_associate(struct qbh *q, const struct qbh_vsi *v);
/* DISASSOCIATE of key's port (a waiting retry is dropped).  0, or -ENOENT
 * when nothing is known. */
int qbh_disassociate(struct qbh *q, const char *key);
/* New retry delays (see qbh_cfg; a reload).  initial_us 0 drops the
 * retries that wait now. */
void qbh_set_retry(struct qbh *q, uint64_t initial_us, uint64_t max_us);
/* Whether a failure may pass by itself, so that the same request is worth
 * sending again (error: -errno or 0; the response when the driver gave
 * one).  See qbh.c for the reason of each. */
bool qbh_failure_transient(int error, bool has_response, uint16_t response);
/* The current result of key (updated as the session proceeds); NULL if
 * none. */
const struct qbh_result *qbh_last(const char *key);
/* Milliseconds until key's next retry (0 when due), -1 when none waits. */
int64_t qbh_retry_in_ms(const char *key);
const struct qbh_counters *qbh_counters(void);
const char *qbh_response_name(uint16_t response);
const char *qbh_state_name(enum qbh_state st);
const char *qbh_retry_name(enum qbh_retry r); /* none, waiting, permanent, off */

/* ---- building blocks (tests and tools) */

/* The RTM_SETLINK message (flags REQUEST|ACK, nl_pid 0).  (Pre)associate:
 * profile NUL-padded to 40 octets, instance UUID, host UUID (when known),
 * request; disassociate: only the request (and IFLA_PORT_VF).  Never
 * IFLA_VFINFO_LIST.  NLP_OK, CODEC_E_NO_SPACE, or -EINVAL for a profile
 * id that is empty or longer than 39 characters. */
int qbh_build_setlink(struct wbuf *w, uint32_t seq, uint32_t pid, const struct qbh_req *r);

/* The port to address for dev: its PF and VF index when dev is an SR-IOV
 * VF (class/net/<dev>/device/physfn), or a VF given by PCI address
 * (bus/pci/devices/<addr>/physfn, e.g. bound to vfio), else dev itself
 * with QBH_SELF_VF.  sysfs: root of sysfs (NULL: "/sys").  0 or -errno:
 * -ENODEV when dev is neither a netdev nor a VF's PCI address. */
int qbh_target(const char *sysfs, const char *dev, char pf[16], int32_t *vf);
/* The driver bound to netdev dev ("enic"), "" if unknown. */
void qbh_driver(const char *sysfs, const char *dev, char *out, size_t len);

/* The host UUID as libvirt takes it by default: SMBIOS system UUID,
 * <sysfs>/class/dmi/id/product_uuid; a UUID of one repeated digit (all
 * zero, all F) is refused as libvirt does.  0 or -errno. */
int qbh_host_uuid(const char *sysfs, uint8_t out[16]);

#endif
