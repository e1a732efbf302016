/*
 * pktlab/pktlab.h: everything an mlet needs in one include: the wire format,
 * name-value pairs, encoded programs, the endpoint memory map and the mlet
 * session library.  Link with `pkg-config --libs pktlab-mlet`.
 */
#ifndef PKTLAB_PKTLAB_H
#define PKTLAB_PKTLAB_H

#include <pktlab/wire.h>
#include <pktlab/nvp.h>
#include <pktlab/prog.h>
#include <pktlab/vmem.h>
#include <pktlab/mlet.h>

#endif /* PKTLAB_PKTLAB_H */
