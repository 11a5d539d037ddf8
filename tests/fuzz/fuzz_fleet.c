/* libFuzzer target: the fleet key schema.  Input: a key, a newline, a
 * value (what an etcd range or watch hands vdpd).  Checks: no crash or
 * leak; a key that parses formats back to itself; a value that decodes
 * encodes to text that decodes to the same encoding (stable round trip). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/fleet_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char key[FLEET_KEY_MAX], buf[FLEET_KEY_MAX];
	struct fleet_key k;
	union fleet_value v, v2;
	struct reg_err err;
	size_t klen;
	char *a, *b;

	if (!nl || (klen = (size_t)(nl - data)) >= sizeof(key))
		return 0;
	memcpy(key, data, klen);
	key[klen] = 0;
	if (fleet_key_parse("/vdpd", key, &k, &err))
		return 0;
	if (fleet_key_format("/vdpd", &k, buf, sizeof(buf)) < 0 || strcmp(buf, key))
		abort();
	if (fleet_value_decode(&k, (const char *)nl + 1, size - klen - 1, &v, &err))
		return 0;
	a = fleet_value_encode(k.kind, &v);
	if (!a)
		abort();
	if (fleet_value_decode(&k, a, strlen(a), &v2, &err))
		abort();
	b = fleet_value_encode(k.kind, &v2);
	if (!b || strcmp(a, b))
		abort();
	free(a);
	free(b);
	return 0;
}
