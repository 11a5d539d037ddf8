/* See log.h. */
#include "vdp/base/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *log_ident = "vdpd";
static enum log_target log_target = LOG_TO_STDERR;
static int log_level = LOG_INFO;

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "error",
	[LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

static const char *const target_names[] = {
	[LOG_TO_STDERR] = "stderr",
	[LOG_TO_SYSLOG] = "syslog",
	[LOG_TO_JOURNAL] = "journal",
	[LOG_TO_AUTO] = "auto",
};

int log_target_parse(const char *s)
{
	for (int i = LOG_TO_STDERR; i <= LOG_TO_AUTO; i++)
		if (strcmp(s, target_names[i]) == 0)
			return i;
	return -1;
}

const char *log_target_name(enum log_target t)
{
	return t <= LOG_TO_AUTO ? target_names[t] : "?";
}

/* JOURNAL_STREAM is "DEV:INODE" of the journal's stream; it is inherited,
 * so only a stderr that is that stream counts. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
		(unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

enum log_target log_target_auto(bool foreground, const char *devlog)
{
	struct stat st;

	if (stderr_is_journal() || (!foreground && getenv("INVOCATION_ID")))
		return LOG_TO_JOURNAL;
	if (foreground)
		return LOG_TO_STDERR;
	if (devlog && stat(devlog, &st) == 0 && S_ISSOCK(st.st_mode))
		return LOG_TO_SYSLOG;
	return LOG_TO_STDERR;
}

enum log_target log_get_target(void)
{
	return log_target;
}

void log_init(const char *ident, enum log_target target, int level)
{
	if (log_target == LOG_TO_SYSLOG && target != LOG_TO_SYSLOG)
		closelog();
	log_ident = ident;
	log_target = target;
	log_level = level;
	if (target == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

int log_level_parse(const char *s)
{
	char *end;
	long v;

	for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARNING;
	v = strtol(s, &end, 10);
	if (*s && !*end && v >= LOG_ERR && v <= LOG_DEBUG)
		return (int)v;
	return -1;
}

const char *log_level_name(int level)
{
	if (level < LOG_EMERG || level > LOG_DEBUG)
		return "?";
	return level_names[level];
}

void log_vmsg(int level, const char *tag, const char *fmt, va_list ap)
{
	char buf[1024];

	if (level > log_level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	switch (log_target) {
	case LOG_TO_SYSLOG:
		if (tag)
			syslog(level, "%s: %s", tag, buf);
		else
			syslog(level, "%s", buf);
		break;
	case LOG_TO_JOURNAL:
		fprintf(stderr, "<%d>%s%s%s\n", level, tag ? tag : "", tag ? ": " : "", buf);
		break;
	case LOG_TO_AUTO:
	case LOG_TO_STDERR: {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s[%s] %s%s%s\n", when, ts.tv_nsec / 1000000, log_ident,
			log_level_name(level), tag ? tag : "", tag ? ": " : "", buf);
		break;
	}
	}
}

void log_msg(int level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, tag, fmt, ap);
	va_end(ap);
}
