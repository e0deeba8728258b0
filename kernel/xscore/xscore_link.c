// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XSMP links: one RC connection per (port, XCM), opened with rdma_cm,
 * kept up by the XSMP session on top of it (xscore_xsmp.c) and reopened
 * with backoff whenever it fails.
 *
 * One work item per link runs the state machine and drives the link's RC
 * connection (xscore_conn.c), whose callbacks only kick it: every decision
 * and every teardown happens in one place, under the link's mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "xscore_priv.h"
#include "xscore_trace.h"

#define XSCORE_CONNECT_TIMEOUT		(20 * HZ)
#define XSCORE_REGISTER_TIMEOUT		(10 * HZ)
#define XSCORE_BACKOFF_MAX		(8 * HZ)

const char *xscore_link_state_name(enum xscore_session_state state)
{
	switch (state) {
	case XSCORE_SESSION_DOWN:
		return "down";
	case XSCORE_SESSION_CONNECTING:
		return "connecting";
	case XSCORE_SESSION_OPENING:
		return "registering";
	case XSCORE_SESSION_UP:
		return "up";
	case XSCORE_SESSION_STOPPED:
		return "stopped";
	}
	return "invalid";
}

static struct xscore_link *xscore_link_of(struct xscore_session *session)
{
	return container_of(session, struct xscore_link, session);
}

void xscore_link_kick(struct xscore_link *link)
{
	xscore_session_kick(&link->session);
}

static void xscore_link_conn_kick(struct xscore_conn *conn)
{
	xscore_link_kick(xscore_conn_context(conn));
}

void xscore_link_count(struct xscore_link *link, u64 *counter)
{
	spin_lock_bh(&link->lock);
	(*counter)++;
	spin_unlock_bh(&link->lock);
}

void xscore_link_count_malformed(struct xscore_link *link)
{
	xscore_link_count(link, &link->stats.malformed);
}

void xscore_link_count_unhandled(struct xscore_link *link)
{
	xscore_link_count(link, &link->stats.unhandled);
}

/*
 * Send one XSMP message: the header, then `len` bytes of objects of
 * `msg_class`.  -ENOTCONN without a connection; -ENOBUFS when every send
 * buffer is in flight.  The sequence lock keeps numbers in sending order.
 */
int xscore_link_send(struct xscore_link *link, u8 msg_class,
		     const void *payload, u32 len)
{
	struct xsmp_message_header hdr = {
		.type			= msg_class,
		.length			= cpu_to_be16(sizeof(hdr) + len),
		.source_id.primary	= cpu_to_be64(link->own_guid),
		.dest_id.primary	= cpu_to_be64(link->xcm_guid),
	};
	int ret;

	spin_lock_bh(&link->seq_lock);
	hdr.seq_number = cpu_to_be32(link->tx_seq + 1);
	ret = xscore_conn_send(link->conn, &hdr, sizeof(hdr), payload, len);
	if (!ret)
		link->tx_seq++;
	spin_unlock_bh(&link->seq_lock);
	if (ret)
		return ret;
	xscore_link_count(link, &link->stats.msgs_out);
	trace_xscore_xsmp_msg(dev_name(&link->dev), true, msg_class,
			      len ? *(const u8 *)payload : 0,
			      sizeof(hdr) + len, be32_to_cpu(hdr.seq_number));
	return 0;
}

/* Everything of one connection attempt goes; the link itself stays. */
static void xscore_link_close(struct xscore_link *link)
{
	xscore_conn_close(link->conn);
	spin_lock_bh(&link->seq_lock);
	link->tx_seq = 0;
	spin_unlock_bh(&link->seq_lock);
}

static bool xscore_link_port_active(struct xscore_link *link)
{
	return READ_ONCE(link->port->state) == IB_PORT_ACTIVE;
}

/*
 * A connection lost while the port is down sends its DREQ only once the
 * port is back: xsconn keeps its CM id until then (on rxe a send while the
 * port is down breaks the GSI QP for good).
 */
static void xscore_link_teardown(struct xscore_session *session)
{
	struct xscore_link *link = xscore_link_of(session);

	lockdep_assert_held(&session->mutex);
	/* The proof the XCM owed this session is of no use to the next. */
	link->auth_expect = false;
	memzero_explicit(link->auth_xcm_proof, sizeof(link->auth_xcm_proof));
	xscore_link_close(link);
}

