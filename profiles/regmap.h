/* A string-keyed hash map for the registry: O(1) lookup of profiles,
 * networks, ports, attachments and bindings by name or UUID.  Keys are not
 * copied: each key points into the value it indexes, so the value must
 * outlive its entry (the registry removes the entry before freeing). */
#ifndef VDP_REGMAP_H
#define VDP_REGMAP_H

#include <stddef.h>

struct reg_map_ent {
	const char *key;
	void *val;
	struct reg_map_ent *next;
};

struct reg_map {
	struct reg_map_ent **b;
	size_t nb;		/* buckets, a power of two */
	size_t n;		/* entries */
};

void reg_map_init(struct reg_map *m);
/* Frees the entries, not the values. */
void reg_map_fini(struct reg_map *m);
void *reg_map_get(const struct reg_map *m, const char *key);
/* 0, -EEXIST when key is present, -ENOMEM. */
int reg_map_put(struct reg_map *m, const char *key, void *val);
/* Returns the removed value or NULL. */
void *reg_map_del(struct reg_map *m, const char *key);
/* Values in key order (malloc'd array of m->n pointers, caller frees;
 * NULL when empty or out of memory; *n gets the count).  Sorted so that
 * show output and the state file are stable across runs. */
void **reg_map_sorted(const struct reg_map *m, size_t *n);

#endif
