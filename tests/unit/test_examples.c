/*
 * test_examples.c: the example mlets, the real programs from PL_MLET_DIR,
 * started the way pktxpmgr starts them (fd 0 a socketpair end, argv[0] the
 * basename, environment only EPADDR) against the scripted fake endpoint.
 * Checks the exact bytes each sends (protocol_vectors.txt section C, with
 * the loopback addresses the test passes), what it prints, and its exit
 * status; the error paths (error results, EOF, suspd, unexpected and
 * malformed messages, EPADDR missing); and test_single_mlet's hand-over.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "pktlab/mlet.h"
#include "pktlab/vmem.h"
#include "peer.h"
#include "vec.h"
#include "ctrun.h"

#define STEP_MS		5000
#define EXIT_MS		10000
#define LOOP		"127.0.0.1"
#define EPADDR_LOOP	"EPADDR=127.0.0.1"

/* One run of an example mlet against a scripted peer. */
struct run {
	struct peer		*peer;
	int			 child_end;
	struct peer_proc	 proc;
	int			 peer_result;
	int			 wait_result;	/* -1: had to be killed */
};

/* A byte string of the vectors and what the test passes instead. */
struct subst {
	const char	*from;		/* hex */
	const char	*to;		/* hex */
};

static struct vec_set	*vs;

static void	 setup(void);
static void	 teardown(void);
static void	 run_init(struct run *);
static void	 run_spawn(struct run *, const char *, const char *const *,
		    const char *, int);
static void	 run_mlet(struct run *, const char *, const char *const *, const char *,
		    int);
static void	 run_free(struct run *);
static void	 scripted(struct run *, const char *, const char *const *, const char *,
		    int);
static void	 check_lines(const char *, const char *, const char *);
static void	 check_exit(const struct run *, int);
static void	 check_peer(const struct run *);
static uint8_t	*replace_all(const uint8_t *, size_t, const struct subst *, size_t,
		    size_t *);
static void	 play(struct run *, const char *, const struct subst *, size_t);
static int	 children_of(pid_t);
static void	 read_all(int, char *, size_t);

static void
setup(void)
{
	vs = vec_load("protocol_vectors.txt");
	ck_assert_ptr_nonnull(vs);
	signal(SIGPIPE, SIG_IGN);
}

static void
teardown(void)
{
	vec_free(vs);
}

static void
run_init(struct run *r)
{
	int	 sv[2];

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(peer_socketpair(sv), 0);
	r->peer = peer_new(sv[0]);
	r->child_end = sv[1];
	r->proc.pid = -1;
}

/*
 * Start the mlet with the other end of the peer's socket as fd 0 (args
 * after argv[0], NULL-terminated; env "EPADDR=..." or NULL for none).
 */
static void
run_spawn(struct run *r, const char *name, const char *const *args, const char *env,
    int flags)
{
	char	*argv[16], *envp[2] = { (char *)(uintptr_t)env, NULL };
	char	*path = peer_mlet_path(name);
	size_t	 i;

	argv[0] = (char *)(uintptr_t)name;
	for (i = 0; args != NULL && args[i] != NULL && i < 14; i++)
		argv[i + 1] = (char *)(uintptr_t)args[i];
	argv[i + 1] = NULL;
	ck_assert_msg(peer_spawn(&r->proc, path, argv, envp, r->child_end, flags) == 0,
	    "spawn %s: %s", path, strerror(errno));
	free(path);
	close(r->child_end);
	r->child_end = -1;
}

/* Start it, play the script, wait for the exit.  A failed script closes
 * the socket so that the mlet ends and the failure can be reported. */
static void
run_mlet(struct run *r, const char *name, const char *const *args, const char *env,
    int flags)
{
	run_spawn(r, name, args, env, flags);
	r->peer_result = peer_run(r->peer, STEP_MS);
	if (r->peer_result != 0)
		shutdown(peer_fd(r->peer), SHUT_RDWR);
	r->wait_result = peer_wait(&r->proc, EXIT_MS);
}

static void
run_free(struct run *r)
{
	if (r->child_end != -1)
		close(r->child_end);
	peer_free(r->peer);
	peer_proc_free(&r->proc);
}

