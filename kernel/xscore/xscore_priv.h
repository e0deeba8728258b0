/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xscore internals shared by its source files.
 */
#ifndef _XSCORE_PRIV_H
#define _XSCORE_PRIV_H

#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <rdma/ib_mad.h>
#include <rdma/ib_verbs.h>
#include <xsigo/xscore.h>
#include <xsigo/wire/ib_mad.h>
#include <xsigo/wire/xds.h>
#include <xsigo/wire/xsmp.h>

#include "compat.h"
#include "xscore_link.h"

struct xscore_device;
struct xscore_ud;

/* How long discovery waits for an answer (MAD or solicitation). */
#define XSCORE_MAD_TIMEOUT_MS	3000

/* One port of an RDMA device, as xscore tracks it. */
struct xscore_port {
	struct xscore_device *xdev;
	u32 port_num;
	enum rdma_link_layer link_layer;
	/*
	 * IB_PORT_NOP until first known; then set by the event handler or
	 * the initial query, with xchg()/cmpxchg(), and read with READ_ONCE().
	 */
	enum ib_port_state state;

	/* Discovery (xscore_discovery.c); only its worker sends MADs. */
	struct xscore_ud *ud;		/* Ethernet mode: UD solicitation */
	union ib_gid fabric_services;
	struct delayed_work discovery_work;
	struct ib_mad_agent *mad_agent;
	struct completion mad_done;
	u32 mad_tid;
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
void xscore_port_rename(struct xscore_port *port);

void xscore_debugfs_init(void);
void xscore_debugfs_exit(void);
void xscore_debugfs_add_device(struct xscore_device *xdev);
void xscore_debugfs_remove_device(struct xscore_device *xdev);
void xscore_debugfs_rename_device(struct xscore_device *xdev);

int xscore_discovery_start(struct xscore_port *port);

int xscore_ud_start(struct xscore_port *port);
void xscore_ud_stop(struct xscore_port *port);
int xscore_ud_solicit(struct xscore_port *port, int sgid_index,
		      const struct xds_request *req, union ib_gid *xds,
		      const struct xds_response **resp);
void xscore_discovery_stop(struct xscore_port *port);

#endif /* _XSCORE_PRIV_H */
