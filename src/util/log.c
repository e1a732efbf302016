/*
 * log.c: formatting and output of log lines (see log.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char	*log_progname = "pktlab";
static int		 log_level = LOG_LVL_INFO;
static int		 log_timestamps = 1;

static const char *const level_label[] = {
	"FATAL", "WARN ", "INFO ", "DEBUG", "TRACE",
};

void
log_init(const char *progname, int level)
{
	const char	*slash;

	if (progname != NULL) {
		slash = strrchr(progname, '/');
		log_progname = slash != NULL ? slash + 1 : progname;
	}
	log_set_level(level);
}

void
log_set_level(int level)
{
	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_TRACE)
		level = LOG_LVL_TRACE;
	log_level = level;
}

void
log_set_timestamps(int on)
{
	log_timestamps = on;
}

void
log_vmsg(int level, const char *ctx, int with_errno, const char *fmt, va_list ap)
{
	char		 line[4096], stamp[40];
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved_errno = errno;
	size_t		 n = 0;
	int		 r;

	if (level > log_level)
		return;
	if (level < LOG_LVL_ERROR)
		level = LOG_LVL_ERROR;
	if (level > LOG_LVL_TRACE)
		level = LOG_LVL_TRACE;

	stamp[0] = '\0';
	if (log_timestamps) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		r = (int)strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + r, sizeof(stamp) - (size_t)r, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
	}
	r = snprintf(line, sizeof(line), "%s%s %s ", stamp, log_progname,
	    level_label[level]);
	if (r > 0)
		n = (size_t)r < sizeof(line) ? (size_t)r : sizeof(line) - 1;
	if (ctx != NULL && *ctx != '\0' && n < sizeof(line)) {
		r = snprintf(line + n, sizeof(line) - n, "[%s] ", ctx);
		if (r > 0)
			n += (size_t)r;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
	}
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (with_errno) {
		r = snprintf(line + n, sizeof(line) - n, ": %s",
		    strerror(saved_errno));
		if (r > 0)
			n += (size_t)r;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
	}
	/* Never let a peer's bytes break the one-line-per-event rule. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	fprintf(stderr, "%.*s\n", (int)n, line);
	fflush(stderr);
	errno = saved_errno;
}

#define LOG_BODY(level, ctx, err) do {			\
	va_list ap;					\
	va_start(ap, fmt);				\
	log_vmsg((level), (ctx), (err), fmt, ap);	\
	va_end(ap);					\
} while (0)

void log_warn(const char *fmt, ...)  { LOG_BODY(LOG_LVL_WARN, NULL, 1); }
void log_warnx(const char *fmt, ...) { LOG_BODY(LOG_LVL_WARN, NULL, 0); }
void log_info(const char *fmt, ...)  { LOG_BODY(LOG_LVL_INFO, NULL, 0); }
void log_debug(const char *fmt, ...) { LOG_BODY(LOG_LVL_DEBUG, NULL, 0); }
void log_trace(const char *fmt, ...) { LOG_BODY(LOG_LVL_TRACE, NULL, 0); }

void log_cwarn(const char *ctx, const char *fmt, ...)  { LOG_BODY(LOG_LVL_WARN, ctx, 1); }
void log_cwarnx(const char *ctx, const char *fmt, ...) { LOG_BODY(LOG_LVL_WARN, ctx, 0); }
void log_cinfo(const char *ctx, const char *fmt, ...)  { LOG_BODY(LOG_LVL_INFO, ctx, 0); }
void log_cdebug(const char *ctx, const char *fmt, ...) { LOG_BODY(LOG_LVL_DEBUG, ctx, 0); }

void log_fatalx(const char *fmt, ...) { LOG_BODY(LOG_LVL_ERROR, NULL, 0); }

void
fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, NULL, 1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERROR, NULL, 0);
	exit(1);
}