/* Line by line; an expected line may use fnmatch patterns ("*"). */
static void
check_lines(const char *what, const char *got, const char *want)
{
	const char	*g = got, *w = want, *gn, *wn;
	char		 gl[1024], wl[1024];
	unsigned	 line = 1;

	for (; *g != '\0' || *w != '\0'; line++) {
		gn = strchr(g, '\n');
		wn = strchr(w, '\n');
		ck_assert_msg(gn != NULL && wn != NULL, "%s line %u: got \"%s\", want "
		    "\"%s\"\n--- got:\n%s--- want:\n%s", what, line, g, w, got, want);
		snprintf(gl, sizeof(gl), "%.*s", (int)(gn - g), g);
		snprintf(wl, sizeof(wl), "%.*s", (int)(wn - w), w);
		ck_assert_msg(fnmatch(wl, gl, 0) == 0, "%s line %u: got \"%s\", want "
		    "\"%s\"\n--- got:\n%s--- want:\n%s", what, line, gl, wl, got, want);
		g = gn + 1;
		w = wn + 1;
	}
}

static void
check_exit(const struct run *r, int code)
{
	ck_assert_msg(r->wait_result == 0, "the mlet did not exit; stderr:\n%s",
	    r->proc.err);
	ck_assert_msg(r->proc.exited, "killed by signal %d; stderr:\n%s", r->proc.code,
	    r->proc.err);
	ck_assert_msg(r->proc.code == code, "exit %d, want %d; stderr:\n%s",
	    r->proc.code, code, r->proc.err);
}

static void
check_peer(const struct run *r)
{
	ck_assert_msg(r->peer_result == 0, "peer: %s\ntranscript:\n%s\nstderr:\n%s",
	    peer_error(r->peer), peer_log(r->peer), r->proc.err);
}

/* Each substitution applied everywhere; the header length follows. */
static uint8_t *
replace_all(const uint8_t *in, size_t len, const struct subst *s, size_t ns,
    size_t *outlen)
{
	uint8_t		*buf = malloc(len), *from, *to, *nb;
	size_t		 i, fl, tl, o;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, in, len);
	for (i = 0; i < ns; i++) {
		from = vec_unhex(s[i].from, &fl);
		to = vec_unhex(s[i].to, &tl);
		ck_assert(from != NULL && to != NULL && fl > 0);
		for (o = 0; o + fl <= len; o++) {
			if (memcmp(buf + o, from, fl) != 0)
				continue;
			nb = malloc(len - fl + tl);
			ck_assert_ptr_nonnull(nb);
			memcpy(nb, buf, o);
			memcpy(nb + o, to, tl);
			memcpy(nb + o + tl, buf + o + fl, len - o - fl);
			free(buf);
			buf = nb;
			len = len - fl + tl;
			o += tl - 1;
		}
		free(from);
		free(to);
	}
	pl_put32(buf, (uint32_t)buf[0] << 24 | (uint32_t)(len - 4));
	*outlen = len;
	return buf;
}

/* A section C transcript, the mlet's side rewritten with substitutions. */
static void
play(struct run *r, const char *name, const struct subst *s, size_t ns)
{
	const struct vec_transcript	*t = vec_transcript(vs, name);
	uint8_t				*b;
	size_t				 i, len;

	ck_assert_msg(t != NULL, "no transcript %s", name);
	for (i = 0; i < t->nmsg; i++) {
		if (!t->msg[i].from_mlet) {
			peer_send_bytes(r->peer, t->msg[i].bytes, t->msg[i].len);
			continue;
		}
		b = replace_all(t->msg[i].bytes, t->msg[i].len, s, ns, &len);
		peer_expect_bytes(r->peer, b, len);
		free(b);
	}
	ck_assert(t->mlet_eof);
	peer_expect_eof(r->peer);
}

