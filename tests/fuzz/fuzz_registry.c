/* libFuzzer target: the registry's three parsers of outside input.
 * First byte selects: 0 state file (checksum, strict entries, references),
 * 1 network hook XML, 2 qemu hook XML.  (The vdpd.conf registry group goes
 * through the same strict entry parsers; libconfig is left out because
 * bookworm's libconfig 1.5 leaks a string on some syntax errors.)  The
 * state-file path also recomputes the checksum, so that the strict entry
 * parsing behind it is reached, not only the checksum refusal.
 * Checks: no crash or leak; a state file that loaded re-saves to JSON that
 * loads again into an identical registry. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "profiles/hook.h"
#include "profiles/reg_json.h"
#include "profiles/store.h"

/* Gives the document a valid checksum (when it is a JSON object). */
static char *with_checksum(const uint8_t *data, size_t len, size_t *out_len)
{
	json_t *doc = json_loadb((const char *)data, len, 0, NULL);
	char *s, *out, sum[32];

	if (!json_is_object(doc)) {
		json_decref(doc);
		return NULL;
	}
	json_object_del(doc, "checksum");
	s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s) {
		json_decref(doc);
		return NULL;
	}
	snprintf(sum, sizeof(sum), "crc32:%08x", crc32_ieee(s, strlen(s)));
	free(s);
	json_object_set_new(doc, "checksum", json_string(sum));
	out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	*out_len = out ? strlen(out) : 0;
	return out;
}

static void state(const uint8_t *data, size_t len)
{
	struct reg *reg = reg_new(NULL, NULL), *again;
	struct reg_err err;
	size_t n = 0;
	char *fixed;

	reg_store_load_buf(reg, "fuzz", (const char *)data, len, NULL, &err);
	reg_free(reg);
	fixed = with_checksum(data, len, &n);
	if (!fixed)
		return;
	reg = reg_new(NULL, NULL);
	if (reg_store_load_buf(reg, "fuzz", fixed, n, NULL, &err) == 0) {
		json_t *a = reg_to_json(reg, true), *b;

		again = reg_new(NULL, NULL);
		{
			json_t *doc = reg_to_json(reg, false);
			char *s;

			json_object_set_new(doc, "format", json_string(REG_STORE_FORMAT));
			json_object_set_new(doc, "version", json_integer(REG_STORE_VERSION));
			s = json_dumps(doc, JSON_COMPACT);
			json_decref(doc);
			free(fixed);
			fixed = with_checksum((const uint8_t *)s, strlen(s), &n);
			free(s);
		}
		if (!fixed || reg_store_load_buf(again, "again", fixed, n, NULL, &err) != 0)
			abort();
		b = reg_to_json(again, true);
		if (!json_equal(a, b))
			abort();
		json_decref(a);
		json_decref(b);
		reg_free(again);
	}
	free(fixed);
	reg_free(reg);
}

static void hook(const char *object, const uint8_t *data, size_t len)
{
	static char *const net_args[] = { "net", "port-created", "begin", "-" };
	static char *const qemu_args[] = { "vm", "start", "begin", "-" };
	struct reg_hook_result res;
	struct reg_err err;

	if (reg_hook_parse(object, 4, object[0] == 'n' ? net_args : qemu_args, (const char *)data, len, &res,
			   &err) == 0)
		reg_hook_result_free(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		state(data + 1, size - 1);
		break;
	case 1:
		hook("network", data + 1, size - 1);
		break;
	case 2:
		hook("qemu", data + 1, size - 1);
		break;
	}
	return 0;
}
