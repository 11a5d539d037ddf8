/* The front's JSON view (vdpctl stats "netlink"): port, pid file, records
 * and counters. */
#include <jansson.h>

#include "vdp/nlfront/nl_front_int.h"

json_t *nl_front_json(const struct nl_front *f)
{
	const struct nl_front_counters *c = &f->cnt;
	json_t *mal = json_object();
	for (int i = 1; i < NLP_NERR; i++)
		if (c->malformed[i])
			json_object_set_new(mal, nlp_strerror(-i),
					    json_integer((json_int_t)c->malformed[i]));
	json_t *cn = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:[I,I,I,I],s:I,s:I,s:I,s:I}",
		"rx_datagrams", (json_int_t)c->rx_datagrams, "rx_msgs", (json_int_t)c->rx_msgs,
		"rx_kernel", (json_int_t)c->rx_kernel, "rx_errors", (json_int_t)c->rx_errors,
		"denied", (json_int_t)c->denied, "no_creds", (json_int_t)c->no_creds, "setlink",
		(json_int_t)c->setlink, "getlink", (json_int_t)c->getlink, "other_type",
		(json_int_t)c->other_type, "no_device", (json_int_t)c->no_device, "requests",
		(json_int_t)c->req_op[0], (json_int_t)c->req_op[1], (json_int_t)c->req_op[2],
		(json_int_t)c->req_op[3], "not_station", (json_int_t)c->not_station, "refused",
		(json_int_t)c->refused, "deassoc_noop", (json_int_t)c->deassoc_noop, "acks_sent",
		(json_int_t)c->acks_sent);
	json_t *more = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
		"acks_settled", (json_int_t)c->acks_settled, "acks_bounded",
		(json_int_t)c->acks_bounded, "ack_send_errors", (json_int_t)c->ack_send_errors,
		"ack_batches", (json_int_t)c->ack_batches, "status_msgs",
		(json_int_t)c->status_msgs, "status_parts", (json_int_t)c->status_parts,
		"status_entries", (json_int_t)c->status_entries, "status_send_errors",
		(json_int_t)c->status_send_errors, "results_ok", (json_int_t)c->results_ok,
		"results_failed", (json_int_t)c->results_failed, "unsolicited_sent",
		(json_int_t)c->unsolicited_sent, "unsolicited_errors",
		(json_int_t)c->unsolicited_errors, "linkdel_read", (json_int_t)c->linkdel_read,
		"linkdel_seen", (json_int_t)c->linkdel_seen, "linkdel_cancelled",
		(json_int_t)c->linkdel_cancelled, "linkdel_deassoc", (json_int_t)c->linkdel_deassoc,
		"records_freed", (json_int_t)c->records_freed);
	if (cn && more)
		json_object_update(cn, more);
	json_decref(more);
	if (cn)
		json_object_set_new(cn, "malformed", mal);
	else
		json_decref(mal);
	return json_pack("{s:I,s:s,s:I,s:o*}", "port", (json_int_t)f->port, "pidfile",
			 f->cfg.pidfile, "records", (json_int_t)f->n, "counters", cn);
}
