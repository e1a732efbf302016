/*
 * results.c: -o DIR, results a researcher can keep (docs/results.md).
 *
 *   DIR/run.json        the run: version, command line, config, mode, the
 *                       ExpExec entries, start; rewritten at exit with the
 *                       end and the totals
 *   DIR/sessions.jsonl  one JSON object per session, appended with one
 *                       write() the moment the session is over, so a crash
 *                       or a forced end loses no finished session
 *   DIR/sNN-ADDR.out    the mlet's stdout and stderr, per session
 *   DIR/sNN-ADDR.err    (singleton.out, singleton.err with -s)
 *   DIR/sNN-ADDR.pcap   --trace, written by trace.c
 *
 * JSON goes through jansson (Debian's libjansson): escaping and number
 * formatting are its business, not hand-written printf.  Nothing here
 * changes what a peer sees.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "util/log.h"
#include "util/util.h"
#include "conf/addr.h"
#include "conf/xpconf.h"
#include "cred/cred.h"
#include "xpmgr/daemon.h"

#define RUN_JSON	"run.json"
#define SESSIONS_JSONL	"sessions.jsonl"

struct xp_results {
	char		*dir;
	int		 dfd;		/* the folder, O_PATH-like for *at() */
	int		 jsonl;		/* sessions.jsonl, O_APPEND */
	unsigned	 run;		/* 1 for a fresh folder, counts up with --append */
	struct timespec	 t_start;	/* CLOCK_REALTIME */
	uint64_t	 nrecords;
	uint64_t	 nwrite_errors;
};

/* What a record needs from the TLS session, taken while it exists. */
struct xp_sess_info {
	char		 version[16];
	char		 cipher[64];
	char		 keyid[2 * CRED_KEYID_LEN + 1];	/* "" when no certificate */
	char		 sni[PL_SNIKEY_MAX + 2];
	int		 has_sni;
};

static int	 mkdir_p(const char *path, char *why, size_t whylen);
static int	 earlier_run(struct xp_results *r, int append, uint64_t *maxsid,
		    char *why, size_t whylen);
static void	 scan_sids(struct xp_results *r, uint64_t *maxsid);
static int	 write_run(struct xpd *d, int final);
static json_t	*jtime(const struct timespec *ts);
static json_t	*jstats(const uint64_t msgs[2], const uint64_t bytes[2]);
static void	 out_name(const struct session *s, const char *ext, char *out,
		    size_t outlen);

int
xp_results_open(struct xpd *d, char *why, size_t whylen)
{
	const struct xpmgr_conf	*c = d->conf;
	struct xp_results	*r;
	uint64_t		 maxsid = 0;

	if (c->output_dir == NULL)
		return 0;
	if (mkdir_p(c->output_dir, why, whylen) == -1)
		return -1;
	r = xcalloc(1, sizeof(*r));
	r->dir = xstrdup(c->output_dir);
	r->jsonl = -1;
	r->run = 1;
	clock_gettime(CLOCK_REALTIME, &r->t_start);
	if ((r->dfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "-o %s: %s", r->dir, strerror(errno));
		goto fail;
	}
	if (earlier_run(r, c->out_append, &maxsid, why, whylen) == -1)
		goto fail;
	r->jsonl = openat(r->dfd, SESSIONS_JSONL, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0600);
	if (r->jsonl == -1) {
		snprintf(why, whylen, "-o %s: %s: %s", r->dir, SESSIONS_JSONL,
		    strerror(errno));
		goto fail;
	}
	d->res = r;
	/* Session ids stay unique across the runs a folder holds (file names). */
	if (maxsid > d->next_sid)
		d->next_sid = maxsid;
	if (write_run(d, 0) == -1) {
		snprintf(why, whylen, "-o %s: cannot write %s: %s", r->dir, RUN_JSON,
		    strerror(errno));
		d->res = NULL;
		goto fail;
	}
	log_info("results in %s (run %u%s%s)", r->dir, r->run,
	    c->trace ? ", message traces" : "",
	    maxsid > 0 ? ", after earlier runs" : "");
	return 0;
fail:
	if (r->jsonl != -1)
		close(r->jsonl);
	if (r->dfd != -1)
		close(r->dfd);
	free(r->dir);
	free(r);
	return -1;
}

