/* struct etcd_ops over etcd v3's JSON gateway (HTTP/1.1, or HTTPS with a
 * CA, client certificate and key), with libcurl's multi interface driven
 * by the libevent loop: no call waits for the network.  A request that
 * cannot reach an endpoint is retried on the next one; when none answers,
 * the error names every endpoint.  With a user, a token is fetched
 * (auth/authenticate) before the first request and again when etcd says
 * it is no longer valid. */
#ifndef VDP_ETCD_CURL_H
#define VDP_ETCD_CURL_H

#include <stddef.h>
#include <event2/event.h>

#include "vdp/io/etcd.h"

#define ETCD_MAX_ENDPOINTS 8

struct etcd_curl_cfg {
	const char *endpoints[ETCD_MAX_ENDPOINTS]; /* http://127.0.0.1:2379, https://... */
	size_t nendpoints;
	const char *ca, *cert, *key; /* PEM files; NULL: none */
	const char *user, *password; /* NULL: no authentication */
	long timeout_ms; /* per request (not the watch); 0: 5000 */
};

extern const struct etcd_ops etcd_curl_ops;

struct etcd_curl;

/* NULL with err filled on a bad configuration. */
struct etcd_curl *etcd_curl_new(struct event_base *base, const struct etcd_curl_cfg *cfg, char *err,
				size_t errlen);
/* Ends every request; no callback is made after. */
void etcd_curl_free(struct etcd_curl *c);
/* "http://a:2379,http://b:2379": for messages. */
const char *etcd_curl_endpoints(const struct etcd_curl *c);

#endif
