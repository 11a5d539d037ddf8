/* String-keyed chained hash map (FNV-1a), grown at load factor 1. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profiles/regmap.h"

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

void reg_map_init(struct reg_map *m)
{
	memset(m, 0, sizeof(*m));
}

void reg_map_fini(struct reg_map *m)
{
	for (size_t i = 0; i < m->nb; i++) {
		struct reg_map_ent *e = m->b[i], *nx;

		for (; e; e = nx) {
			nx = e->next;
			free(e);
		}
	}
	free(m->b);
	reg_map_init(m);
}

void *reg_map_get(const struct reg_map *m, const char *key)
{
	if (!m->nb)
		return NULL;
	for (struct reg_map_ent *e = m->b[hash(key) & (m->nb - 1)]; e; e = e->next)
		if (!strcmp(e->key, key))
			return e->val;
	return NULL;
}

static int grow(struct reg_map *m)
{
	size_t nb = m->nb ? m->nb * 2 : 16;
	struct reg_map_ent **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < m->nb; i++) {
		struct reg_map_ent *e = m->b[i], *nx;

		for (; e; e = nx) {
			size_t j = hash(e->key) & (nb - 1);

			nx = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
	return 0;
}

int reg_map_put(struct reg_map *m, const char *key, void *val)
{
	struct reg_map_ent *e;
	size_t j;

	if (reg_map_get(m, key))
		return -EEXIST;
	if (m->n >= m->nb && grow(m) < 0)
		return -ENOMEM;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	j = hash(key) & (m->nb - 1);
	e->key = key;
	e->val = val;
	e->next = m->b[j];
	m->b[j] = e;
	m->n++;
	return 0;
}

void *reg_map_del(struct reg_map *m, const char *key)
{
	struct reg_map_ent **pp;

	if (!m->nb)
		return NULL;
	for (pp = &m->b[hash(key) & (m->nb - 1)]; *pp; pp = &(*pp)->next) {
		struct reg_map_ent *e = *pp;

		if (!strcmp(e->key, key)) {
			void *v = e->val;

			*pp = e->next;
			free(e);
			m->n--;
			return v;
		}
	}
	return NULL;
}

struct kv {
	const char *key;
	void *val;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

void **reg_map_sorted(const struct reg_map *m, size_t *n)
{
	struct kv *kv;
	void **out;
	size_t k = 0;

	*n = 0;
	if (!m->n)
		return NULL;
	kv = malloc(m->n * sizeof(*kv));
	out = malloc(m->n * sizeof(*out));
	if (!kv || !out) {
		free(kv);
		free(out);
		return NULL;
	}
	for (size_t i = 0; i < m->nb; i++)
		for (struct reg_map_ent *e = m->b[i]; e; e = e->next)
			kv[k++] = (struct kv){ e->key, e->val };
	qsort(kv, k, sizeof(*kv), kv_cmp);
	for (size_t i = 0; i < k; i++)
		out[i] = kv[i].val;
	free(kv);
	*n = k;
	return out;
}
