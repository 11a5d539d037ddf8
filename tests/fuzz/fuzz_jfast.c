/* libFuzzer target: jfast_loadb() and jfast_dumps() against jansson.
 * Checks: both accept or both refuse the input (under both flag sets);
 * what they accept is the same value (json_equal); jfast_dumps() of it is
 * byte for byte json_dumps(JSON_COMPACT). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/base/jfast.h"

static void check(const uint8_t *data, size_t size, size_t flags)
{
	json_t *a = json_loadb((const char *)data, size, flags, NULL);
	json_t *b = jfast_loadb((const char *)data, size, flags, NULL);
	char *sa, *sb;
	size_t n = 0;

	if (!a != !b)
		abort();
	if (!a)
		return;
	if (!json_equal(a, b))
		abort();
	sa = json_dumps(a, JSON_COMPACT);
	sb = jfast_dumps(a, &n);
	if (!sa != !sb || (sa && (strcmp(sa, sb) != 0 || n != strlen(sa))))
		abort();
	free(sa);
	free(sb);
	json_decref(a);
	json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, JSON_REJECT_DUPLICATES);
	check(data, size, 0);
	return 0;
}
