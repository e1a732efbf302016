/*
 * err.c: how the credential library reports a failure (a sentence in a
 * struct cred_err, with OpenSSL's own reason appended where it has one) and
 * the small formatting helpers those sentences use.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "cred/cred.h"

static int	 vseterr(struct cred_err *, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

int
cred_seterr(struct cred_err *err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vseterr(err, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
cred_setsslerr(struct cred_err *err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vseterr(err, 1, fmt, ap);
	va_end(ap);
	return -1;
}

static int
vseterr(struct cred_err *err, int ssl, const char *fmt, va_list ap)
{
	unsigned long	 e;
	size_t		 len;
	char		 buf[256];

	if (err == NULL) {
		ERR_clear_error();
		return -1;
	}
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	/* The innermost OpenSSL error is the most specific one. */
	if (ssl && (e = ERR_peek_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		len = strlen(err->msg);
		snprintf(err->msg + len, sizeof(err->msg) - len, " (%s)",
		    ERR_reason_error_string(e) != NULL ?
		    ERR_reason_error_string(e) : buf);
	}
	ERR_clear_error();
	return -1;
}

const char *
cred_an(const char *word)
{
	return word[0] != '\0' && strchr("aeiou", word[0]) != NULL ? "an" : "a";
}

const char *
cred_basename(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

char *
cred_fmt_time(int64_t t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, len, "%lld", (long long)t);
		return buf;
	}
	if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0)
		strftime(buf, len, "%Y-%m-%d", &tm);
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}
