/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * An XSMP link: the management session between one port of this server
 * and one configuration manager (XCM), over one RC connection.
 */
#ifndef _XSCORE_LINK_H
#define _XSCORE_LINK_H

#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <xsigo/xscore.h>
#include <xsigo/xscore_conn.h>
#include <xsigo/xscore_session.h>
#include <xsigo/wire/xsmp.h>

struct xscore_port;

#define XSCORE_LINK_RING	8
#define XSCORE_NAME_LEN		32

/* A link's name: its RDMA device's, its port number, and its XCM's GUID. */
#define XSCORE_LINK_NAME_FMT	"%s-%u-%016llx"

struct xscore_link_stats {
	u64 msgs_in;
	u64 msgs_out;
	u64 malformed;
	u64 unhandled;
	u64 reconnects;
	u64 auth_refused;
};

/* Where the session's mutual authentication stands (xscore_auth.c). */
enum xscore_auth_state {
	XSCORE_AUTH_PENDING,		/* not registered yet */
	XSCORE_AUTH_OK,			/* both proofs held */
	XSCORE_AUTH_NONE,		/* allowed without proofs */
	XSCORE_AUTH_REFUSED,		/* a proof failed or was missing */
};

struct xscore_link {
	struct device dev;		/* /sys/class/xscore_link/<name> */
	struct list_head node;		/* on port->links */
	struct xscore_port *port;
	u64 xcm_guid;
	u64 own_guid;
	struct sockaddr_in6 src;
	struct sockaddr_in6 dst;

	/*
	 * The session: DOWN, CONNECTING, OPENING (REGISTER sent), UP
	 * (REG_CONFIRM received).  Under its mutex: what follows, up to
	 * seq_lock.
	 */
	struct xscore_session session;
	struct xscore_conn *conn;
	/*
	 * Device configuration and link events, in the order they came, for
	 * vdev_work: it adds and removes devices, which the session's
	 * reclaim-safe work must not.  Only vdev_work uses vdevs.
	 */
	spinlock_t vdev_queue_lock;
	struct list_head vdev_queue;	/* struct xscore_link_vdev_item */
	struct work_struct vdev_work;
	struct list_head vdevs;		/* struct xscore_vdev */
	unsigned long syncing;		/* BIT(class) between SYNC_BEGIN and END */
	bool vdev_closing;		/* under vdev_queue_lock: nothing queues */
	u32 resources_sent;		/* XSMP_RESOURCE_* the XCM was told */
	/*
	 * Dropping a link its XCM was taken from (xscore_discovery.c): the
	 * discovery work counts the answers in a row without it and, once
	 * they reach the port's link_drop_polls, asks vdev_work how many of
	 * its devices are busy (busy_vdevs).  A busy link is held until the
	 * operator releases it (sysfs) or its devices go idle.
	 */
	unsigned int absent_polls;
	unsigned int busy_vdevs;
	bool held;
	bool release_asked;
	bool was_up;
	unsigned int hello_interval;	/* seconds, from REG_CONFIRM */
	/* REG_CONFIRM must carry auth_xcm_proof (computed with REGISTER). */
	bool auth_expect;
	u8 auth_xcm_proof[XSMP_AUTH_PROOF_LEN];

	spinlock_t seq_lock;		/* sends in sequence-number order */
	u32 tx_seq;

	spinlock_t lock;		/* guards what sysfs shows (auth too): */
	unsigned long up_since;
	char chassis_name[XSCORE_NAME_LEN + 1];
	char profile_name[XSCORE_NAME_LEN + 1];
	enum xscore_auth_state auth_state;
	const char *auth_why;		/* the last refusal's reason, or NULL */
	struct xscore_link_stats stats;
};

extern struct class xscore_link_class;

/* xscore_link.c */

struct xscore_link *xscore_link_create(struct xscore_port *port, u64 xcm_guid,
				       const union ib_gid *sgid,
				       const union ib_gid *xds_gid);
void xscore_link_destroy(struct xscore_link *link);
void xscore_fabric_address(struct sockaddr_in6 *sin6, const u8 *prefix,
			   u64 guid);
const char *xscore_link_state_name(enum xscore_session_state state);
void xscore_link_kick(struct xscore_link *link);
void xscore_link_fail(struct xscore_link *link, const char *why, int err);
int xscore_link_send(struct xscore_link *link, u8 msg_class,
		     const void *payload, u32 len);
void xscore_link_count(struct xscore_link *link, u64 *counter);
void xscore_link_count_malformed(struct xscore_link *link);
void xscore_link_count_unhandled(struct xscore_link *link);

/* xscore_xsmp.c: the session on a connected link */
int xscore_xsmp_register(struct xscore_link *link);
void xscore_xsmp_receive(struct xscore_link *link, const void *data, u32 len);
void xscore_xsmp_report_resources(struct xscore_link *link);

void xscore_link_queue_vdev_msg(struct xscore_link *link, u8 msg_class,
				const void *objs, u32 len);
void xscore_link_queue_event(struct xscore_link *link,
			     enum xscore_link_event event);
void xscore_link_queue_prune(struct xscore_link *link);
unsigned int xscore_link_busy_vdevs(struct xscore_link *link);

/* xscore_auth.c: the session's proofs */
int xscore_auth_init(void);
void xscore_auth_exit(void);
int xscore_auth_register(struct xscore_link *link,
			 struct xsmp_session_msg *msg);
int xscore_auth_confirm(struct xscore_link *link,
			const struct xsmp_session_msg *msg);
void xscore_auth_rejected(struct xscore_link *link);
const char *xscore_auth_state_name(enum xscore_auth_state state);

/* xscore_link_sysfs.c */
void xscore_link_rename(struct xscore_link *link);

/* xscore_vdev.c: the virtual devices installed over a link (vdev_work) */
u32 xscore_services_active(void);
unsigned int xscore_vdev_count_busy(struct xscore_link *link);
void xscore_vdev_receive(struct xscore_link *link, u8 msg_class,
			 const void *objs, u32 len);
void xscore_vdev_link_event(struct xscore_link *link,
			    enum xscore_link_event event);
void xscore_vdev_remove_all(struct xscore_link *link);
void xscore_vdev_prune(struct xscore_link *link);

#endif /* _XSCORE_LINK_H */
