/* Persistence of the run-time registry (everything not from vdpd.conf) in
 * one JSON file, /var/lib/vdpd/registry.json by default.
 *
 *   {"format":"vdpd-registry","version":1,"generation":N,
 *    "profiles":[...],...,"bindings":[...],"checksum":"crc32:xxxxxxxx"}
 *
 * The checksum is CRC-32 over the compact, key-sorted dump of the object
 * without "checksum", so a torn, truncated or hand-damaged file is noticed
 * even where it still parses.  Saving writes a temporary file in the same
 * directory, fsyncs it, renames it over the old one and fsyncs the
 * directory: after a crash the file is the old or the new version, never a
 * mix.  A file that fails any check is refused with a message naming the
 * file and the fault; it is never silently replaced by an empty registry
 * (the daemon refuses to start instead, and the operator decides). */
#ifndef VDP_STORE_H
#define VDP_STORE_H

#include <stdint.h>

#include "profiles/registry.h"

#define REG_STATE_DIR "/var/lib/vdpd"
#define REG_STATE_FILE "registry.json"
#define REG_STORE_FORMAT "vdpd-registry"
#define REG_STORE_VERSION 1

/* 0 or -errno with err->msg ("/var/lib/vdpd/registry.json: ..."). */
int reg_store_save(const struct reg *reg, const char *path, struct reg_err *err);

/* Adds the file's entries to reg (which may already hold config entries;
 * a state entry shadowed by a config entry of the same name is skipped and
 * counted in *skipped, may be NULL).  -ENOENT when the file does not exist
 * (a first start: the caller goes on with what it has); any other error
 * means the file was refused and reg may hold part of it: the caller must
 * not save over the file. */
int reg_store_load(struct reg *reg, const char *path, unsigned *skipped, struct reg_err *err);

/* The same on a buffer already read (path names it in messages). */
int reg_store_load_buf(struct reg *reg, const char *path, const char *buf, size_t len, unsigned *skipped,
		       struct reg_err *err);

/* Adds the run-time (not config) entries of src to dst, as a load would:
 * entries shadowed by a config entry of dst are skipped and counted; any
 * entry dst refuses is an error (used to try a configuration reload). */
int reg_store_copy_runtime(struct reg *dst, const struct reg *src, unsigned *skipped, struct reg_err *err);

uint32_t reg_crc32(const void *buf, size_t len);

#endif
