/* Logging for the daemons: stderr in the foreground, syslog otherwise,
 * the journal's stderr stream under systemd (log_target_auto).
 * Levels are syslog's; a message above the configured level costs one
 * comparison.  Subsystem tags ("ctl", "link", "cfg") lead the text so logs
 * can be filtered. */
#ifndef VDP_LOG_H
#define VDP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

enum log_target {
	LOG_TO_STDERR, /* "HH:MM:SS.mmm ident[level] tag: text" */
	LOG_TO_SYSLOG,
	LOG_TO_JOURNAL, /* stderr, "<N>tag: text": journald reads the priority (sd-daemon(3)) */
	LOG_TO_AUTO, /* only as a setting: log_target_auto() decides */
};

/* "auto", "syslog", "stderr", "journal" <-> LOG_TO_*; -1 if unknown. */
int log_target_parse(const char *s);
const char *log_target_name(enum log_target t);
/* Under systemd the journal: stderr is the stream JOURNAL_STREAM names, or
 * a daemon that did not fork has INVOCATION_ID; else stderr in the
 * foreground; else syslog when devlog (normally /dev/log) is a socket,
 * stderr when there is none (the logs would be lost). */
enum log_target log_target_auto(bool foreground, const char *devlog);
enum log_target log_get_target(void);

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