START_TEST(test_dns_transcript)
{
	static const struct subst	 s[] = { { "08080808", "7f000001" } };
	static const char *const	 args[] = { "www.example.com", LOOP, NULL };
	struct run			 r;

	run_init(&r);
	play(&r, "test_dns", s, 1);
	run_mlet(&r, "test_dns", args, EPADDR_LOOP, 0);
	check_peer(&r);
	check_exit(&r, 0);
	check_lines("stdout", r.proc.out, "www.example.com is 93.184.216.34 (via 127.0.0.1)\n");
	check_lines("stderr", r.proc.err,
	    "> Endpoint address is 127.0.0.1\n"
	    "> PacketLab Measurement Applet: DNS query example (querying '127.0.0.1' "
	    "for domain 'www.example.com') using pktxpmgr\n"
	    ">> result msg id: 0\n>> result msg id: 0\n>> result msg id: 0\n"
	    "\n---->Results<----\nReceived data length: 49\n"
	    "Spent time (in ns) at endpoint: 12345678\n"
	    "Spent time (in ns) at controller: *\n"
	    "\n-->Content<--\n\n"
	    "be 15 81 80 00 01 00 01\n00 00 00 00 03 77 77 77\n"
	    "07 65 78 61 6d 70 6c 65\n03 63 6f 6d 00 00 01 00\n"
	    "01 c0 0c 00 01 00 01 00\n00 00 3c 00 04 5d b8 d8\n22\n"
	    "> Terminating\n");
	run_free(&r);
}
END_TEST

START_TEST(test_http_get_transcript)
{
	static const struct subst	 s[] = {
		{ "5db8d822", "7f000001" },
		{ "39332e3138342e3231362e3334", "3132372e302e302e31" },	/* Host: */
	};
	static const char *const	 args[] = { LOOP, "/", NULL };
	struct run			 r;

	run_init(&r);
	play(&r, "test_http_get", s, 2);
	run_mlet(&r, "test_http_get", args, EPADDR_LOOP, 0);
	check_peer(&r);
	check_exit(&r, 0);
	ck_assert_str_eq(r.proc.out, "HTTP/1.0 200 OK\r\n\r\nhello\n"
	    "\n(HTTP GET for 127.0.0.1/ via 127.0.0.1)\n");
	check_lines("stderr", r.proc.err,
	    "> PacketLab Measurement Applet: HTTP GET example for '127.0.0.1/' "
	    "using pktxpmgr\n"
	    "> Sending nopen msg\n>> Resolved IPv4 address: 127.0.0.1\n"
	    ">> result msg id: 0\n"
	    "> Sending nsend msg\n>> result msg id: 0\n"
	    ">> Got message type: 97\nnstat msg id 0\n"
	    ">> Got message type: 96\n>> Got message type: 98\n"
	    ">> Got message type: 97\nnstat msg id 3\n"
	    "> Sending nclose msg\n>> result msg id: 0\n"
	    "\n---->Results<----\nReceived data length: 24\n"
	    "Spent time (in ns) at endpoint: 1000\n"
	    "Spent time (in ns) at controller: *\n"
	    "\n-->Content<--\n\n");
	run_free(&r);
}
END_TEST

/*
 * The raw nsend's IPv4 header for 127.0.0.1, written out: TTL 30, ICMP,
 * checksum 0x0823 (header words sum to 0xf7dc; the same computation gives
 * the vector's 0x5149 for 93.184.216.34), source 0, destination 127.0.0.1.
 */
START_TEST(test_icmp_echo_transcript)
{
	static const struct subst	 s[] = {
		{ "1e015149000000005db8d822", "1e010823000000007f000001" },
		{ "5db8d822", "7f000001" },
	};
	static const char *const	 args[] = { LOOP, NULL };
	struct run			 r;

	run_init(&r);
	play(&r, "test_icmp_echo", s, sizeof(s) / sizeof(s[0]));
	run_mlet(&r, "test_icmp_echo", args, EPADDR_LOOP, 0);
	check_peer(&r);
	check_exit(&r, 0);
	check_lines("stdout", r.proc.out,
	    "Spent time (in ns) at endpoint (endpoint RTT): 5000\n"
	    "Spent time (in ns) at controller: *\n"
	    "\n(ICMP echo to 127.0.0.1 (127.0.0.1) via 127.0.0.1)\n");
	check_lines("stderr", r.proc.err,
	    "> Sending nopen msg\n>> Resolved IPv4 address: 127.0.0.1\n"
	    ">> result msg id: 0\n> Sending ncap msg\n>> result msg id: 0\n"
	    "> Sending nsend msg\n>> result msg id: 0\n"
	    "> Sending nclose msg\n>> result msg id: 0\n"
	    "45 00 00 1c 15 be 00 00\n1e 01 51 49 00 00 00 00\n"
	    "5d b8 d8 22 00 00 e2 41\n15 be 00 00\n"
	    "> Terminating\n");
	run_free(&r);
}
END_TEST

