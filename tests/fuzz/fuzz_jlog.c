/* libFuzzer target: the journal decoder under the VSI intents
 * (jlog_replay on vdp/store/journal.h's framing), with the intents' own record
 * check as the consumer: {"put":{...}} or {"del":{...}}.  Checks: no crash
 * or leak; the valid records end inside the input; a journal without a
 * torn tail is read to its end. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vdp/store/jlog.h"
#include "vdp/base/log.h"

#define MAGIC "vdpd-intents-journal 1\n"

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
	uint64_t last;
	bool torn;
	char err[512];
	int rc;

	log_init("fuzz_jlog", LOG_TO_STDERR, LOG_CRIT);
	rc = jlog_replay("fuzz", MAGIC, (const char *)data, len, &good, &records, &torn, &last, apply, NULL, err,
			 sizeof(err));
	if (rc == 0) {
		if (good > len || (!torn && good != len && len >= strlen(MAGIC)))
			abort();
		if (records && good == 0)
			abort();
	}
	return 0;
}
