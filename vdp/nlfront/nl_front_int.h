/* Internals of the netlink front shared by vdp/nlfront/nl_front.c (records,
 * requests, status, life cycle), nl_front_linkdel.c (link-deletion watch),
 * nl_front_pidfile.c (lldpad pid file) and nl_front_json.c (JSON view).
 * Not for other modules. */
#ifndef VDP_NL_FRONT_INT_H
#define VDP_NL_FRONT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include <event2/event.h>
#include <linux/netlink.h>

#include "vdp/nlfront/nl_front.h"

#define NLF_RXBUF 65536	/* receive buffer (f->rx) */
#define RESP_ERROR 0x105	/* PORT_PROFILE_RESPONSE_ERROR: no answer from the bridge */

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
struct nlf_rec {
	struct nlf_rec *hnext;
	struct nlf_rec *prev, *next;	/* recency: head = latest request */
	struct nl_front *f;
	int ifindex;
	char ifname[NLP_IFNAMSIZ];
	uint8_t uuid[NLP_UUID_LEN];
	uint8_t mgr_id;
	uint32_t type_id;
	uint8_t type_version;
	uint8_t filter_fmt;
	uint16_t n_filters;
	struct vdp_filter filters[NLP_MAX_FILTERS];
	uint8_t op;			/* PORT_REQUEST_* of the latest request */
	bool pending;			/* the latest request has no result yet */
	uint16_t response;		/* its result once !pending */
	bool confirmed;			/* bridge confirmed, not ended since */
	bool reported;			/* result read by a status query */
	uint64_t done_ms, reported_ms;
	bool has_requester;
	uint32_t req_pid, req_seq;
	struct nlf_ack *acks;
	struct event *linkdel;
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
	struct nl_front_counters cnt;
};

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
