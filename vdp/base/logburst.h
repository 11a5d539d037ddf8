/* Per-VSI log lines in a burst become one line: "eth0: associated: 4096
 * VSIs in 0.8 s".  A daemon that associates thousands of VSIs a second
 * must not format and write a line for each (issue: vfprintf was 6 % of
 * vdpd's time in a batch), but a single VSI's event stays in the log as it
 * was.
 *
 * Lines are grouped by subject (an uplink) and what ("associated").  In
 * each window (one second) the first few of a group are written as they
 * come; the rest are counted, and when the window closes one line says how
 * many there were.  Right after a window that held lines back, the next
 * one writes none singly: a long burst gives one line a second per group.
 * At log level debug every line is written. */
#ifndef VDP_LOGBURST_H
#define VDP_LOGBURST_H

#include <stdbool.h>
#include <stdint.h>

struct vclock;
struct log_bursts;

#define LOG_BURST_WINDOW_US 1000000
#define LOG_BURST_SINGLES 8 /* lines written singly per window */

/* tag: the subsystem of the aggregate lines ("vdp").  NULL on ENOMEM. */
struct log_bursts *log_bursts_new(struct vclock *clk, const char *tag);
/* Writes what is still held back, then frees.  NULL is fine. */
void log_bursts_free(struct log_bursts *b);
/* One line about subject and what (a static string) at LOG_INFO is due:
 * true if the caller is to write it, false if it was counted instead. */
bool log_burst_admit(struct log_bursts *b, const char *subject, const char *what);
/* Closes the windows that are over (the timer calls it; tests too). */
void log_bursts_tick(struct log_bursts *b);

#endif
