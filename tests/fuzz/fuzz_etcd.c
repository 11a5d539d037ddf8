/* libFuzzer target: an answer of etcd's JSON gateway (etcd_answer_parse),
 * as a range, txn, lease or watch-stream line brings it.  Checks: no crash
 * or leak; every key handed on is NUL-free and non-empty, every value
 * within its length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdp/io/etcd_json.h"

static void check_kv(const struct etcd_kv *kv)
{
	if (!kv->key[0] || (kv->value_len && !kv->value))
		abort();
	volatile char sink = kv->value_len ? kv->value[kv->value_len - 1] : 0;
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_answer a;

	if (etcd_answer_parse((const char *)data, size, &a))
		return 0;
	for (size_t i = 0; i < a.nkvs; i++)
		check_kv(&a.kvs[i]);
	for (size_t i = 0; i < a.nevents; i++)
		check_kv(&a.events[i].kv);
	etcd_answer_free(&a);
	return 0;
}
