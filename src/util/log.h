/*
 * log.h: one place decides how every program of the project logs.
 *
 * Lines go to stderr (stdout belongs to mlets), one line per event:
 *   2026-11-25T19:56:02.123Z pktxpmgr INFO  [s3 127.0.0.1 sni=abc] message
 * The bracketed context is optional: the log_c* variants take it first.
 * log_warn/fatal append ": strerror(errno)"; the *x variants do not.
 *
 * Level policy (docs/logging.md), the same in every program: an error that
 * ends the program is one FATAL line naming where (file:line, peer, path)
 * and why, never a WARN first and a FATAL after for the same event; WARN is
 * for what the program survives; INFO, DEBUG, TRACE for the rest.
 */
#ifndef PL_LOG_H
#define PL_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR = 0,	/* fatal */
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
	LOG_LVL_TRACE = 4,
};

#define PL_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define PL_NORETURN	__attribute__((noreturn))

/* progname appears on every line; level is the most verbose level shown. */
void	log_init(const char *progname, int level);
void	log_set_level(int level);
/* 0 to drop the timestamp (for tests comparing output); default 1. */
void	log_set_timestamps(int on);

void	log_warn(const char *fmt, ...) PL_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) PL_PRINTF(1, 2);
void	log_info(const char *fmt, ...) PL_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) PL_PRINTF(1, 2);
void	log_trace(const char *fmt, ...) PL_PRINTF(1, 2);
void	fatal(const char *fmt, ...) PL_PRINTF(1, 2) PL_NORETURN;
void	fatalx(const char *fmt, ...) PL_PRINTF(1, 2) PL_NORETURN;
/*
 * The FATAL line of fatalx without the exit, for a caller that frees what
 * it holds and then exits 1: the error must end the program.
 */
void	log_fatalx(const char *fmt, ...) PL_PRINTF(1, 2);

/* With a context string (session id, peer, SNI), shown in brackets. */
void	log_cwarn(const char *ctx, const char *fmt, ...) PL_PRINTF(2, 3);
void	log_cwarnx(const char *ctx, const char *fmt, ...) PL_PRINTF(2, 3);
void	log_cinfo(const char *ctx, const char *fmt, ...) PL_PRINTF(2, 3);
void	log_cdebug(const char *ctx, const char *fmt, ...) PL_PRINTF(2, 3);

/* The general form behind all of the above. */
void	log_vmsg(int level, const char *ctx, int with_errno, const char *fmt,
	    va_list ap) PL_PRINTF(4, 0);

#endif /* PL_LOG_H */
