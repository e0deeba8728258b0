/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xscore internals shared by its source files.
 *
 * Locking, outermost first; lockdep checks each "held" with
 * lockdep_assert_held():
 *
 *   port->lock (mutex)            discovery's results and port->links;
 *                                 links are created and destroyed
 *                                 outside it, by the discovery worker
 *   link->session.mutex           the link's state machine, its conn and
 *                                 XSMP session (xscore_session.c runs
 *                                 the link's ops under it)
 *     link->seq_lock (spin, BH)   sequence numbers, in sending order
 *       conn->tx_lock (spin, BH)  the send ring and QP
 *     link->vdev_queue_lock       (spin, BH, leaf) the vdev queue and
 *                                 vdev_closing
 *     link->lock (spin, BH, leaf) what sysfs shows, the counters
 *
 *   link->vdev_work (no lock: one work item; the only user of
 *   link->vdevs).  The port's discovery work waits for it (flush_work(),
 *   xscore_link_busy_vdevs()) holding no lock, and it never waits for
 *   discovery: a link's devices are counted busy there.
 *     xscore_services_lock (mutex, xscore_vdev.c)  the registered service
 *                                 of each class; held while a service's
 *                                 callbacks run and a device is made
 *     vdev->ops_lock (mutex)      a driver's ops and the INSTALL copy.
 *                                 The driver's message() and
 *                                 link_event() run under it, so that
 *                                 remove, which clears the ops under it,
 *                                 waits for a call in progress; a driver
 *                                 may take its own locks (rtnl, its
 *                                 session mutex) there, and must never
 *                                 take ops_lock from under them.
 *
 *   conn->rx_lock (spin, BH, leaf)  received buffers waiting for the owner
 *
 * Service drivers' session mutexes nest inside vdev->ops_lock and outside
 * link->seq_lock (their answers go over the link).  No xscore lock is
 * held while a service driver's session runs.
 */
#ifndef _XSCORE_PRIV_H
#define _XSCORE_PRIV_H

#include <linux/completion.h>
#include <linux/kstrtox.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_mad.h>
#include <rdma/ib_verbs.h>
#include <xsigo/xscore.h>
#include <xsigo/xscore_session.h>
#include <xsigo/wire/ib_mad.h>
#include <xsigo/wire/xds.h>
#include <xsigo/wire/xsmp.h>

#include "compat.h"
#include "xscore_link.h"

struct xscore_device;
struct xscore_port_dev;
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

/* Entries in each of a port's trust lists. */
#define XSCORE_TRUST_MAX	8
/*
 * A link goes after this many answers in a row leave its XCM out (one
 * rogue or broken answer must not take every device away), at most
 * XSCORE_LINK_DROP_POLLS_MAX; the port's link_drop_polls sets it.
 */
#define XSCORE_LINK_DROP_POLLS		3
#define XSCORE_LINK_DROP_POLLS_MAX	100

/*
 * The store of an action attribute (a link's release and reset, a port's
 * repoll, a device's delete): 1 (or y) runs @act, 0 (or n) is taken and
 * does nothing.
 *
 * Return: @count, or kstrtobool()'s or @act's error.
 */
static inline ssize_t xscore_sysfs_act(struct device *dev, const char *buf,
				       size_t count,
				       int (*act)(struct device *dev))
{
	bool asked;
	int ret = kstrtobool(buf, &asked);

	if (!ret && asked)
		ret = act(dev);
	return ret ? ret : count;
}

/*
 * What a port accepts (xscore_port_sysfs.c).  The flags are read with
 * READ_ONCE(); the lists change and are read under port->lock.  An empty
 * list accepts any GUID or GID.
 */
struct xscore_port_trust {
	bool allow_unauthenticated;	/* XCMs without proofs, no key */
	bool ud_discovery;		/* UD solicitation runs on this port */
	/* Answers in a row without a link's XCM before the link goes. */
	unsigned int link_drop_polls;
	unsigned int num_xcm_guids;
	u64 xcm_guids[XSCORE_TRUST_MAX];
	unsigned int num_xds_gids;
	union ib_gid xds_gids[XSCORE_TRUST_MAX];
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
 *                    worker, which reads it without the lock); and the
 *                    trust lists, which sysfs changes and the worker
 *                    reads.
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
		u64 discoveries;	/* rounds that got an answer */
		u64 discovery_failures;
		u64 untrusted;		/* answers or XCMs the trust lists refused */
	} stats;

	struct xscore_port_trust trust;
	struct xscore_port_dev *pdev;	/* /sys/class/xscore_port/<dev>-<port> */
};

/*
 * An RDMA device that xscore's ib_client was told about.  It lives from
 * the client's add to its remove, which stops discovery and so destroys
 * every link (the only holders of port pointers) before freeing it.
 */
struct xscore_device {
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

void xscore_port_init(struct xscore_device *xdev, u32 port_num);
extern struct class xscore_port_class;
int xscore_port_add_sysfs(struct xscore_port *port);
void xscore_port_remove_sysfs(struct xscore_port *port);
void xscore_port_rename_sysfs(struct xscore_port *port);
bool xscore_port_trusts_xcm(struct xscore_port *port, u64 guid);
bool xscore_port_trusts_xds(struct xscore_port *port,
			    const union ib_gid *gid);
bool xscore_ud_discovery_default(void);
void xscore_port_query(struct xscore_port *port);
void xscore_port_event(struct ib_event_handler *handler,
		       struct ib_event *event);
const char *xscore_port_state_name(enum ib_port_state state);
void xscore_port_rename(struct xscore_port *port);

void xscore_debugfs_init(void);
void xscore_debugfs_exit(void);
void xscore_debugfs_add_device(struct xscore_device *xdev);
void xscore_debugfs_remove_device(struct xscore_device *xdev);
void xscore_debugfs_rename_device(struct xscore_device *xdev);

int xscore_discovery_start(struct xscore_port *port);
void xscore_discovery_kick(struct xscore_port *port);
void xscore_discovery_stop(struct xscore_port *port);

int xscore_ud_start(struct xscore_port *port);
void xscore_ud_stop(struct xscore_port *port);
int xscore_ud_solicit(struct xscore_port *port, int sgid_index,
		      const struct xds_request *req);
int xscore_ud_next_answer(struct xscore_port *port, union ib_gid *xds,
			  const struct xds_response **resp);
void xscore_ud_end_wait(struct xscore_port *port);

#endif /* _XSCORE_PRIV_H */
