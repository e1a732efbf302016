/*
 * event.h: libevent calls whose failure means the same thing in every
 * program.  Adding an event that has no descriptor (a timer, a deferred
 * call, a signal) fails only when libevent cannot allocate, which is fatal
 * like xmalloc.  Events on descriptors and bufferevent_enable can fail for
 * one connection (epoll_ctl: ENOSPC, ENOMEM); their callers check and close
 * that connection with a reason.
 */
#ifndef PL_UTIL_EVENT_H
#define PL_UTIL_EVENT_H

struct event;
struct timeval;

/* event_add that cannot fail silently; what names the event for the message. */
void	 xevent_add(struct event *ev, const struct timeval *tv, const char *what);

/*
 * Make ev, an event on a descriptor, persistent for what (EV_READ and/or
 * EV_WRITE; 0 watches nothing), keeping its descriptor, callback and
 * argument.  *watching holds what ev is added for; nothing is done when
 * it is what already.  -1 when epoll refused (errno): ev watches nothing.
 */
int	 pl_event_watch(struct event *ev, short *watching, short what);

#endif /* PL_UTIL_EVENT_H */
