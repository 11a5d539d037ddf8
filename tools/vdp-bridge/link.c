/* Link up/down from rtnetlink (RTNLGRP_LINK) through libnl, on the event
 * loop.  "Up" = IFF_UP and IFF_RUNNING (carrier).  On ENOBUFS (events
 * lost) every interface is re-read with a dump. */
#include <errno.h>
#include <stdlib.h>
#include <net/if.h>

#include <event2/event.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "vdp/log.h"
#include "vdp-bridge.h"

struct linkwatch {
	struct nl_sock *sk;
	struct event *ev;
	linkwatch_fn fn;
	void *arg;
};

static int lw_valid(struct nl_msg *msg, void *arg)
{
	struct linkwatch *lw = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ifinfomsg *ifi;

	if (h->nlmsg_type != RTM_NEWLINK || nlmsg_datalen(h) < (int)sizeof(*ifi))
		return NL_OK;
	ifi = nlmsg_data(h);
	lw->fn(lw->arg, ifi->ifi_index, (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_RUNNING));
	return NL_OK;
}

static void lw_dump(struct linkwatch *lw)
{
	struct rtgenmsg g = { .rtgen_family = AF_UNSPEC };

	if (nl_send_simple(lw->sk, RTM_GETLINK, NLM_F_DUMP, &g, sizeof(g)) < 0)
		log_warn("link", "cannot request a link dump");
}

static void lw_read(evutil_socket_t fd, short what, void *arg)
{
	struct linkwatch *lw = arg;
	int rc;

	(void)fd;
	(void)what;
	rc = nl_recvmsgs_default(lw->sk);
	if (rc == -NLE_NOMEM) {
		log_warn("link", "netlink events lost: resynchronising");
		lw_dump(lw);
	}
}

struct linkwatch *linkwatch_new(struct event_base *base, linkwatch_fn fn, void *arg)
{
	struct linkwatch *lw = calloc(1, sizeof(*lw));

	if (!lw)
		return NULL;
	lw->fn = fn;
	lw->arg = arg;
	lw->sk = nl_socket_alloc();
	if (!lw->sk)
		goto fail;
	nl_socket_disable_seq_check(lw->sk);
	nl_socket_modify_cb(lw->sk, NL_CB_VALID, NL_CB_CUSTOM, lw_valid, lw);
	if (nl_connect(lw->sk, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_membership(lw->sk, RTNLGRP_LINK) < 0 ||
	    nl_socket_set_nonblocking(lw->sk) < 0)
		goto fail;
	nl_socket_set_buffer_size(lw->sk, 1 << 20, 0);
	lw->ev = event_new(base, nl_socket_get_fd(lw->sk), EV_READ | EV_PERSIST, lw_read, lw);
	if (!lw->ev || event_add(lw->ev, NULL) < 0)
		goto fail;
	return lw;
fail:
	linkwatch_free(lw);
	return NULL;
}

void linkwatch_free(struct linkwatch *lw)
{
	if (!lw)
		return;
	if (lw->ev)
		event_free(lw->ev);
	if (lw->sk)
		nl_socket_free(lw->sk);
	free(lw);
}
