/* The lldpad-compatible netlink front: the answers (NLMSG_ERROR) given in one
 * pass of the event loop leave together, one sendmmsg instead of a sendto
 * each.  One ECPDU from the bridge settles up to some forty VSIs, and
 * answering each with its own system call was a fifth of vdpd's time with
 * many requests in flight (docs/performance.md).
 *
 * The queue is sent by an event made active when its first answer comes, so
 * it runs after the callbacks already due in this pass (the receive loop,
 * the ECP handler that settles the VSIs) and before the loop waits again:
 * no answer waits for a later event.  A full queue, and anything else that
 * goes out on the socket, sends it at once, which keeps every requester's
 * messages in the order they were given. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "vdp/base/log.h"
#include "vdp/nlfront/nl_front_int.h"

#define TAG "nl"

static void tx_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	nlf_tx_flush(arg);
}

int nlf_tx_init(struct nl_front *f)
{
	struct nlf_txq *q = &f->txq;

	q->ev = event_new(f->base, -1, 0, tx_cb, f);
	if (!q->ev)
		return -ENOMEM;
	for (unsigned i = 0; i < NLF_TXQ; i++) {
		q->iov[i].iov_base = q->buf[i];
		q->mm[i].msg_hdr.msg_iov = &q->iov[i];
		q->mm[i].msg_hdr.msg_iovlen = 1;
		q->mm[i].msg_hdr.msg_name = &q->to[i];
		q->mm[i].msg_hdr.msg_namelen = sizeof(q->to[i]);
	}
	return 0;
}

void nlf_tx_free(struct nl_front *f)
{
	if (f->txq.ev)
		event_free(f->txq.ev);
	f->txq.ev = NULL;
}

void nlf_send_ack(struct nl_front *f, const struct sockaddr_nl *to, const void *req, size_t req_len,
		  int error)
{
	struct nlf_txq *q = &f->txq;
	struct wbuf w;

	if (q->n == NLF_TXQ)
		nlf_tx_flush(f);
	wbuf_init(&w, q->buf[q->n], NLF_ACK_MAX);
	if (nlp_build_ack(&w, req, req_len, f->port, error) < 0) {
		f->cnt.ack_send_errors++;
		log_debug(TAG, "answer to port %u not built", to->nl_pid);
		return;
	}
	q->iov[q->n].iov_len = w.len;
	q->to[q->n] = *to;
	if (error == 0)
		q->before_ack = true;
	if (q->n++ == 0 && q->ev)
		event_active(q->ev, EV_TIMEOUT, 0);
}

/* sendmmsg stops at the first message the kernel refuses (a requester gone:
 * ECONNREFUSED; its receive buffer full: EAGAIN, ENOBUFS) and reports how
 * many went before it; that message's error comes from sending it alone
 * again.  It is counted and skipped, as sendto's failure was, and the rest
 * go on. */
void nlf_tx_flush(struct nl_front *f)
{
	struct nlf_txq *q = &f->txq;
	unsigned i = 0;

	if (q->n == 0)
		return;
	/* what keep and drop recorded is on disk before "done" leaves */
	if (q->before_ack && f->ops->before_ack)
		f->ops->before_ack(f->ctx);
	q->before_ack = false;
	while (i < q->n) {
		int k = sendmmsg(f->fd, q->mm + i, q->n - i, MSG_DONTWAIT);
		f->cnt.ack_batches++;
		if (k > 0) {
			f->cnt.acks_sent += (unsigned)k;
			i += (unsigned)k;
			continue;
		}
		f->cnt.ack_send_errors++;
		log_debug(TAG, "answer to port %u lost: %s", q->to[i].nl_pid,
			  k < 0 ? strerror(errno) : "not sent");
		i++;
	}
	q->n = 0;
}
