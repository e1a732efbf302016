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

int
pl_event_watch(struct event *ev, short *watching, short what)
{
	if (what == *watching)
		return 0;
	event_del(ev);
	*watching = 0;
	if (what == 0)
		return 0;
	event_assign(ev, event_get_base(ev), event_get_fd(ev), what | EV_PERSIST,
	    event_get_callback(ev), event_get_callback_arg(ev));
	if (event_add(ev, NULL) == -1)
		return -1;
	*watching = what;
	return 0;
}