/* No EPADDR: the tutorial's message, exit 1, nothing sent. */
START_TEST(test_no_epaddr)
{
	static const char *const	 names[] = { "test_dns", "test_http_get",
					    "test_icmp_echo" };
	static const char *const	 args[] = { LOOP, NULL };
	struct run			 r;
	size_t				 i;

	for (i = 0; i < 3; i++) {
		run_init(&r);
		peer_expect_eof(r.peer);
		run_mlet(&r, names[i], args, NULL, 0);
		check_peer(&r);
		check_exit(&r, 1);
		ck_assert_str_eq(r.proc.err, "EPADDR not set (are you running this "
		    "mlet using pktxpmgr?)\n");
		ck_assert_str_eq(r.proc.out, "");
		run_free(&r);
	}
}
END_TEST

START_TEST(test_dns_bad_epaddr)
{
	static const char *const	 args[] = { "example.org", LOOP, NULL };
	struct run			 r;

	run_init(&r);
	peer_expect_eof(r.peer);
	run_mlet(&r, "test_dns", args, "EPADDR=not-an-ip", 0);
	check_peer(&r);
	check_exit(&r, 1);
	ck_assert_str_eq(r.proc.err, "> Endpoint address is not-an-ip\n"
	    "not-an-ip: not a valid IP address\n");
	run_free(&r);
}
END_TEST

#define HTTP_NOPEN	"mlet->ep 2a000013010406000010000000000000007f0000010050\n"
#define HTTP_NSEND	"mlet->ep 2c000030010406000000000000000004d2474554202f20485454502f" \
			"312e300d0a486f73743a203132372e302e302e310d0a0d0a\n"
#define HTTP_HEAD	"> PacketLab Measurement Applet: HTTP GET example for " \
			"'127.0.0.1/' using pktxpmgr\n> Sending nopen msg\n" \
			">> Resolved IPv4 address: 127.0.0.1\n"

/* Run name with args and EPADDR=127.0.0.1 against a script; check that
 * the script held and the exit status. */
static void
scripted(struct run *r, const char *name, const char *const *args,
    const char *script, int code)
{
	char	 why[256];

	run_init(r);
	ck_assert_msg(peer_script(r->peer, script, why, sizeof(why)) == 0, "%s", why);
	run_mlet(r, name, args, EPADDR_LOOP, 0);
	check_peer(r);
	check_exit(r, code);
}

/* test_http_get 127.0.0.1 / against a script; check the exit and stderr. */
static void
http_case(const char *script, int code, const char *err)
{
	static const char *const	 args[] = { LOOP, "/", NULL };
	struct run			 r;

	scripted(&r, "test_http_get", args, script, code);
	check_lines("stderr", r.proc.err, err);
	run_free(&r);
}

START_TEST(test_http_error_result)
{
	http_case(HTTP_NOPEN "ep->mlet 400000020032\nmlet EOF\n", 255,
	    HTTP_HEAD "result msg 50\n");
}
END_TEST

START_TEST(test_http_eof_waiting_result)
{
	http_case(HTTP_NOPEN "shut\nmlet EOF\n", 255,
	    HTTP_HEAD "error: nopen: endpoint closed the session\n");
}
END_TEST

START_TEST(test_http_eof_in_loop)
{
	http_case(HTTP_NOPEN "ep->mlet 40000000\n" HTTP_NSEND "ep->mlet 40000000\n"
	    "ep->mlet 6000000b0104d217979cfe3d85cd15\nshut\nmlet EOF\n", 255,
	    HTTP_HEAD ">> result msg id: 0\n> Sending nsend msg\n>> result msg id: 0\n"
	    ">> Got message type: 96\n"
	    "error: waiting for a message: endpoint closed the session\n");
}
END_TEST

START_TEST(test_http_suspd)
{
	http_case(HTTP_NOPEN "ep->mlet 40000000\n" HTTP_NSEND "ep->mlet 40000000\n"
	    "ep->mlet 68000000\nmlet EOF\n", 0,
	    HTTP_HEAD ">> result msg id: 0\n> Sending nsend msg\n>> result msg id: 0\n"
	    ">> Got message type: 104\nexperiment suspended\n> Terminating\n");
}
END_TEST