static void xscore_link_down(struct xscore_session *session,
			     enum xscore_session_state old, const char *why,
			     int err)
{
	struct xscore_link *link = xscore_link_of(session);

	lockdep_assert_held(&session->mutex);
	if (old == XSCORE_SESSION_UP)
		xscore_link_queue_event(link, XSCORE_LINK_EVENT_DOWN);
	/*
	 * Every session that fails is reported; an XCM that cannot be reached
	 * only once, until it has been reached again.
	 */
	if (old >= XSCORE_SESSION_OPENING || session->failures == 1)
		dev_info(&link->dev, "%s (%d), %s, reconnecting in %u ms\n",
			 why, err, xscore_link_state_name(old),
			 xscore_session_retry_in(session));
}

/* Give up on this connection; the session reconnects after a backoff. */
void xscore_link_fail(struct xscore_link *link, const char *why, int err)
{
	xscore_session_fail(&link->session, why, err);
}

static int xscore_link_connect(struct xscore_session *session)
{
	struct xscore_link *link = xscore_link_of(session);

	lockdep_assert_held(&session->mutex);
	if (!xscore_link_port_active(link))
		return -ENETDOWN;
	return xscore_conn_connect(link->conn, &link->src, &link->dst);
}

static void xscore_link_deliver(struct xscore_conn *conn, void *data, u32 len)
{
	xscore_xsmp_receive(xscore_conn_context(conn),
			    data, len);
}

/* Move the session on by what the connection's callbacks recorded. */
static void xscore_link_step(struct xscore_session *session)
{
	struct xscore_link *link = xscore_link_of(session);
	enum xscore_conn_progress progress;
	int ret;

	lockdep_assert_held(&session->mutex);
	/* Messages that arrived before an end still count. */
	if (session->state != XSCORE_SESSION_CONNECTING) {
		ret = xscore_conn_receive(link->conn, xscore_link_deliver);
		if (ret) {
			xscore_link_fail(link, "cannot repost a receive", ret);
			return;
		}
		if (session->state == XSCORE_SESSION_DOWN)
			return;		/* a message ended the session */
	}

	progress = xscore_conn_step(link->conn);
	if (progress == XSCORE_CONN_FAILED) {
		xscore_link_fail(link,
				 session->state == XSCORE_SESSION_CONNECTING ?
				 "connection failed" : "connection lost",
				 xscore_conn_error(link->conn));
		return;
	}
	if (progress == XSCORE_CONN_ESTABLISHED &&
	    session->state == XSCORE_SESSION_CONNECTING) {
		xscore_session_connected(session);
		ret = xscore_xsmp_register(link);
		if (ret)
			xscore_link_fail(link, "cannot register", ret);
		return;
	}
	if (session->state == XSCORE_SESSION_UP)
		xscore_xsmp_report_resources(link);
}

static const char *xscore_link_name(struct xscore_session *session)
{
	return dev_name(&xscore_link_of(session)->dev);
}

static const struct xscore_session_ops xscore_link_session_ops = {
	.connect	= xscore_link_connect,
	.step		= xscore_link_step,
	.teardown	= xscore_link_teardown,
	.down		= xscore_link_down,
	.name		= xscore_link_name,
};

static const struct xscore_session_params xscore_link_session_params = {
	.ops			= &xscore_link_session_ops,
	.connect_timeout	= XSCORE_CONNECT_TIMEOUT,
	.open_timeout		= XSCORE_REGISTER_TIMEOUT,
	.backoff_max		= XSCORE_BACKOFF_MAX,
	.open_timeout_why	= "no answer to REGISTER",
	.alive_timeout_why	= "XCM silent past the hello timeout",
};

/* A VNIC or VHBA class message (msg_class set) or a link event. */
enum xscore_link_item_kind {
	XSCORE_LINK_ITEM_MSG,		/* objects of a VNIC or VHBA message */
	XSCORE_LINK_ITEM_EVENT,		/* the link came up or went down */
	XSCORE_LINK_ITEM_PRUNE,		/* the operator deletes orphans */
	XSCORE_LINK_ITEM_COUNT_BUSY,	/* discovery asks for busy_vdevs */
};

struct xscore_link_vdev_item {
	struct list_head node;
	enum xscore_link_item_kind kind;
	u8 msg_class;
	enum xscore_link_event event;
	u32 len;
	u8 objs[];
};

/* False when the link is going: the item is freed, not queued. */
static bool xscore_link_queue_vdev(struct xscore_link *link,
				   struct xscore_link_vdev_item *item)
{
	bool queued;

