/*
 * xp_server.h: what the loopback test servers (xp_httpd, xp_dnsd) share:
 * the options -a ADDR -p PORT -n COUNT -r READYFILE, and the ready file
 * that tells a script the server is listening (and on which port).
 */
#ifndef XP_SERVER_H
#define XP_SERVER_H

#include <stdio.h>
#include <stdlib.h>

struct xp_srvopt {
	const char	*addr;		/* -a */
	long		 port;		/* -p; 0 picks a free one */
	long		 count;		/* -n; -1 = serve forever */
	const char	*ready;		/* -r */
};

/* One of the common options: 1 when ch was one (arg taken), else 0. */
static inline int
xp_srvopt(struct xp_srvopt *o, int ch, const char *arg)
{
	switch (ch) {
	case 'a':
		o->addr = arg;
		return 1;
	case 'p':
		o->port = strtol(arg, NULL, 10);
		return 1;
	case 'n':
		o->count = strtol(arg, NULL, 10);
		return 1;
	case 'r':
		o->ready = arg;
		return 1;
	default:
		return 0;
	}
}

/* Write the port to the ready file, if any; exit 1 when it cannot. */
static inline void
xp_srv_ready(const struct xp_srvopt *o, unsigned port)
{
	FILE	*f;

	if (o->ready == NULL)
		return;
	if ((f = fopen(o->ready, "w")) == NULL) {
		perror(o->ready);
		exit(1);
	}
	fprintf(f, "%u\n", port);
	fclose(f);
}

#endif /* XP_SERVER_H */