START_TEST(test_http_suspd_waiting_result)
{
	http_case(HTTP_NOPEN "ep->mlet 68000000\nshut\nmlet EOF\n", 255,
	    HTTP_HEAD ">> Got unexpected msg: 104, expecting 64\n"
	    "error: nopen: endpoint suspended the experiment (suspd): the session "
	    "is ending\n");
}
END_TEST

START_TEST(test_http_unexpected)
{
	http_case(HTTP_NOPEN "ep->mlet 9900000142\n"
	    "ep->mlet 6100001101040617979cfe3d85cd157f0000010050\nep->mlet 40000000\n"
	    HTTP_NSEND "ep->mlet 40000000\nep->mlet 2b00000101\nmlet EOF\n", 255,
	    HTTP_HEAD ">> Got unexpected msg: 153, expecting 64\n"
	    ">> Got unexpected msg: 97, expecting 64\n>> result msg id: 0\n"
	    "> Sending nsend msg\n>> result msg id: 0\n"
	    ">> Got message type: 43\nUnknown msg type 43\n");
}
END_TEST

START_TEST(test_http_malformed)
{
	http_case(HTTP_NOPEN "ep->mlet 40000000\n" HTTP_NSEND "ep->mlet 40000000\n"
	    "ep->mlet 62000003010406\nmlet EOF\n", 255,
	    HTTP_HEAD ">> result msg id: 0\n> Sending nsend msg\n>> result msg id: 0\n"
	    "error: waiting for a message: malformed message from pktxpmgr: *\n");
}
END_TEST

START_TEST(test_http_nblock_and_bad_socket)
{
	http_case(HTTP_NOPEN "ep->mlet 40000000\n" HTTP_NSEND "ep->mlet 40000000\n"
	    "ep->mlet 6400000d010406000517979cfe3d85cd15\n"
	    "ep->mlet 6200000d02040600000000000000016161\nmlet EOF\n", 255,
	    HTTP_HEAD ">> result msg id: 0\n> Sending nsend msg\n>> result msg id: 0\n"
	    ">> Got message type: 100\nnblock msg by monitor 0 with error code 5\n"
	    ">> Got message type: 98\nGot ndata from unknown socket\n");
}
END_TEST

START_TEST(test_http_bad_ntag)
{
	http_case(HTTP_NOPEN "ep->mlet 40000000\n" HTTP_NSEND "ep->mlet 40000000\n"
	    "ep->mlet 6000000d0104d217979cfe3d85cd150041\nmlet EOF\n", 255,
	    HTTP_HEAD ">> result msg id: 0\n> Sending nsend msg\n>> result msg id: 0\n"
	    ">> Got message type: 96\n"
	    "error: unexpected ntag (tag 1234, errid 65), expecting tag 1234\n");
}
END_TEST

#define DNS_NOPEN	"mlet->ep 2a00000d01041100001000000000000000\n"
#define DNS_HEAD	"> Endpoint address is 127.0.0.1\n> PacketLab Measurement " \
			"Applet: DNS query example (querying '127.0.0.1' for domain " \
			"'example.org') using pktxpmgr\n"

static void
dns_case(const char *script, int code, const char *err)
{
	static const char *const	 args[] = { "example.org", LOOP, NULL };
	struct run			 r;

	scripted(&r, "test_dns", args, script, code);
	check_lines("stderr", r.proc.err, err);
	run_free(&r);
}

START_TEST(test_dns_non_result)
{
	dns_case(DNS_NOPEN "ep->mlet 6000000b0104d217979cfe3d85cd15\nep->mlet 40000000\n"
	    "mlet EOF\n", 255, DNS_HEAD "Got non-result msg: 96\n");
}
END_TEST

START_TEST(test_dns_error_result)
{
	dns_case(DNS_NOPEN "ep->mlet 400000020035\nmlet EOF\n", 255,
	    DNS_HEAD "result msg 53\n");
}
END_TEST

