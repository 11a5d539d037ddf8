/* Logging for the daemons: stderr in the foreground, syslog otherwise.
 * Levels are syslog's; a message above the configured level costs one
 * comparison.  Subsystem tags ("ctl", "link", "cfg") lead the text so logs
 * can be filtered. */
#ifndef VDP_LOG_H
#define VDP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

enum log_target {
	LOG_TO_STDERR,
	LOG_TO_SYSLOG,
};

/* ident: program name for syslog and the stderr prefix. */
void log_init(const char *ident, enum log_target target, int level);
void log_set_level(int level);
int log_get_level(void);
/* "error", "warning", "notice", "info", "debug" (or 3..7) -> LOG_*; -1 if unknown. */
int log_level_parse(const char *s);
const char *log_level_name(int level);

void log_msg(int level, const char *tag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *tag, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

#define log_err(tag, ...)	log_msg(LOG_ERR, tag, __VA_ARGS__)
#define log_warn(tag, ...)	log_msg(LOG_WARNING, tag, __VA_ARGS__)
#define log_notice(tag, ...)	log_msg(LOG_NOTICE, tag, __VA_ARGS__)
#define log_info(tag, ...)	log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...)	log_msg(LOG_DEBUG, tag, __VA_ARGS__)

#endif