	spin_lock_bh(&link->vdev_queue_lock);
	queued = !link->vdev_closing;
	if (queued)
		list_add_tail(&item->node, &link->vdev_queue);
	spin_unlock_bh(&link->vdev_queue_lock);
	if (!queued) {
		kfree(item);
		return false;
	}
	queue_work(system_long_wq, &link->vdev_work);
	return true;
}

/*
 * From the session's work, which may run in reclaim: GFP_NOIO.  A message
 * lost here is counted; the XCM sends its configuration again.
 */
void xscore_link_queue_vdev_msg(struct xscore_link *link, u8 msg_class,
				const void *objs, u32 len)
{
	struct xscore_link_vdev_item *item;

	item = kmalloc(struct_size(item, objs, len), GFP_NOIO);
	if (!item) {
		xscore_link_count_unhandled(link);
		return;
	}
	item->kind = XSCORE_LINK_ITEM_MSG;
	item->msg_class = msg_class;
	item->len = len;
	memcpy(item->objs, objs, len);
	xscore_link_queue_vdev(link, item);
}

/* A lost event would leave a device's view of the link wrong: __GFP_NOFAIL. */
void xscore_link_queue_event(struct xscore_link *link,
			     enum xscore_link_event event)
{
	struct xscore_link_vdev_item *item;

	item = kmalloc(sizeof(*item), GFP_NOIO | __GFP_NOFAIL);
	item->kind = XSCORE_LINK_ITEM_EVENT;
	item->msg_class = 0;
	item->event = event;
	item->len = 0;
	xscore_link_queue_vdev(link, item);
}

/* From a device's sysfs: the work removes the orphans marked delete_asked. */
void xscore_link_queue_prune(struct xscore_link *link)
{
	struct xscore_link_vdev_item *item;

	item = kzalloc(sizeof(*item), GFP_KERNEL);
	if (!item)
		return;
	item->kind = XSCORE_LINK_ITEM_PRUNE;
	xscore_link_queue_vdev(link, item);
}

/**
 * xscore_link_busy_vdevs() - how many of a link's devices are in use
 * @link: the link, from the port's discovery work
 *
 * Only vdev_work walks the link's devices: it is asked, and waited for.
 *
 * Return: the number of devices whose driver says they are busy; UINT_MAX
 * when that cannot be learnt (no memory): then the link counts as busy.
 */
unsigned int xscore_link_busy_vdevs(struct xscore_link *link)
{
	struct xscore_link_vdev_item *item;

	item = kzalloc(sizeof(*item), GFP_KERNEL);
	if (!item)
		return UINT_MAX;
	item->kind = XSCORE_LINK_ITEM_COUNT_BUSY;
	if (!xscore_link_queue_vdev(link, item))
		return UINT_MAX;
	flush_work(&link->vdev_work);
	return READ_ONCE(link->busy_vdevs);
}

static struct xscore_link_vdev_item *
xscore_link_next_vdev_item(struct xscore_link *link)
{
	struct xscore_link_vdev_item *item;

	spin_lock_bh(&link->vdev_queue_lock);
	item = list_first_entry_or_null(&link->vdev_queue,
					struct xscore_link_vdev_item, node);
	if (item)
		list_del(&item->node);
	spin_unlock_bh(&link->vdev_queue_lock);
	return item;
}

/*
 * KOBJ_CHANGE with XSCORE_LINK_STATE=up|down, so that udev rules and
 * monitors learn of a link's session without polling its state attribute.
 */
static void xscore_link_uevent(struct xscore_link *link,
			       enum xscore_link_event event)
{
	char state[32];
	char *envp[2] = { state, NULL };

	snprintf(state, sizeof(state), "XSCORE_LINK_STATE=%s",
		 event == XSCORE_LINK_EVENT_UP ? "up" : "down");
	kobject_uevent_env(&link->dev.kobj, KOBJ_CHANGE, envp);
}

/* Devices are added and removed here, off the recovery workqueue. */
static void xscore_link_vdev_work(struct work_struct *work)
{
	struct xscore_link *link = container_of(work, struct xscore_link,
						vdev_work);
	struct xscore_link_vdev_item *item;

	while ((item = xscore_link_next_vdev_item(link))) {
		switch (item->kind) {
		case XSCORE_LINK_ITEM_MSG:
			xscore_vdev_receive(link, item->msg_class, item->objs,
					    item->len);
			break;
		case XSCORE_LINK_ITEM_EVENT:
			xscore_vdev_link_event(link, item->event);
			xscore_link_uevent(link, item->event);
			break;
		case XSCORE_LINK_ITEM_PRUNE:
			xscore_vdev_prune(link);
			break;
		case XSCORE_LINK_ITEM_COUNT_BUSY:
			WRITE_ONCE(link->busy_vdevs,
				   xscore_vdev_count_busy(link));
			break;
		}
		kfree(item);
	}
}

