/* Link monitor on libnl-route-3.  See linkmon.h. */
#include "vdp/io/linkmon.h"

#include <errno.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "vdp/base/log.h"

struct lm_rec {
	uint64_t t_ms;		/* CLOCK_MONOTONIC */
	enum linkmon_ev ev;
	int ifindex;
	bool up;
	char ifname[IF_NAMESIZE];
};

struct linkmon {
	const struct linkmon_ops *ops;
	void *ctx;
	struct nl_sock *sk;		/* the manager's event socket */
	struct nl_sock *sync_sk;	/* dumps for resync */
	struct nl_cache_mngr *mngr;
	struct nl_cache *links;
	struct event *ev;
	struct linkmon_stats st;
	size_t log_next, log_n;
	struct lm_rec log[LINKMON_LOG];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *linkmon_ev_name(enum linkmon_ev ev)
{
	switch (ev) {
	case LINKMON_NEW:
		return "new";
	case LINKMON_CHANGE:
		return "change";
	case LINKMON_DEL:
		return "del";
	case LINKMON_RESYNC:
		return "resync";
	}
	return "?";
}

static bool link_up(struct rtnl_link *l)
{
	unsigned int f = rtnl_link_get_flags(l);

	return (f & IFF_UP) && (f & IFF_RUNNING);
}

/* IPv6 announces its per-link state as RTM_NEWLINK of family AF_INET6,
 * which libnl keeps as separate objects (family is part of a link's
 * identity) with names that go stale on rename.  Only AF_UNSPEC objects
 * describe the link itself -- except for a Linux bridge: libnl 3.7 files
 * the bridge device's own RTM_NEWLINK under AF_BRIDGE and keeps no
 * AF_UNSPEC object for it, so without this a bridge uplink (what libvirt
 * users take as <source dev>, a veth loops libvirtd) is never seen going up.
 * The AF_BRIDGE objects of bridge *ports* carry no link kind and are
 * duplicates of the ports' AF_UNSPEC objects. */
static bool is_link(struct rtnl_link *l)
{
	const char *kind;

	switch (rtnl_link_get_family(l)) {
	case AF_UNSPEC:
		return true;
	case AF_BRIDGE:
		kind = rtnl_link_get_type(l);
		return kind && strcmp(kind, "bridge") == 0;
	default:
		return false;
	}
}

static void report(struct linkmon *lm, enum linkmon_ev ev, struct rtnl_link *l)
{
	const char *name = rtnl_link_get_name(l);
	int ifindex = rtnl_link_get_ifindex(l);
	bool up = ev != LINKMON_DEL && link_up(l);
	struct lm_rec *r = &lm->log[lm->log_next];

	if (!name || !is_link(l))
		return;
	r->t_ms = now_ms();
	r->ev = ev;
	r->ifindex = ifindex;
	r->up = up;
	snprintf(r->ifname, sizeof(r->ifname), "%s", name);
	lm->log_next = (lm->log_next + 1) % LINKMON_LOG;
	if (lm->log_n < LINKMON_LOG)
		lm->log_n++;
	lm->st.events++;
	log_debug("link", "%s %s (ifindex %d) %s", linkmon_ev_name(ev), name, ifindex,
		  up ? "up" : "down");
	if (lm->ops && lm->ops->link)
		lm->ops->link(lm->ctx, ev, name, ifindex, ev != LINKMON_DEL, up);
}

static void change_cb(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct linkmon *lm = arg;
	struct rtnl_link *l = (struct rtnl_link *)obj;

	(void)cache;
	if (!is_link(l))
		return;
	switch (action) {
	case NL_ACT_NEW:
		lm->st.adds++;
		report(lm, LINKMON_NEW, l);
		break;
	case NL_ACT_DEL:
		lm->st.dels++;
		report(lm, LINKMON_DEL, l);
		break;
	case NL_ACT_CHANGE:
		lm->st.changes++;
		report(lm, LINKMON_CHANGE, l);
		break;
	default:
		break;
	}
}

static void replay_one(struct nl_object *obj, void *arg)
{
	report(arg, LINKMON_RESYNC, (struct rtnl_link *)obj);
}

void linkmon_replay(struct linkmon *lm)
{
	nl_cache_foreach(lm->links, replay_one, lm);
}

/* After lost notifications the cache may be wrong in any way: links gone
 * without a DEL, renamed, flapped.  Refill from a dump and let the daemon
 * compare everything it knows against the fresh view. */
static void resync(struct linkmon *lm)
{
	int err;

	lm->st.resyncs++;
	log_warn("link", "netlink events lost (receive buffer overrun); re-reading links");
	err = nl_cache_refill(lm->sync_sk, lm->links);
	if (err < 0) {
		lm->st.errors++;
		log_err("link", "re-reading links failed: %s", nl_geterror(err));
		return;
	}
	linkmon_replay(lm);
}

static void data_cb(evutil_socket_t fd, short what, void *arg)
{
	struct linkmon *lm = arg;
	int err;

	(void)fd;
	(void)what;
	err = nl_cache_mngr_data_ready(lm->mngr);
	if (err == -NLE_NOMEM || err == -NLE_DUMP_INTR) {
		resync(lm);
	} else if (err < 0) {
		lm->st.errors++;
		log_warn("link", "netlink: %s", nl_geterror(err));
	}
}

struct linkmon *linkmon_new(struct event_base *base, const struct linkmon_ops *ops, void *ctx)
{
	struct linkmon *lm = calloc(1, sizeof(*lm));
	int err = -NLE_NOMEM;

