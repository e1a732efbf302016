/*
 * peer.h: a scripted fake endpoint for tests.  A peer plays one side of a
 * PacketLab message stream (typically the endpoint behind an mlet's fd 0)
 * from a script: it checks every message the other side sends byte for
 * byte, sends scripted bytes back (whole, or one byte at a time), waits,
 * half-closes, and expects EOF.  It runs in the calling thread or in a
 * thread of its own, and keeps a transcript in the format of
 * protocol_vectors.txt section C.
 *
 * Also here: running a real program (an mlet) with a given fd 0, argv and
 * environment while capturing its stdout and stderr, and handing a
 * descriptor over the way pktxpmgr's singleton mode does.
 */
#ifndef PL_TEST_PEER_H
#define PL_TEST_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct vec_transcript;
struct peer;

/* A peer on fd (it takes the fd and closes it in peer_free). */
struct peer	*peer_new(int fd);
void		 peer_free(struct peer *);
int		 peer_fd(const struct peer *);

/*
 * Script steps, run in order by peer_run().  Hex may contain white space.
 * A bad hex string is reported by peer_run() as an error of that step.
 */
void	peer_expect(struct peer *, const char *hex);	/* next whole message is exactly this */
void	peer_expect_bytes(struct peer *, const uint8_t *, size_t);
void	peer_expect_type(struct peer *, uint8_t type);	/* next message has this type */
void	peer_send(struct peer *, const char *hex);	/* write these bytes */
void	peer_send_bytes(struct peer *, const uint8_t *, size_t);
void	peer_send_slow(struct peer *, const char *hex, int gap_ms); /* byte by byte */
void	peer_sleep(struct peer *, int ms);
void	peer_shutdown(struct peer *);			/* SHUT_WR: the other side sees EOF */
void	peer_expect_eof(struct peer *);			/* the other side closes */
void	peer_expect_quiet(struct peer *, int ms);	/* nothing arrives for ms */

/*
 * The same steps as text, one per line ('#' starts a comment):
 *   mlet->ep HEX         expect this message      mlet->ep type 2a   any nopen
 *   ep->mlet HEX         send                     ep->mlet/slow HEX  byte by byte
 *   sleep MS             shut                     mlet EOF           quiet MS
 * Returns 0, or -1 with why naming the line.
 */
int	peer_script(struct peer *, const char *text, char *why, size_t whylen);
/* The steps of a protocol_vectors.txt section C transcript. */
void	peer_transcript(struct peer *, const struct vec_transcript *);

/*
 * Run every step; each may take step_timeout_ms.  0 when all held, -1
 * with peer_error() saying which step failed and how.
 */
int		 peer_run(struct peer *, int step_timeout_ms);
int		 peer_start(struct peer *, int step_timeout_ms);	/* in a thread */
int		 peer_join(struct peer *);
const char	*peer_error(const struct peer *);
/* What happened: "mlet->ep <hex>", "ep->mlet <hex>", "mlet EOF" lines. */
const char	*peer_log(const struct peer *);

/* A socketpair(AF_UNIX, SOCK_STREAM) with both ends close-on-exec. */
int	peer_socketpair(int sv[2]);

/*
 * Singleton hand-over: one sendmsg with data[0..len) and, when fd >= 0,
 * one SCM_RIGHTS descriptor.  0 or -1 with errno.  peer_handoff_fds sends
 * nfd (0..8) descriptors, to test the "exactly one" rule.
 */
int	peer_handoff(int sock, const void *data, size_t len, int fd);
int	peer_handoff_fds(int sock, const void *data, size_t len, const int *fds,
	    size_t nfd);

/* A program run with captured output. */
struct peer_proc {
	pid_t	 pid;
	int	 exited;	/* 1: exit status in code; 0: killed by signal 'code' */
	int	 code;
	char	*out;		/* stdout, NUL-terminated */
	char	*err;		/* stderr */
	char	 outpath[64];
	char	 errpath[64];
};
#define PEER_CLOSE_STDOUT	0x1	/* child's fd 1 closed instead of captured */
#define PEER_CLOSE_STDERR	0x2

/*
 * Start path with argv and envp (envp NULL = empty environment), its fd 0
 * a dup of fd0 (-1: fd 0 closed), stdout and stderr captured to files,
 * every other descriptor closed.  0, or -1 with errno.
 */
int	peer_spawn(struct peer_proc *, const char *path, char *const argv[],
	    char *const envp[], int fd0, int flags);
/* Wait for it to exit (SIGKILL after timeout_ms: returns -1), read output. */
int	peer_wait(struct peer_proc *, int timeout_ms);
void	peer_proc_free(struct peer_proc *);

/* The path of an example mlet: $PL_MLET_DIR/name (malloc'ed). */
char	*peer_mlet_path(const char *name);

#endif /* PL_TEST_PEER_H */
