/*
 * names.c: the error-code table (protocol spec §5) with names and human
 * sentences, and pktlab time (§7): nanoseconds since the Unix epoch.
 */
#include <stdio.h>
#include <time.h>

#include "pktlab/wire.h"

struct errinfo {
	uint16_t	 id;
	const char	*name;
	const char	*str;
};

static const struct errinfo	*errinfo(uint16_t);

static const struct errinfo errors[] = {
	{ PL_SUCCESS,	  "SUCCESS",	 "success" },
	{ PL_ECTLBADMSG,  "ECTLBADMSG",	 "malformed message" },
	{ PL_ECTLNOTSUP,  "ECTLNOTSUP",	 "message type not supported in this state" },
	{ PL_ECTLMONREJ,  "ECTLMONREJ",	 "rejected by a monitor" },
	{ PL_ECTLMONUKN,  "ECTLMONUKN",	 "monitor failed" },
	{ PL_ECRTBADHDAT, "ECRTBADHDAT", "bad program, or program digest not expected" },
	{ PL_ECRTNOHDAT,  "ECRTNOHDAT",	 "required programs not supplied" },
	{ PL_ECRTBADFRM,  "ECRTBADFRM",	 "bad certificate format" },
	{ PL_ECRTNOSPACE, "ECRTNOSPACE", "no space for certificate data" },
	{ PL_ECRTBADHINT, "ECRTBADHINT", "unknown cdata hint" },
	{ PL_ESYSNOBUFS,  "ESYSNOBUFS",	 "endpoint buffer full" },
	{ PL_ESYSNOPERM,  "ESYSNOPERM",	 "permission denied" },
	{ PL_ESKTINUSE,	  "ESKTINUSE",	 "socket id in use" },
	{ PL_ESKTNOTOPEN, "ESKTNOTOPEN", "socket not open" },
	{ PL_ESKTNOPRFAM, "ESKTNOPRFAM", "address family not supported" },
	{ PL_ESKTNOPROTO, "ESKTNOPROTO", "protocol not supported" },
	{ PL_ESKTNOADDR,  "ESKTNOADDR",	 "local address bad or unavailable" },
	{ PL_ESKTNOMATCH, "ESKTNOMATCH", "family or protocol does not match the socket" },
	{ PL_ESKTBADFILT, "ESKTBADFILT", "bad capture filter" },
	{ PL_ESKTPKTDENY, "ESKTPKTDENY", "packet denied" },
	{ PL_ESKTOPNDENY, "ESKTOPNDENY", "connection destination denied" },
	{ PL_ETCPNOPORT,  "ETCPNOPORT",	 "TCP local port in use" },
	{ PL_EPKTNOTSENT, "EPKTNOTSENT", "packet not sent" },
	{ PL_EUDPNOPORT,  "EUDPNOPORT",	 "UDP local port in use" },
	{ PL_EPKTTRUNC,	  "EPKTTRUNC",	 "raw packet truncated" },
	{ PL_ENORES,	  "ENORES",	 "socket limit reached" },
	{ PL_EMEMBADADR,  "EMEMBADADR",	 "bad memory range" },
	{ PL_EPUBBADCHL,  "EPUBBADCHL",	 "publication: bad channel list" },
	{ PL_EPUBBADCHN,  "EPUBBADCHN",	 "publication: bad channel" },
	{ PL_EPUBBADADDR, "EPUBBADADDR", "publication: bad address" },
	{ PL_EPUBBADPR,	  "EPUBBADPR",	 "publication: bad priority" },
	{ PL_EPUBBADXD,	  "EPUBBADXD",	 "publication: bad experiment descriptor" },
	{ PL_ESUBBADCHL,  "ESUBBADCHL",	 "subscription: bad channel list" },
	{ PL_ESUBBADCHN,  "ESUBBADCHN",	 "subscription: bad channel" },
	{ PL_ESUBBADDA,	  "ESUBBADDA",	 "subscription: bad endpoint attributes" },
	{ PL_EUNKFAULT,	  "EUNKFAULT",	 "unknown fault" },
};

/* pl_err_str()'s text for a code not in the table; one per thread. */
static _Thread_local char	 unknown_buf[32];

static const struct errinfo *
errinfo(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
		if (errors[i].id == id)
			return &errors[i];
	return NULL;
}

const char *
pl_err_name(uint16_t errid)
{
	const struct errinfo	*e = errinfo(errid);

	return e != NULL ? e->name : NULL;
}

const char *
pl_err_str(uint16_t errid)
{
	const struct errinfo	*e = errinfo(errid);

	if (e != NULL)
		return e->str;
	snprintf(unknown_buf, sizeof(unknown_buf), "unknown error 0x%04x", errid);
	return unknown_buf;
}

pl_time_t
pl_time_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 || ts.tv_sec < 0)
		return 0;
	return pl_time_from_sec((uint64_t)ts.tv_sec) + (uint64_t)ts.tv_nsec;
}

pl_time_t
pl_time_from_sec(uint64_t sec)
{
	if (sec > UINT64_MAX / PL_TICKS_PER_SEC)
		return PL_TIME_FOREVER;
	return sec * PL_TICKS_PER_SEC;
}
