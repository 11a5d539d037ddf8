/* libFuzzer target: the VSI intents' loader and hand renderer
 * (vdp/daemon/intent_table.c).  The input is one stored vsi.add argument
 * set, as a snapshot entry or a journal put carries it (the journal's
 * framing has its own target, fuzz_jlog).  Checks: no crash or leak; an
 * entry the loader takes renders by hand to text that jansson reads as
 * exactly the arguments it was loaded from. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "vdp/base/log.h"
#include "vdp/daemon/intent_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	json_t *args = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL), *got;
	struct intent_table t;
	struct itab_buf b = { 0 };

	log_init("fuzz_intents", LOG_TO_STDERR, LOG_CRIT);
	itab_init(&t);
	if (json_is_object(args) && itab_load(&t, args) == 0 && t.first) {
		itab_render(&t, t.first, &b);
		got = b.p ? json_loads(b.p, JSON_REJECT_DUPLICATES, NULL) : NULL;
		if (!got || !json_equal(got, args))
			abort();
		json_decref(got);
	}
	free(b.p);
	itab_free(&t);
	json_decref(args);
	return 0;
}