/* NXDOMAIN, and a reply the DNS reader must reject. */
START_TEST(test_dns_answers)
{
	static const char *const	 args[] = { "nx.example", LOOP, NULL };
	static const char	 nsend[] = "mlet->ep 2c00002f010411000000000000000004d2"
	    "7f0000010035be150100000100000000000002"
	    "6e78076578616d706c650000010001\n";
	struct run		 r;
	char			 script[1024];

	snprintf(script, sizeof(script), "%sep->mlet 40000000\n%sep->mlet 40000000\n"
	    "ep->mlet 6200002d01041117979cfe3e422e637f0000010035"
	    "be1581830001000000000000026e78076578616d706c650000010001\n"
	    "mlet->ep 2b00000101\nep->mlet 40000000\nmlet EOF\n", DNS_NOPEN, nsend);
	scripted(&r, "test_dns", args, script, 0);
	ck_assert_str_eq(r.proc.out, "nx.example does not exist (via 127.0.0.1)\n");
	run_free(&r);

	/* An answer whose name points at itself. */
	snprintf(script, sizeof(script), "%sep->mlet 40000000\n%sep->mlet 40000000\n"
	    "ep->mlet 6200002d01041117979cfe3e422e637f0000010035"
	    "be1581800000000100000000" "c00c" "0001000100000000000401020304\n"
	    "mlet->ep 2b00000101\nep->mlet 40000000\nmlet EOF\n", DNS_NOPEN, nsend);
	scripted(&r, "test_dns", args, script, 0);
	ck_assert_str_eq(r.proc.out, "");
	ck_assert_ptr_nonnull(strstr(r.proc.err, "Malformed DNS packet ("));
	ck_assert_ptr_nonnull(strstr(r.proc.err, "dns.h:"));
	run_free(&r);
}
END_TEST

START_TEST(test_icmp_suspd)
{
	static const char *const	 args[] = { LOOP, NULL };
	struct run			 r;

	scripted(&r, "test_icmp_echo", args, "mlet->ep type 2a\nep->mlet 40000000\n"
	    "mlet->ep type 2d\nep->mlet 40000000\nmlet->ep type 2c\nep->mlet 40000000\n"
	    "ep->mlet 6000000b0104d217979cfe3d85cd15\nep->mlet 68000000\nmlet EOF\n", 0);
	ck_assert_ptr_nonnull(strstr(r.proc.err, ">> result msg id: 0\n"
	    "experiment suspended\n> Terminating\n"));
	ck_assert_str_eq(r.proc.out, "");
	run_free(&r);
}
END_TEST

START_TEST(test_fd_open_and_closed)
{
	struct run	 r;

	run_init(&r);
	peer_expect_eof(r.peer);
	run_mlet(&r, "test_fd", NULL, EPADDR_LOOP, 0);
	check_peer(&r);
	check_exit(&r, 0);
	ck_assert_str_eq(r.proc.err, "fd 0 is open\nfd 1 is open\n");
	run_free(&r);

	run_init(&r);
	peer_expect_eof(r.peer);
	run_mlet(&r, "test_fd", NULL, NULL, PEER_CLOSE_STDOUT);
	check_exit(&r, 0);
	ck_assert_str_eq(r.proc.err, "fd 0 is open\nfd 1 is not available (Bad file "
	    "descriptor)\n");
	run_free(&r);
}
END_TEST

START_TEST(test_my_first_mlet)
{
	struct run	 r;
	char		 why[256];
	uint8_t		 md[8 + 0x100];

	/* mdata for the 256-byte HOSTID field: "lab-3", NUL-padded. */
	memset(md, 0, sizeof(md));
	pl_put32(md, (uint32_t)PL_MDATA << 24 | (4 + 0x100));
	pl_put32(md + 4, PL_SP_HOSTID);
	memcpy(md + 8, "lab-3", 5);
	run_init(&r);
	peer_expect(r.peer, "28000006100300000100");
	peer_send_bytes(r.peer, md, sizeof(md));
	ck_assert_msg(peer_script(r.peer,
	    "mlet->ep 28000006100100000008\nep->mlet 4100000c10010000" "17979cfe3d85cd15\n"
	    "mlet->ep 28000006100000020004\nep->mlet 410000081000000200000006\n"
	    "mlet->ep 28000006100000000001\nep->mlet 410000051000000001\n"
	    "mlet->ep 28000006100001000008\nep->mlet 4100000c10000100c0000207ffffff00\n"
	    "mlet->ep 28000006100200000001\nep->mlet 410000051002000001\n"
	    "mlet->ep 28000006100200100004\nep->mlet 41000008100200107f000035\n"
	    "mlet EOF\n", why, sizeof(why)) == 0, "%s", why);
	run_mlet(&r, "my_first_mlet", NULL, "EPADDR=192.0.2.7", 0);
	check_peer(&r);
	check_exit(&r, 0);
	ck_assert_str_eq(r.proc.out,
	    "endpoint 192.0.2.7 (host id \"lab-3\"), clock 1700000000.123456789\n"
	    "transports: tcp udp\n"
	    "local IPv4 address: 192.0.2.7/255.255.255.0\n"
	    "DNS server: 127.0.0.53\n");
	run_free(&r);
}
END_TEST

