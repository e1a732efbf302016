/*
 * test_xpmgr_spawn.c: how pktxpmgr starts and reaps mlets
 * (src/xpmgr/mlet.c), with real child processes (tests/tools/xp_mlet):
 * fd 0, environment, argv[0], no leaked descriptors, -o's output files as
 * fds 1 and 2, signal state and
 * process group; reaping and exit statuses; the singleton's SCM_RIGHTS
 * protocol (protocol spec §13.3).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf/xpconf.h"
#include "xpmgr/daemon.h"

static char	 tool[4096];
static char	 tmpdir[] = "/tmp/test_xpmgr_spawn.XXXXXX";

static void
setup(void)
{
	const char	*b = getenv("PL_BUILD_DIR");

	ck_assert_msg(b != NULL, "PL_BUILD_DIR is not set");
	snprintf(tool, sizeof(tool), "%s/tests/tools/xp_mlet", b);
	ck_assert_msg(access(tool, X_OK) == 0, "%s: not built", tool);
}

/* The whole file as a string (static buffer). */
static const char *
slurp(const char *path)
{
	static char	 buf[8192];
	FILE		*f = fopen(path, "r");
	size_t		 n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
has_line(const char *text, const char *line)
{
	char	 want[256], all[8300];

	snprintf(want, sizeof(want), "\n%s\n", line);
	snprintf(all, sizeof(all), "\n%s", text);
	ck_assert_msg(strstr(all, want) != NULL, "missing line \"%s\" in:\n%s", line,
	    text);
}

static int
wait_exit(pid_t pid)
{
	int	 st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

START_TEST(spawn_environment)
{
	char		 out[256], line[128];
	char		*argv[] = { "xp_mlet", "probe", out, NULL };
	const char	*text;
	int		 sv[2], extra, st;
	pid_t		 pid;
	sigset_t	 block;

	snprintf(out, sizeof(out), "%s/probe", tmpdir);
	/* What the daemon has: SIGPIPE ignored, other dispositions and masks set. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* Another session's socket, as the daemon has plenty of: must not leak. */
	ck_assert_int_ge(extra = open("/dev/null", O_RDONLY | O_CLOEXEC), 0);

	ck_assert_int_eq(xp_spawn(tool, argv, sv[1], "127.0.0.1", NULL, &pid), 0);
	st = wait_exit(pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	text = slurp(out);
	has_line(text, "argv0=xp_mlet");
	has_line(text, "env=EPADDR=127.0.0.1");
	has_line(text, "envc=1");
	has_line(text, "fd0=socket");
	has_line(text, "fd0mode=blocking");
	has_line(text, "fds=0,1,2");
	has_line(text, "sigpipe=ign");
	has_line(text, "sigint=dfl");
	has_line(text, "sighup=dfl");
	has_line(text, "blocked=0");
	snprintf(line, sizeof(line), "pgid=%ld", (long)getpgrp());
	has_line(text, line);
	close(sv[0]);
	close(sv[1]);
	close(extra);
}
END_TEST

/* -o: fds 1 and 2 are the given files; nothing else leaks with them. */
START_TEST(spawn_output_files)
{
	char		 out[256], err[256], probe[256];
	char		*sh[] = { "sh", "-c", "echo to-stdout; echo to-stderr >&2", NULL };
	char		*pr[] = { "xp_mlet", "probe", probe, NULL };
	int		 sv[2], fds[2];
	pid_t		 pid;
	int		 st;

	snprintf(out, sizeof(out), "%s/s1.out", tmpdir);
	snprintf(err, sizeof(err), "%s/s1.err", tmpdir);
	snprintf(probe, sizeof(probe), "%s/probe3", tmpdir);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fds[0] = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fds[1] = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_gt(fds[0], 2);
	ck_assert_int_gt(fds[1], 2);
	ck_assert_int_eq(xp_spawn("/bin/sh", sh, sv[1], NULL, fds, &pid), 0);
	st = wait_exit(pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_str_eq(slurp(out), "to-stdout\n");
	ck_assert_str_eq(slurp(err), "to-stderr\n");

	ck_assert_int_eq(xp_spawn(tool, pr, sv[1], NULL, fds, &pid), 0);
	wait_exit(pid);
	has_line(slurp(probe), "fds=0,1,2");
	xp_close_fds(fds);
	ck_assert_int_eq(fds[0], -1);
	ck_assert_int_eq(fds[1], -1);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(spawn_singleton_env_empty)
{
	char		 out[256];
	char		*argv[] = { "xp_mlet", "probe", out, NULL };
	int		 sv[2];
	pid_t		 pid;

	snprintf(out, sizeof(out), "%s/probe2", tmpdir);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(xp_spawn(tool, argv, sv[1], NULL, NULL, &pid), 0);
	wait_exit(pid);
	has_line(slurp(out), "envc=0");
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(spawn_errors)
{
	char	*argv[] = { "nothere", NULL };
	int	 sv[2];
	pid_t	 pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	/* posix_spawn reports the exec failure itself: no child to reap. */
	ck_assert_int_eq(xp_spawn("/nonexistent/mlet", argv, sv[1], "::1", NULL, &pid), ENOENT);
	ck_assert_int_eq(xp_spawn("/dev/null", argv, sv[1], "::1", NULL, &pid), EACCES);
	/* fd 0 would keep close-on-exec through dup2: refused. */
	ck_assert_int_eq(xp_spawn(tool, argv, 0, "::1", NULL, &pid), EINVAL);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

static int	 got_status[4];
static pid_t	 got_pid[4];
static int	 ngot;

static void
on_exit_cb(void *arg, pid_t pid, int status)
{
	got_pid[ngot] = pid;
	got_status[ngot++] = status;
	ck_assert_ptr_eq(arg, &ngot);
}

START_TEST(reap_statuses)
{
	char	*a_exit[] = { "xp_mlet", "exit", "3", NULL };
	char	*a_crash[] = { "xp_mlet", "crash", NULL };
	char	*a_hold[] = { "xp_mlet", "hold", NULL };
	int	 sv[2], i;
	pid_t	 p1, p2, p3;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(xp_spawn(tool, a_exit, sv[1], "1.2.3.4", NULL, &p1), 0);
	ck_assert_int_eq(xp_spawn(tool, a_crash, sv[1], "1.2.3.4", NULL, &p2), 0);
	ck_assert_int_eq(xp_spawn(tool, a_hold, sv[1], "1.2.3.4", NULL, &p3), 0);
	xp_children_add(p1, on_exit_cb, &ngot);
	xp_children_add(p2, on_exit_cb, &ngot);
	xp_children_add(p3, on_exit_cb, &ngot);
	ck_assert_uint_eq(xp_children_count(), 3);
	for (i = 0; i < 500 && ngot < 2; i++) {
		usleep(10000);
		xp_children_reap();
	}
	ck_assert_int_eq(ngot, 2);
	ck_assert_uint_eq(xp_children_count(), 1);
	for (i = 0; i < 2; i++) {
		if (got_pid[i] == p1)
			ck_assert(WIFEXITED(got_status[i]) && WEXITSTATUS(got_status[i]) == 3);
		else {
			ck_assert_int_eq(got_pid[i], p2);
			ck_assert(WIFSIGNALED(got_status[i]) &&
			    WTERMSIG(got_status[i]) == SIGABRT);
		}
	}
	/* "hold" runs until its socket closes: everyone holding it must let go. */
	close(sv[0]);
	close(sv[1]);
	xp_children_reap_all();
	ck_assert_int_eq(ngot, 3);
	ck_assert_int_eq(got_pid[2], p3);
	ck_assert(WIFEXITED(got_status[2]) && WEXITSTATUS(got_status[2]) == 0);
	ck_assert_uint_eq(xp_children_count(), 0);
}
END_TEST

START_TEST(signal_children)
{
	char	*a_sleep[] = { "xp_mlet", "sleep", "30", NULL };
	int	 sv[2];
	pid_t	 p;

	ngot = 0;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(xp_spawn(tool, a_sleep, sv[1], "1.2.3.4", NULL, &p), 0);
	xp_children_add(p, on_exit_cb, &ngot);
	xp_children_signal(SIGTERM);
	xp_children_reap_all();
	ck_assert_int_eq(ngot, 1);
	ck_assert(WIFSIGNALED(got_status[0]) && WTERMSIG(got_status[0]) == SIGTERM);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* The singleton gets one descriptor and a NUL-terminated address per sendmsg. */
START_TEST(singleton_protocol)
{
	struct xpmgr_conf	 conf;
	struct xpd		 d;
	char			 out[256], why[256];
	char			*argv[] = { "xp_mlet", "singleton", out, NULL };
	const char		*text;
	int			 sv[2], i;

	snprintf(out, sizeof(out), "%s/single", tmpdir);
	memset(&conf, 0, sizeof(conf));
	conf.mlet = tool;
	conf.mlet_argv = argv;
	conf.singleton = 1;
	memset(&d, 0, sizeof(d));
	d.conf = &conf;
	d.sg_fd = -1;
	TAILQ_INIT(&d.sessions);
	TAILQ_INIT(&d.gated);
	TAILQ_INIT(&d.dead);
	TAILQ_INIT(&d.listeners);
	STAILQ_INIT(&d.sg_queue);
	ck_assert_ptr_nonnull(d.base = event_base_new());

	ck_assert_int_eq(xp_singleton_start(&d, why, sizeof(why)), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		xp_singleton_pass(&d, sv[1], i == 0 ? "192.0.2.7" : i == 1 ? "" :
		    "2001:db8::1");
		close(sv[0]);
		/* Ours is closed once sent. */
		ck_assert_int_eq(fcntl(sv[1], F_GETFD), -1);
	}
	d.sg_expected_exit = 1;
	xp_singleton_close(&d);
	xp_children_reap_all();
	ck_assert_int_eq(d.sg_reaped, 1);
	text = slurp(out);
	ck_assert_str_eq(text,
	    "pass addr=192.0.2.7 datalen=10 nul=1 fds=1\n"
	    "pass addr= datalen=1 nul=1 fds=1\n"
	    "pass addr=2001:db8::1 datalen=12 nul=1 fds=1\n"
	    "eof\n");
	event_base_free(d.base);
}
END_TEST

START_TEST(singleton_bad_path)
{
	struct xpmgr_conf	 conf;
	struct xpd		 d;
	char			 why[256];
	char			*argv[] = { "nothere", NULL };

	memset(&conf, 0, sizeof(conf));
	conf.mlet = "/nonexistent/single";
	conf.mlet_argv = argv;
	memset(&d, 0, sizeof(d));
	d.conf = &conf;
	d.sg_fd = -1;
	STAILQ_INIT(&d.sg_queue);
	ck_assert_int_eq(xp_singleton_start(&d, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "cannot run singleton mlet /nonexistent/single: "
	    "No such file or directory");
	ck_assert_int_eq(d.sg_fd, -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("xpmgr_spawn");
	TCase	*tc = tcase_create("spawn");
	SRunner	*sr;
	int	 nf;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, spawn_environment);
	tcase_add_test(tc, spawn_singleton_env_empty);
	tcase_add_test(tc, spawn_output_files);
	tcase_add_test(tc, spawn_errors);
	tcase_add_test(tc, reap_statuses);
	tcase_add_test(tc, signal_children);
	tcase_add_test(tc, singleton_protocol);
	tcase_add_test(tc, singleton_bad_path);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	{
		char	 cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			nf++;
	}
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