	if (!lm)
		return NULL;
	lm->ops = ops;
	lm->ctx = ctx;
	lm->sk = nl_socket_alloc();
	lm->sync_sk = nl_socket_alloc();
	if (!lm->sk || !lm->sync_sk)
		goto fail;
	err = nl_connect(lm->sync_sk, NETLINK_ROUTE);
	if (err < 0)
		goto fail;
	err = nl_cache_mngr_alloc(lm->sk, NETLINK_ROUTE, NL_AUTO_PROVIDE, &lm->mngr);
	if (err < 0)
		goto fail;
	/* Room for a burst of link changes (hundreds of macvtaps created at
	 * once) before the kernel drops notifications. */
	nl_socket_set_buffer_size(lm->sk, 4 << 20, 0);
	err = nl_cache_mngr_add(lm->mngr, "route/link", change_cb, lm, &lm->links);
	if (err < 0)
		goto fail;
	lm->ev = event_new(base, nl_cache_mngr_get_fd(lm->mngr), EV_READ | EV_PERSIST, data_cb, lm);
	if (!lm->ev || event_add(lm->ev, NULL) < 0) {
		err = -NLE_NOMEM;
		goto fail;
	}
	return lm;
fail:
	log_err("link", "link monitor: %s", nl_geterror(err));
	linkmon_free(lm);
	errno = err == -NLE_PERM ? EPERM : ENOMEM;
	return NULL;
}

void linkmon_free(struct linkmon *lm)
{
	if (!lm)
		return;
	if (lm->ev)
		event_free(lm->ev);
	/* The manager frees its caches; the socket handed to it stays ours. */
	if (lm->mngr)
		nl_cache_mngr_free(lm->mngr);
	if (lm->sk)
		nl_socket_free(lm->sk);
	if (lm->sync_sk)
		nl_socket_free(lm->sync_sk);
	free(lm);
}

int linkmon_lookup(struct linkmon *lm, const char *ifname, int *ifindex, bool *up)
{
	struct nl_object *o;

	for (o = nl_cache_get_first(lm->links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l);

		if (!is_link(l) || !name || strcmp(name, ifname) != 0)
			continue;
		if (ifindex)
			*ifindex = rtnl_link_get_ifindex(l);
		if (up)
			*up = link_up(l);
		return 0;
	}
	return -ENODEV;
}

void linkmon_get_stats(const struct linkmon *lm, struct linkmon_stats *st)
{
	*st = lm->st;
}

json_t *linkmon_json(const struct linkmon *lm)
{
	json_t *evs = json_array();
	size_t first = (lm->log_next + LINKMON_LOG - lm->log_n) % LINKMON_LOG;

	for (size_t i = 0; i < lm->log_n; i++) {
		const struct lm_rec *r = &lm->log[(first + i) % LINKMON_LOG];

		json_array_append_new(evs, json_pack("{s:I, s:s, s:s, s:i, s:b}", "t_ms",
						     (json_int_t)r->t_ms, "event", linkmon_ev_name(r->ev),
						     "ifname", r->ifname, "ifindex", r->ifindex, "up", r->up));
	}
	return json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o}", "stats",
			 "events", (json_int_t)lm->st.events, "adds", (json_int_t)lm->st.adds,
			 "dels", (json_int_t)lm->st.dels, "changes", (json_int_t)lm->st.changes,
			 "resyncs", (json_int_t)lm->st.resyncs, "errors", (json_int_t)lm->st.errors,
			 "events", evs);
}