static void xscore_link_release(struct device *dev)
{
	kfree(container_of(dev, struct xscore_link, dev));
}

/*
 * An address on the fabric: the 8-byte subnet prefix of a GID or address
 * with a GUID as interface ID (an XCM's, or an I/O card port's).
 */
void xscore_fabric_address(struct sockaddr_in6 *sin6, const u8 *prefix,
			   u64 guid)
{
	__be64 interface_id = cpu_to_be64(guid);

	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr.s6_addr[0], prefix, 8);
	memcpy(&sin6->sin6_addr.s6_addr[8], &interface_id, 8);
}

static const struct xsmp_private_data xscore_link_private_data;

static const struct xscore_conn_params xscore_link_conn_params = {
	.ring			= XSCORE_LINK_RING,
	.buf_size		= XSMP_MAX_MSG_SIZE,
	.private_data		= &xscore_link_private_data,
	.private_data_len	= sizeof(xscore_link_private_data),
	.kick			= xscore_link_conn_kick,
};

struct xscore_link *xscore_link_create(struct xscore_port *port, u64 xcm_guid,
				       const union ib_gid *sgid,
				       const union ib_gid *xds_gid)
{
	struct ib_device *ibdev = port->xdev->ibdev;
	struct xscore_link *link;
	int ret;

	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return ERR_PTR(-ENOMEM);

	link->port = port;
	link->xcm_guid = xcm_guid;
	link->own_guid = be64_to_cpu(ibdev->node_guid);
	link->src.sin6_family = AF_INET6;
	memcpy(&link->src.sin6_addr, sgid->raw, sizeof(sgid->raw));
	xscore_fabric_address(&link->dst, xds_gid->raw, xcm_guid);
	link->dst.sin6_port = htons(XSMP_RDMA_CM_PORT);
	xscore_session_init(&link->session, &xscore_link_session_params);
	spin_lock_init(&link->seq_lock);
	spin_lock_init(&link->lock);
	spin_lock_init(&link->vdev_queue_lock);
	INIT_LIST_HEAD(&link->vdev_queue);
	INIT_WORK(&link->vdev_work, xscore_link_vdev_work);
	INIT_LIST_HEAD(&link->vdevs);
	INIT_LIST_HEAD(&link->node);

	device_initialize(&link->dev);
	link->dev.class = &xscore_link_class;
	link->dev.release = xscore_link_release;
	ret = dev_set_name(&link->dev, XSCORE_LINK_NAME_FMT,
			   dev_name(&ibdev->dev), port->port_num, xcm_guid);
	if (ret)
		goto put;

	link->conn = xscore_conn_create(ibdev, port->port_num,
					&xscore_link_conn_params, link);
	if (IS_ERR(link->conn)) {
		ret = PTR_ERR(link->conn);
		link->conn = NULL;
		goto put;
	}
	ret = device_add(&link->dev);
	if (ret)
		goto cleanup_conn;

	dev_info(&link->dev, "XCM %016llx at [%pI6c]:%u\n", xcm_guid,
		 &link->dst.sin6_addr, XSMP_RDMA_CM_PORT);
	xscore_link_kick(link);
	return link;

cleanup_conn:
	xscore_conn_destroy(link->conn);
put:
	put_device(&link->dev);
	return ERR_PTR(ret);
}

void xscore_link_destroy(struct xscore_link *link)
{
	struct xscore_link_vdev_item *item;

	if (xscore_session_state(&link->session) == XSCORE_SESSION_UP)
		dev_info(&link->dev, "closing\n");
	/* Nothing can kick it now: its connection is closed. */
	xscore_session_stop(&link->session);
	/*
	 * Nothing queues now (a device's sysfs could still ask for a prune):
	 * what is left would configure devices that go.
	 */
	spin_lock_bh(&link->vdev_queue_lock);
	link->vdev_closing = true;
	spin_unlock_bh(&link->vdev_queue_lock);
	cancel_work_sync(&link->vdev_work);
	while ((item = xscore_link_next_vdev_item(link)))
		kfree(item);
	/* Children first: their drivers' remove may still use the link. */
	xscore_vdev_remove_all(link);

	device_del(&link->dev);
	xscore_conn_destroy(link->conn);
	put_device(&link->dev);
}