/* Number of (live or zombie) children of pid. */
static int
children_of(pid_t pid)
{
	char	 path[64], buf[512];
	FILE	*f;
	int	 n = 0;
	char	*tok, *save;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) != NULL)
		for (tok = strtok_r(buf, " \n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \n", &save))
			n++;
	fclose(f);
	return n;
}

/* Read fd to EOF into buf (NUL-terminated). */
static void
read_all(int fd, char *buf, size_t len)
{
	size_t	 o = 0;
	ssize_t	 n;

	while (o + 1 < len && (n = read(fd, buf + o, len - 1 - o)) > 0)
		o += (size_t)n;
	buf[o] = '\0';
}

/*
 * The singleton gets three endpoints; each child runs the shell, which
 * reports its $0 and EPADDR on its fd 0, i.e. on the socket the test
 * handed over.
 */
START_TEST(test_single_mlet_handover)
{
	static const char *const	 args[] = { "/bin/sh", "-c",
	    "printf '%s|%s|' \"$0\" \"${EPADDR-unset}\" >&0", NULL };
	static const char *const	 addrs[] = { "127.0.0.1", "::1", "" };
	struct run			 r;
	char				 got[256], want[256];
	int				 ep[2], i, n;

	run_init(&r);
	run_spawn(&r, "test_single_mlet", args, NULL, 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(peer_socketpair(ep), 0);
		ck_assert_int_eq(peer_handoff(peer_fd(r.peer), addrs[i],
		    strlen(addrs[i]) + 1, ep[1]), 0);
		close(ep[1]);
		read_all(ep[0], got, sizeof(got));
		close(ep[0]);
		snprintf(want, sizeof(want), "sh|%s|", addrs[i][0] ? addrs[i] : "unset");
		ck_assert_str_eq(got, want);
	}
	/* Every child exited; none may linger as a zombie. */
	for (n = 0; n < 200 && children_of(r.proc.pid) != 0; n++)
		usleep(10000);
	ck_assert_int_eq(children_of(r.proc.pid), 0);
	shutdown(peer_fd(r.peer), SHUT_WR);
	r.wait_result = peer_wait(&r.proc, EXIT_MS);
	check_exit(&r, 0);
	ck_assert_str_eq(r.proc.err, "Got new fd 3, spawning mlet\n"
	    "Got new fd 3, spawning mlet\nGot new fd 3, spawning mlet\n"
	    "Detected xpmgr EOF\n");
	run_free(&r);
}
END_TEST

/* The environment is exactly EPADDR: /usr/bin/env prints it on stdout. */
START_TEST(test_single_mlet_env)
{
	static const char *const	 args[] = { "/usr/bin/env", NULL };
	struct run			 r;
	int				 ep[2];
	char				 c;

	run_init(&r);
	run_spawn(&r, "test_single_mlet", args, NULL, 0);
	ck_assert_int_eq(peer_socketpair(ep), 0);
	ck_assert_int_eq(peer_handoff(peer_fd(r.peer), "192.0.2.7", 10, ep[1]), 0);
	close(ep[1]);
	ck_assert_int_eq(read(ep[0], &c, 1), 0);	/* env exited: fd 0 closed */
	close(ep[0]);
	shutdown(peer_fd(r.peer), SHUT_WR);
	r.wait_result = peer_wait(&r.proc, EXIT_MS);
	check_exit(&r, 0);
	ck_assert_str_eq(r.proc.out, "EPADDR=192.0.2.7\n");
	run_free(&r);
}
END_TEST

