/* libFuzzer target: the journal decoder under the VSI intents
 * (jlog_replay), with the intents' own record check as the consumer:
 * {"put":{...}} or {"del":{...}}.  Checks: no crash or leak; the complete
 * records end on a newline; a torn tail only follows complete records. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vdp/jlog.h"
#include "vdp/log.h"

static int apply(void *ctx, json_t *rec, char *err, size_t errlen)
{
	json_t *put = json_object_get(rec, "put");

	(void)ctx;
	if (json_object_size(rec) != 1 || !json_is_object(put ? put : json_object_get(rec, "del"))) {
		strncpy(err, "neither put nor del", errlen - 1);
		return -1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t good, records;
	bool torn;
	char err[256];
	int rc;

	log_init("fuzz_jlog", LOG_TO_STDERR, LOG_CRIT);
	rc = jlog_replay("fuzz", (const char *)data, len, &good, &records, &torn, apply, NULL, err, sizeof(err));
	if (rc == 0) {
		if (good > len || (good > 0 && data[good - 1] != '\n'))
			abort();
		if (torn != (good < len))
			abort();
		if (records > good)
			abort();
	}
	return 0;
}
