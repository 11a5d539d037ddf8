/* Internals of the netlink front shared by vdp/nlfront/nl_front.c (records,
 * the engine's events, receiving, life cycle), nl_setlink.c (requests),
 * nl_status.c (status queries, sweep), nl_front_tx.c (the answer queue),
 * nl_front_linkdel.c (link-deletion watch), nl_front_pidfile.c (lldpad pid
 * file), nl_front_config.c and nl_front_json.c (JSON view).  Not for other
 * modules. */
#ifndef VDP_NL_FRONT_INT_H
#define VDP_NL_FRONT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <event2/event.h>
#include <linux/netlink.h>

#include "vdp/nlfront/nl_front.h"

#define NLF_RXBUF 65536	/* receive buffer (f->rx) */
#define RESP_ERROR 0x105	/* PORT_PROFILE_RESPONSE_ERROR: no answer from the bridge */
#define NLF_TXQ 128 /* answers per sendmmsg (queue full: sent at once) */
#define NLF_ACK_MAX 40 /* an NLMSG_ERROR answer: header, error, request header */

struct nlf_rec;

/* An answer held back until its VSI settles (or ack_delay_ms). */
struct nlf_ack {
	struct nlf_ack *next;
	struct nl_front *f;
	struct nlf_rec *rec;
	struct event *timer;
	struct sockaddr_nl to;
	uint8_t hdr[16];
};

/* What the front knows about one VSI it was asked for, keyed by (uplink
 * ifindex, instance UUID).  The engine's VSI holds the protocol state; this
 * holds the answer owed to the requester. */
/* The latest request of a record and what it asked: what a request
 * changes before the station has it, and puts back (a struct copy) when
 * the station refuses it. */
struct nlf_latest {
	uint8_t op; /* PORT_REQUEST_* of the latest request */
	bool pending; /* the latest request has no result yet */
	bool reported; /* result read by a status query */
	uint8_t mgr_id;
	uint32_t type_id;
	uint8_t type_version;
	uint8_t filter_fmt;
	uint16_t n_filters;
	struct vdp_filter filters[NLP_MAX_FILTERS];
};

struct nlf_rec {
	struct nlf_rec *hnext;
	struct nlf_rec *prev, *next;	/* recency: head = latest request */
	struct nl_front *f;
	int ifindex;
	char ifname[NLP_IFNAMSIZ];
	uint8_t uuid[NLP_UUID_LEN];
	struct nlf_latest latest;
	uint16_t response; /* its result once !latest.pending */
	bool confirmed; /* bridge confirmed, not ended since */
	uint64_t done_ms, reported_ms;
	bool has_requester;
	uint32_t req_pid, req_seq;
	struct nlf_ack *acks;
	struct event *linkdel;
};

/* The answers (NLMSG_ERROR) of one pass of the event loop, in the order
 * they were given, sent with one sendmmsg when the pass's callbacks are
 * done (nl_front_tx.c).  One queue for the one socket keeps every
 * requester's answers in order; anything else sent on the socket (status
 * replies, unsolicited messages) sends the queue first.  The message
 * headers point into the slots once and for all. */
struct nlf_txq {
	struct event *ev; /* made active when the first answer is queued */
	unsigned n;
	bool before_ack; /* a success answer is queued: ops->before_ack first */
	struct mmsghdr mm[NLF_TXQ];
	struct iovec iov[NLF_TXQ];
	struct sockaddr_nl to[NLF_TXQ];
	uint8_t buf[NLF_TXQ][NLF_ACK_MAX];
};

struct nl_front {
	struct nl_front_config cfg;
	const struct nl_front_ops *ops;
	void *ctx;
	struct event_base *base;
	int fd, link_fd;
	uint32_t port;
	bool own_pidfile;
	struct event *ev_rx, *ev_link, *ev_sweep;
	struct nlf_rec **bkt;
	size_t mask, n;
	struct nlf_rec *head, *tail;
	uint8_t *rx;
	struct nlf_txq txq;
	struct nl_front_counters cnt;
};

/* Records (nl_front.c): one per (uplink, instance UUID) asked for, in a
 * hash table and a recency list (head: the latest request). */
struct nlf_rec *nlf_rec_find(const struct nl_front *f, int ifindex, const uint8_t *uuid);
struct nlf_rec *nlf_rec_new(struct nl_front *f, int ifindex, const char *ifname,
			    const uint8_t *uuid);
void nlf_rec_free(struct nl_front *f, struct nlf_rec *r);
void nlf_list_unlink(struct nl_front *f, struct nlf_rec *r);
void nlf_list_push_head(struct nl_front *f, struct nlf_rec *r);
/* The PORT_PROFILE_RESPONSE_* libvirt reads for an ended VSI. */
uint16_t nlf_end_code(const struct vsi *v);
/* The latest request's result is known: held acks go out. */
void nlf_settle(struct nlf_rec *r, uint16_t response);
/* NLMSG_ERROR answering the request req (its first 16 octets echoed),
 * queued to leave at the end of this pass of the event loop
 * (nl_front_tx.c). */
void nlf_send_ack(struct nl_front *f, const struct sockaddr_nl *to, const void *req, size_t req_len,
		  int error);
/* The answer queue: set up on f->base (0, or -ENOMEM); sent now (before
 * anything else goes out on f->fd, and when the front closes); freed. */
int nlf_tx_init(struct nl_front *f);
void nlf_tx_flush(struct nl_front *f);
void nlf_tx_free(struct nl_front *f);
/* The ack of r's latest request waits for its result (at most
 * ack_delay_ms), or goes now when it cannot wait. */
void nlf_hold_ack(struct nl_front *f, struct nlf_rec *r, const struct sockaddr_nl *src,
		  const uint8_t *raw);
/* An RTM_SETLINK (nl_setlink.c): answered now, or held until its VSI
 * settles. */
void nlf_setlink(struct nl_front *f, const struct nlp_msg *m, const uint8_t *raw, size_t rawlen,
		 const struct sockaddr_nl *src);
/* An RTM_GETLINK status query (nl_status.c), answered in one or more parts. */
void nlf_getlink(struct nl_front *f, const struct nlp_msg *m, const uint8_t *raw, size_t rawlen,
		 const struct sockaddr_nl *src);
/* Frees finished records: read and lingered, or unread for too long
 * (nl_status.c); nlf_sweep_cb is its periodic event. */
void nlf_sweep(struct nl_front *f);
void nlf_sweep_cb(evutil_socket_t fd, short what, void *arg);
uint64_t nlf_now_ms(void);
struct timeval nlf_tv_ms(uint32_t ms);
struct vdp_station *nlf_station_of(struct nl_front *f, int ifindex, const char *ifname, struct uplink **up);
/* The RTMGRP_LINK socket's read callback (link deletions). */
void nlf_link_cb(evutil_socket_t fd, short what, void *arg);
/* The pid in a pid file (0 if empty/unreadable as a number, -errno). */
long nlf_read_pid(const char *path);
/* Writes our pid unless a live lldpad or vdpd holds the file. */
int nlf_take_pidfile(const char *path, char *err, size_t errlen);

#endif