static void
single_case(const char *data, size_t len, int with_fd, int flags, int code,
    const char *err)
{
	static const char *const	 args[] = { "/bin/true", NULL };
	struct run			 r;
	int				 ep[2];

	run_init(&r);
	ck_assert_int_eq(peer_socketpair(ep), 0);
	if (len > 0)
		ck_assert_int_eq(peer_handoff(peer_fd(r.peer), data, len,
		    with_fd ? ep[1] : -1), 0);
	close(ep[1]);
	peer_shutdown(r.peer);
	run_mlet(&r, "test_single_mlet", args, NULL, flags);
	close(ep[0]);
	check_exit(&r, code);
	check_lines("stderr", r.proc.err, err);
	run_free(&r);
}

START_TEST(test_single_mlet_errors)
{
	struct run	 r;
	char		 longaddr[60];

	run_init(&r);
	peer_expect_eof(r.peer);
	run_mlet(&r, "test_single_mlet", NULL, NULL, 0);
	check_exit(&r, 1);
	ck_assert_str_eq(r.proc.err, "At least 1 argument must be provided\n");
	run_free(&r);

	single_case("10.1.2.3", 9, 0, 0, 1, "Failed to receive new fd (-3)\n"
	    "Failed with endpoint address \"10.1.2.3\" came without a descriptor\n");
	memset(longaddr, '7', sizeof(longaddr));
	single_case(longaddr, sizeof(longaddr), 1, 0, 1,
	    "Failed to receive new fd (-4)\nFailed with endpoint address * is longer "
	    "than 45 bytes\n");
	/* stdout closed: the descriptor lands on fd 1. */
	single_case("10.1.2.3", 9, 1, PEER_CLOSE_STDOUT, 1, "Got invalid new fd: 1\n");
	single_case("", 0, 0, 0, 0, "Detected xpmgr EOF\n");
}
END_TEST

START_TEST(test_single_mlet_bad_path)
{
	static const char *const	 args[] = { "/nonexistent/mlet", NULL };
	struct run			 r;
	int				 ep[2];
	char				 c;

	run_init(&r);
	ck_assert_int_eq(peer_socketpair(ep), 0);
	ck_assert_int_eq(peer_handoff(peer_fd(r.peer), "::1", 4, ep[1]), 0);
	close(ep[1]);
	peer_shutdown(r.peer);
	run_mlet(&r, "test_single_mlet", args, NULL, 0);
	ck_assert_int_eq(read(ep[0], &c, 1), 0);
	close(ep[0]);
	check_exit(&r, 0);
	ck_assert_str_eq(r.proc.err, "Got new fd 3, spawning mlet\nCannot run "
	    "/nonexistent/mlet: No such file or directory\nDetected xpmgr EOF\n");
	run_free(&r);
}
END_TEST

static Suite *
examples_suite(void)
{
	Suite	*s = suite_create("examples");
	TCase	*tc = tcase_create("transcripts");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_dns_transcript);
	tcase_add_test(tc, test_http_get_transcript);
	tcase_add_test(tc, test_icmp_echo_transcript);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_no_epaddr);
	tcase_add_test(tc, test_dns_bad_epaddr);
	tcase_add_test(tc, test_http_error_result);
	tcase_add_test(tc, test_http_eof_waiting_result);
	tcase_add_test(tc, test_http_eof_in_loop);
	tcase_add_test(tc, test_http_suspd);
	tcase_add_test(tc, test_http_suspd_waiting_result);
	tcase_add_test(tc, test_http_unexpected);
	tcase_add_test(tc, test_http_malformed);
	tcase_add_test(tc, test_http_nblock_and_bad_socket);
	tcase_add_test(tc, test_http_bad_ntag);
	tcase_add_test(tc, test_dns_non_result);
	tcase_add_test(tc, test_dns_error_result);
	tcase_add_test(tc, test_dns_answers);
	tcase_add_test(tc, test_icmp_suspd);
	suite_add_tcase(s, tc);

	tc = tcase_create("others");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fd_open_and_closed);
	tcase_add_test(tc, test_my_first_mlet);
	tcase_add_test(tc, test_single_mlet_handover);
	tcase_add_test(tc, test_single_mlet_env);
	tcase_add_test(tc, test_single_mlet_errors);
	tcase_add_test(tc, test_single_mlet_bad_path);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return ct_run(examples_suite());
}
