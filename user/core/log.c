// SPDX-License-Identifier: GPL-2.0
/* Logging to stderr (and syslog for the agent). */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "core/log.h"

enum log_level log_level = LOG_LVL_WARN;
static bool to_syslog;

void log_vprint(enum log_level level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list copy;

	if (level > log_level)
		return;
	if (to_syslog) {
		va_copy(copy, ap);
		vsyslog(prio[level], fmt, copy);
		va_end(copy);
	}
	vfprintf(stderr, fmt, ap);
}

void log_use_syslog(bool on)
{
	if (on && !to_syslog)
		openlog("xlb", LOG_PID, LOG_DAEMON);
	to_syslog = on;
}

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(level, fmt, ap);
	va_end(ap);
}

void log_init(enum log_level level)
{
	log_level = level;
}
