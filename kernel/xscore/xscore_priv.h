/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xscore internals shared by its source files.
 */
#ifndef _XSCORE_PRIV_H
#define _XSCORE_PRIV_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_mad.h>
#include <rdma/ib_verbs.h>
#include <xsigo/xscore.h>
#include <xsigo/wire/ib_mad.h>
#include <xsigo/wire/xds.h>
#include <xsigo/wire/xsmp.h>
#include <xsigo/wire/xsvhba.h>
#include <xsigo/wire/xsvnic.h>

#include "compat.h"
#include "xscore_link.h"

struct xscore_device;
struct xscore_ud;

/* How long discovery waits for an answer (MAD or solicitation). */
#define XSCORE_MAD_TIMEOUT_MS	3000

/* Where a port's discovery round stands; see xscore_discovery.c. */
enum xscore_discovery_step {
	XSCORE_DISC_IDLE,		/* between rounds */
	XSCORE_DISC_SERVICE_RECORD,	/* the ServiceRecord query is out */
	XSCORE_DISC_XCM_REQUEST,	/* the XCM request to the XDS is out */
	XSCORE_DISC_SOLICIT,		/* the UD solicitation is out */
};

/*
 * One port of an RDMA device, as xscore tracks it.
 *
 * Discovery's locking (xscore_discovery.c, xscore_ud.c).  The two locks
 * below are never held together, and neither is held while a link is
 * created or destroyed.
 *
 *   discovery_work   the only sender of requests.  A round is a chain of
 *                    runs of it: each sends a request and returns; the
 *                    request's completion handler kicks it again.  The
 *                    fields marked "worker" are its own, without a lock.
 *   discovery_lock   (spin, BH: the UD completion handler kicks the work
 *                    from softirq) the MAD in flight and the way back to
 *                    the work: mad_msg, mad_status, mad_answered, the
 *                    writes to mad_answer, discovery_stopping.  A handler
 *                    writes an answer only while its request is the one
 *                    in flight; once the request is finished (mad_msg
 *                    NULL), mad_answer is the worker's until it sends the
 *                    next one, and it reads it without the lock.  The UD
 *                    solicitation's own state is under ud->lock
 *                    (xscore_ud.c), by the same rule.
 *   lock (mutex)     what discovery found and counted, for readers:
 *                    last_discovery_error, xds_gid, num_xcms, xcm_guids,
 *                    stats, and the links list (changed only by the
 *                    worker, which reads it without the lock).
 */
struct xscore_port {
	struct xscore_device *xdev;
	u32 port_num;
	enum rdma_link_layer link_layer;
	/*
	 * IB_PORT_NOP until first known; then set by the event handler or
	 * the initial query, with xchg()/cmpxchg(), and read with READ_ONCE().
	 */
	enum ib_port_state state;

	/* Discovery; set up before the work first runs, torn down after. */
	struct xscore_ud *ud;		/* Ethernet mode: UD solicitation */
	union ib_gid fabric_services;
	struct delayed_work discovery_work;
	struct ib_mad_agent *mad_agent;

	/* Worker: the round in progress. */
	enum xscore_discovery_step step;
	int sgid_index;
	union ib_gid sgid;
	union ib_gid found_xds;		/* by the ServiceRecord query */
	struct xds_request request;	/* the identity the answer must echo */
	unsigned long deadline;		/* of the UD solicitation */
	u32 mad_tid;

	/* Under discovery_lock: the MAD in flight and its answer. */
	spinlock_t discovery_lock;
	bool discovery_stopping;	/* handlers no longer kick the work */
	struct ib_mad_send_buf *mad_msg;
	int mad_status;
	bool mad_answered;
	u8 mad_answer[IB_MGMT_MAD_SIZE];

	/* What discovery found and counted, for readers outside the worker. */
	struct mutex lock;
	int last_discovery_error;
	union ib_gid xds_gid;
	unsigned int num_xcms;
	u64 xcm_guids[XDS_MAX_XCMS];
	/* One per assigned XCM; changed only by the discovery worker. */
	struct list_head links;

	struct {
		u64 malformed;
		u64 discovery_failures;
	} stats;
};

/* An RDMA device that xscore's ib_client was told about. */
struct xscore_device {
	struct kref ref;
	struct ib_device *ibdev;
	struct ib_event_handler event_handler;
	struct dentry *debugfs;
	u32 num_ports;
	struct xscore_port ports[] __counted_by(num_ports);
};

static inline struct xscore_port *xscore_port(struct xscore_device *xdev,
					      u32 port_num)
{
	return &xdev->ports[port_num - rdma_start_port(xdev->ibdev)];
}

void xscore_device_put(struct xscore_device *xdev);

void xscore_port_init(struct xscore_device *xdev, u32 port_num);
void xscore_port_query(struct xscore_port *port);
void xscore_port_event(struct ib_event_handler *handler,
		       struct ib_event *event);
const char *xscore_port_state_name(enum ib_port_state state);

void xscore_debugfs_init(void);
void xscore_debugfs_exit(void);
void xscore_debugfs_add_device(struct xscore_device *xdev);
void xscore_debugfs_remove_device(struct xscore_device *xdev);

int xscore_discovery_start(struct xscore_port *port);
void xscore_discovery_kick(struct xscore_port *port);
void xscore_discovery_stop(struct xscore_port *port);

int xscore_ud_start(struct xscore_port *port);
void xscore_ud_stop(struct xscore_port *port);
int xscore_ud_solicit(struct xscore_port *port, int sgid_index,
		      const struct xds_request *req);
bool xscore_ud_answered(struct xscore_port *port, bool expired);
int xscore_ud_answer(struct xscore_port *port, union ib_gid *xds,
		     const struct xds_response **resp);

#endif /* _XSCORE_PRIV_H */
