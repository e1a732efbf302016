/*
 * event.c: see event.h.
 */
#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "event.h"
#include "log.h"

void
xevent_add(struct event *ev, const struct timeval *tv, const char *what)
{
	errno = 0;
	if (event_add(ev, tv) == -1)
		fatalx("libevent: cannot add the %s event (%s)", what,
		    errno != 0 ? strerror(errno) : "out of memory?");
}
