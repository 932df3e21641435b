/* SPDX-License-Identifier: GPL-2.0 */
/* Logging: one line per event to stderr (dp/ routes libbpf's here). */
#ifndef XLB_LOG_H
#define XLB_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern enum log_level log_level;

void log_init(enum log_level level);
/* Also send each line to syslog (the agent does). */
void log_use_syslog(bool on);
void log_vprint(enum log_level level, const char *fmt, va_list ap);
void log_print(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(...) log_print(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...) log_print(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...) log_print(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* XLB_LOG_H */
