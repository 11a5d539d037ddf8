/* One daemon per state file.  Two vdpd on one registry or intents file
 * each believe their view, and whichever saves last silently throws the
 * other's acknowledged changes away.  So the file is locked for the
 * daemon's life: an open file description lock (F_OFD_SETLK) on a
 * companion FILE.lock, because the file itself is replaced by rename at
 * every snapshot and a lock on it would stay with the old inode.  The lock
 * is released by the kernel when the daemon exits, however it exits; the
 * companion file is left in place (removing it would race with the next
 * daemon taking it).  OFD locks report no owner (F_OFD_GETLK gives pid
 * -1), so the holder writes its pid into the companion file. */
#ifndef VDP_STORE_LOCK_H
#define VDP_STORE_LOCK_H

#include <stddef.h>

/* Locks FILE.lock and writes the caller's pid into it.  The fd (>= 0,
 * close-on-exec) to keep for as long as the file is ours; -EBUSY when
 * another process holds it, err then saying "FILE is in use by pid N
 * (lock FILE.lock)" (pid from the lock file, "an unknown pid" when it has
 * none); other -errno with err filled. */
int store_lock(const char *file, char *err, size_t errlen);
/* Releases a lock taken by store_lock (fd < 0 is ignored). */
void store_unlock(int fd);
/* After fork (detaching): the child still holds the locks, the pid in the
 * files is the parent's; this writes the current one into every lock
 * file this process holds. */
void store_locks_repid(void);

#endif