/* Create path and missing parents, each new folder 0700. */
static int
mkdir_p(const char *path, char *why, size_t whylen)
{
	char		*p = xstrdup(path), *q;
	struct stat	 sb;
	int		 r = 0;

	for (q = p + 1; r == 0; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char	 save = *q;

		*q = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			snprintf(why, whylen, "-o %s: cannot create %s: %s", path, p,
			    strerror(errno));
			r = -1;
		}
		*q = save;
		if (save == '\0')
			break;
	}
	if (r == 0 && stat(path, &sb) == -1) {
		snprintf(why, whylen, "-o %s: %s", path, strerror(errno));
		r = -1;
	} else if (r == 0 && !S_ISDIR(sb.st_mode)) {
		snprintf(why, whylen, "-o %s: not a folder", path);
		r = -1;
	}
	free(p);
	return r;
}

/*
 * A folder with run.json or sessions.jsonl holds an earlier run: refused
 * without --append.  With it, the earlier run.json is kept as run-N.json
 * and this run numbers its sessions after every id the folder knows.
 */
static int
earlier_run(struct xp_results *r, int append, uint64_t *maxsid, char *why,
    size_t whylen)
{
	struct stat	 sb;
	json_t		*old, *v;
	json_error_t	 je;
	int		 has_run, has_jsonl, fd;
	char		 keep[64];
	FILE		*f;
	char		 line[8192];

	has_run = fstatat(r->dfd, RUN_JSON, &sb, 0) == 0;
	has_jsonl = fstatat(r->dfd, SESSIONS_JSONL, &sb, 0) == 0;
	if (!has_run && !has_jsonl)
		return 0;
	if (!append) {
		snprintf(why, whylen, "-o %s: the folder holds an earlier run (%s); "
		    "give --append to add this run to it, or choose another folder",
		    r->dir, has_run ? RUN_JSON : SESSIONS_JSONL);
		return -1;
	}
	if (has_run) {
		fd = openat(r->dfd, RUN_JSON, O_RDONLY | O_CLOEXEC);
		old = fd != -1 ? json_loadfd(fd, 0, &je) : NULL;
		if (fd != -1)
			close(fd);
		if (old == NULL) {
			snprintf(why, whylen, "-o %s: %s:%d: %s", r->dir, RUN_JSON,
			    fd != -1 ? je.line : 0, fd != -1 ? je.text : strerror(errno));
			return -1;
		}
		v = json_object_get(old, "run");
		r->run = json_is_integer(v) && json_integer_value(v) > 0 ?
		    (unsigned)json_integer_value(v) : 1;
		json_decref(old);
		snprintf(keep, sizeof(keep), "run-%u.json", r->run);
		if (renameat(r->dfd, RUN_JSON, r->dfd, keep) == -1) {
			snprintf(why, whylen, "-o %s: cannot keep %s as %s: %s", r->dir,
			    RUN_JSON, keep, strerror(errno));
			return -1;
		}
		r->run++;
	}
	/* The highest session id of sessions.jsonl and of the file names. */
	if (has_jsonl && (fd = openat(r->dfd, SESSIONS_JSONL, O_RDONLY |
	    O_CLOEXEC)) != -1 && (f = fdopen(fd, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if ((old = json_loads(line, 0, &je)) == NULL)
				continue;
			v = json_object_get(old, "session");
			if (json_is_integer(v) && (uint64_t)json_integer_value(v) > *maxsid)
				*maxsid = (uint64_t)json_integer_value(v);
			v = json_object_get(old, "run");
			if (json_is_integer(v) && json_integer_value(v) >= r->run)
				r->run = (unsigned)json_integer_value(v) + 1;
			json_decref(old);
		}
		fclose(f);
	}
	scan_sids(r, maxsid);
	return 0;
}

static void
scan_sids(struct xp_results *r, uint64_t *maxsid)
{
	DIR		*dp;
	struct dirent	*de;
	unsigned long long id;
	int		 fd;

	if ((fd = dup(r->dfd)) == -1 || (dp = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(dp)) != NULL)
		if (sscanf(de->d_name, "s%llu-", &id) == 1 && id > *maxsid)
			*maxsid = id;
	closedir(dp);
}

/* "2026-12-05T19:02:03.456Z" */
static json_t *
jtime(const struct timespec *ts)
{
	struct tm	 tm;
	char		 buf[40];
	size_t		 n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", ts->tv_nsec / 1000000);
	return json_string(buf);
}

static json_t *
jstats(const uint64_t msgs[2], const uint64_t bytes[2])
{
	return json_pack("{s:{s:I,s:I},s:{s:I,s:I}}",
	    "endpoint_to_mlet", "messages", (json_int_t)msgs[XP_EP2ML],
	    "bytes", (json_int_t)bytes[XP_EP2ML],
	    "mlet_to_endpoint", "messages", (json_int_t)msgs[XP_ML2EP],
	    "bytes", (json_int_t)bytes[XP_ML2EP]);
}

/* Write obj to DIR/name through a temporary file and a rename. */
static int
write_json_file(struct xp_results *r, const char *name, json_t *obj)
{
	char	 tmp[64];
	int	 fd, e;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(r->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (json_dumpfd(obj, fd, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == -1 ||
	    write(fd, "\n", 1) != 1) {
		e = errno;
		close(fd);
		unlinkat(r->dfd, tmp, 0);
		errno = e;
		return -1;
	}
	if (close(fd) == -1 || renameat(r->dfd, tmp, r->dfd, name) == -1)
		return -1;
	return 0;
}

static int
write_run(struct xpd *d, int final)
{
	const struct xpmgr_conf		*c = d->conf;
	const struct xpmgr_expexec	*e;
	struct xp_results		*r = d->res;
	struct timespec			 now;
	json_t				*o, *a, *x, *l;
	char				 addr[300], hex[2 * PL_CHANNEL_MAX + 1];
	size_t				 i, k;
	int				 rc;

	o = json_object();
	json_object_set_new(o, "program", json_string("pktxpmgr"));
	json_object_set_new(o, "version", json_string(PKTXP_VERSION));
	json_object_set_new(o, "run", json_integer(r->run));
	a = json_array();
	for (i = 0; c->cmdline != NULL && c->cmdline[i] != NULL; i++)
		json_array_append_new(a, json_string(c->cmdline[i]));
	json_object_set_new(o, "command_line", a);
	json_object_set_new(o, "config", json_string(c->path != NULL ? c->path : ""));
	json_object_set_new(o, "mode", json_string(c->proxy_mode ? "proxy" : "passive"));
	json_object_set_new(o, "singleton", json_boolean(c->singleton));
	pl_addr_fmt(&c->listen, addr, sizeof(addr));
	json_object_set_new(o, "address", json_string(addr));
	json_object_set_new(o, "mlet", json_string(c->mlet));
	json_object_set_new(o, "trace", json_boolean(c->trace));
	json_object_set_new(o, "attempt_limit", c->max_attempts == UINT64_MAX ?
	    json_null() : json_integer((json_int_t)c->max_attempts));
	a = json_array();
	for (k = 0; k < c->nexp; k++) {
		e = &c->exp[k];
		x = json_object();
		json_object_set_new(x, "line", json_integer(e->line));
		json_object_set_new(x, "sni_key", json_string(e->snikey));
		json_object_set_new(x, "default", json_boolean(e->is_default));
		l = json_array();
		for (i = 0; i < e->chain.n; i++)
			json_array_append_new(l, json_string(e->chain.v[i]));
		json_object_set_new(x, "chain", l);
		l = json_array();
		for (i = 0; i < e->nchan; i++)
			json_array_append_new(l, json_string(pl_hex(e->chan[i].id,
			    e->chan[i].len, hex)));
		json_object_set_new(x, "channels", l);
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "expexec", a);
	json_object_set_new(o, "start", jtime(&r->t_start));
	if (final) {
		clock_gettime(CLOCK_REALTIME, &now);
		json_object_set_new(o, "end", jtime(&now));
		json_object_set_new(o, "totals", json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}",
		    "connections", (json_int_t)d->nconn,
		    "started", (json_int_t)d->nstarted,
		    "ended_normally", (json_int_t)d->nok,
		    "failed", (json_int_t)d->nfail,
		    "dropped", (json_int_t)d->ndropped,
		    "relayed", jstats(d->done_msgs, d->done_bytes)));
		json_object_set_new(o, "sessions_recorded", json_integer(
		    (json_int_t)r->nrecords));
		json_object_set_new(o, "exit_status", json_integer(d->exit_code));
	} else
		json_object_set_new(o, "end", json_null());
	rc = write_json_file(r, RUN_JSON, o);
	json_decref(o);
	return rc;
}

void
xp_results_close(struct xpd *d)
{
	struct xp_results	*r = d->res;

	if (r == NULL)
		return;
	if (write_run(d, 1) == -1)
		log_warn("%s/%s: cannot rewrite it with the totals", r->dir, RUN_JSON);
	if (r->nwrite_errors > 0)
		log_warnx("%s/%s: %llu session record(s) could not be written", r->dir,
		    SESSIONS_JSONL, (unsigned long long)r->nwrite_errors);
	close(r->jsonl);
	close(r->dfd);
	free(r->dir);
	free(r);
	d->res = NULL;
}

/* "s12-192.0.2.7.out" */
static void
out_name(const struct session *s, const char *ext, char *out, size_t outlen)
{
	if (s == NULL)
		snprintf(out, outlen, "singleton.%s", ext);
	else
		snprintf(out, outlen, "s%llu-%s.%s", (unsigned long long)s->id,
		    s->epaddr[0] != '\0' ? s->epaddr : "unknown", ext);
}

int
xp_results_mlet_fds(struct xpd *d, const struct session *s, int fds[2], char *why,
    size_t whylen)
{
	static const char *const ext[2] = { "out", "err" };
	char	 name[XP_EPADDR_MAX + 40];
	int	 i;

	fds[0] = fds[1] = -1;
	if (d->res == NULL)
		return 0;
	for (i = 0; i < 2; i++) {
		out_name(s, ext[i], name, sizeof(name));
		fds[i] = openat(d->res->dfd, name, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0600);
		if (fds[i] == -1) {
			snprintf(why, whylen, "%s/%s: %s", d->res->dir, name, strerror(errno));
			xp_close_fds(fds);
			return -1;
		}
	}
	return 0;
}

void
xp_results_tls(struct session *s)
{
	struct xp_sess_info	*in;
	X509			*x;
	EVP_PKEY		*pk;
	uint8_t			 id[CRED_KEYID_LEN];
	char			 hex[2 * CRED_KEYID_LEN + 1], who[XP_EPADDR_MAX + 8];
	const char		*sni;

	/* The endpoint's own certificate: its key id is its identity across runs. */
	hex[0] = '\0';
	if ((x = SSL_get0_peer_certificate(s->ssl)) != NULL &&
	    (pk = X509_get0_pubkey(x)) != NULL && cred_keyid(pk, id) == 0)
		pl_hex(id, sizeof(id), hex);
	snprintf(who, sizeof(who), "addr %s", s->epaddr);
	xp_status_seen(s->d, hex[0] != '\0' ? hex : who);
	if (s->d->res == NULL)
		return;
	if (s->info == NULL)
		s->info = xcalloc(1, sizeof(*s->info));
	in = s->info;
	snprintf(in->version, sizeof(in->version), "%s", SSL_get_version(s->ssl));
	snprintf(in->cipher, sizeof(in->cipher), "%s", SSL_get_cipher_name(s->ssl));
	memcpy(in->keyid, hex, sizeof(hex));
	if ((sni = xp_tls_sni(s->ssl)) != NULL) {
		in->has_sni = 1;
		snprintf(in->sni, sizeof(in->sni), "%s", sni);
	}
	if (s->d->conf->trace)
		xp_trace_open(s, s->d->res->dir);
}

void
xp_results_session_free(struct session *s)
{
	xp_trace_close(s);
	free(s->info);
	s->info = NULL;
}

static json_t *
jmlet(const struct session *s)
{
	const struct xpmgr_conf	*c = s->d->conf;
	char			 out[XP_EPADDR_MAX + 40], err[XP_EPADDR_MAX + 40];
	char			 sig[32];
	json_t			*m;

	if (s->pid == 0 && !(c->singleton && s->counted))
		return json_null();
	out_name(s->pid != 0 ? s : NULL, "out", out, sizeof(out));
	out_name(s->pid != 0 ? s : NULL, "err", err, sizeof(err));
	m = json_pack("{s:o,s:b,s:s,s:s}",
	    "pid", s->pid != 0 ? json_integer(s->pid) :
	    json_integer(s->d->sg_pid),
	    "singleton", s->pid == 0,
	    "stdout", out, "stderr", err);
	if (s->pid != 0 && s->reaped && WIFEXITED(s->wstatus))
		json_object_set_new(m, "exit", json_integer(WEXITSTATUS(s->wstatus)));
	else if (s->pid != 0 && s->reaped && WIFSIGNALED(s->wstatus)) {
		json_object_set_new(m, "signal", json_integer(WTERMSIG(s->wstatus)));
		snprintf(sig, sizeof(sig), "SIG%s", sigabbrev_np(WTERMSIG(s->wstatus)) !=
		    NULL ? sigabbrev_np(WTERMSIG(s->wstatus)) : "?");
		json_object_set_new(m, "signal_name", json_string(sig));
	}
	return m;
}

void
xp_results_session_over(struct session *s, uint64_t ms)
{
	struct xpd			*d = s->d;
	struct xp_results		*r = d->res;
	const struct xpmgr_expexec	*e = NULL;
	const struct xp_sess_info	*in = s->info;
	struct timespec			 end;
	json_t				*o, *x;
	char				*text, trace[XP_EPADDR_MAX + 40], *port;
	size_t				 k, n;

	if (r == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &end);
	o = json_object();
	json_object_set_new(o, "run", json_integer(r->run));
	json_object_set_new(o, "session", json_integer((json_int_t)s->id));
	port = strrchr(s->peer, ':');
	json_object_set_new(o, "endpoint", json_pack("{s:s,s:o}", "address", s->epaddr,
	    "port", port != NULL ? json_integer(atoi(port + 1)) : json_null()));
	json_object_set_new(o, "endpoint_key_id", in != NULL && in->keyid[0] != '\0' ?
	    json_string(in->keyid) : json_null());
	json_object_set_new(o, "sni", in != NULL && in->has_sni ? json_string(in->sni) :
	    json_null());
	if (s->xe != NULL)
		for (k = 0; k < d->conf->nexp && e == NULL; k++)
			if (strcmp(d->conf->exp[k].snikey, s->xe->snikey) == 0)
				e = &d->conf->exp[k];
	json_object_set_new(o, "expexec", e == NULL ? json_null() :
	    json_pack("{s:s,s:i,s:b}", "sni_key", e->snikey, "line", (int)e->line,
	    "default", e->is_default));
	json_object_set_new(o, "start", jtime(&s->t_wall));
	json_object_set_new(o, "end", jtime(&end));
	json_object_set_new(o, "duration_ms", json_integer((json_int_t)ms));
	json_object_set_new(o, "tls", in == NULL ? json_null() :
	    json_pack("{s:s,s:s}", "version", in->version, "cipher", in->cipher));
	x = jstats(s->st.msgs, s->st.bytes);
	json_object_set_new(o, "relayed", x);
	json_object_set_new(o, "intercepted", jstats(s->icpt.msgs, s->icpt.bytes));
	json_object_set_new(o, "linfo", json_integer((json_int_t)s->st.linfo));
	json_object_set_new(o, "ended", json_pack("{s:s,s:s}",
	    "how", xp_end_name(s->reason.kind), "reason", s->reason.text));
	json_object_set_new(o, "mlet", jmlet(s));
	if (s->trace != NULL) {
		out_name(s, "pcap", trace, sizeof(trace));
		json_object_set_new(o, "trace", json_string(trace));
	} else
		json_object_set_new(o, "trace", json_null());

	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (text == NULL) {
		r->nwrite_errors++;
		return;
	}
	/* One write() of the whole line: O_APPEND keeps lines whole. */
	n = strlen(text);
	text[n] = '\n';
	if (write(r->jsonl, text, n + 1) != (ssize_t)(n + 1)) {
		log_cwarn(s->ctx, "%s/%s", r->dir, SESSIONS_JSONL);
		r->nwrite_errors++;
	} else
		r->nrecords++;
	free(text);
}
