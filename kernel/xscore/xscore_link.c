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
#include <linux/slab.h>

#include "xscore_priv.h"

#define XSCORE_CONNECT_TIMEOUT		(20 * HZ)
#define XSCORE_BACKOFF_MAX		(8 * HZ)

const char *xscore_link_state_name(enum xscore_link_state state)
{
	switch (state) {
	case XSCORE_LINK_DOWN:
		return "down";
	case XSCORE_LINK_CONNECTING:
		return "connecting";
	case XSCORE_LINK_REGISTERING:
		return "registering";
	case XSCORE_LINK_UP:
		return "up";
	case XSCORE_LINK_STOPPED:
		return "stopped";
	}
	return "invalid";
}

void xscore_link_kick(struct xscore_link *link)
{
	mod_delayed_work(system_long_wq, &link->work, 0);
}

void xscore_link_set_state(struct xscore_link *link,
			   enum xscore_link_state state)
{
	spin_lock_bh(&link->lock);
	link->state = state;
	if (state == XSCORE_LINK_UP)
		link->up_since = jiffies;
	spin_unlock_bh(&link->lock);
}

static void xscore_link_conn_kick(struct xscore_conn *conn)
{
	xscore_link_kick(container_of(conn, struct xscore_link, conn));
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
	ret = xscore_conn_send(&link->conn, &hdr, sizeof(hdr), payload, len);
	if (!ret)
		link->tx_seq++;
	spin_unlock_bh(&link->seq_lock);
	if (!ret)
		xscore_link_count(link, &link->stats.msgs_out);
	return ret;
}

bool xscore_link_connected(struct xscore_link *link)
{
	return xscore_conn_active(&link->conn);
}

/* Everything of one connection attempt goes; the link itself stays. */
static void xscore_link_teardown(struct xscore_link *link)
{
	xscore_conn_close(&link->conn);
	spin_lock_bh(&link->seq_lock);
	link->tx_seq = 0;
	spin_unlock_bh(&link->seq_lock);
}

static unsigned long xscore_link_backoff(struct xscore_link *link)
{
	unsigned int shift = min(link->failures, 3U);

	return min_t(unsigned long, HZ << shift, XSCORE_BACKOFF_MAX);
}

static bool xscore_link_port_active(struct xscore_link *link)
{
	return READ_ONCE(link->port->state) == IB_PORT_ACTIVE;
}

/*
 * Give up on this connection; the work reconnects after a backoff.
 *
 * Closing a connection sends a DREQ, and on rxe a send while the port is
 * down moves the GSI QP to the error state for good: every later MAD and
 * connection request of the device then fails.  So a connection lost
 * while the port is down is closed only once the port is back.
 */
void xscore_link_fail(struct xscore_link *link, const char *why, int err)
{
	enum xscore_link_state old = link->state;

	if (xscore_link_port_active(link) || link->stopping)
		xscore_link_teardown(link);
	else
		link->close_pending = xscore_link_connected(link);
	if (old == XSCORE_LINK_UP)
		xscore_vdev_link_event(link, XSCORE_LINK_EVENT_DOWN);
	link->deadline = jiffies + xscore_link_backoff(link);
	link->failures++;
	xscore_link_set_state(link, XSCORE_LINK_DOWN);
	/*
	 * Every session that fails is reported; an XCM that cannot be reached
	 * only once, until it has been reached again.
	 */
	if (old >= XSCORE_LINK_REGISTERING || link->failures == 1)
		dev_info(&link->dev, "%s (%d), %s, reconnecting in %u ms\n",
			 why, err, xscore_link_state_name(old),
			 jiffies_to_msecs(link->deadline - jiffies));
}

static void xscore_link_deliver(struct xscore_conn *conn, void *data, u32 len)
{
	xscore_xsmp_receive(container_of(conn, struct xscore_link, conn),
			    data, len);
}

/* Move the state machine on by what the connection's callbacks recorded. */
static void xscore_link_step(struct xscore_link *link)
{
	enum xscore_conn_progress progress;
	int ret;

	if (link->state == XSCORE_LINK_DOWN) {
		if (time_before(jiffies, link->deadline))
			return;
		if (!xscore_link_port_active(link)) {
			xscore_link_fail(link, "port not active", -ENETDOWN);
			return;
		}
		if (link->close_pending) {
			link->close_pending = false;
			xscore_link_teardown(link);
		}
		xscore_link_set_state(link, XSCORE_LINK_CONNECTING);
		link->deadline = jiffies + XSCORE_CONNECT_TIMEOUT;
		ret = xscore_conn_connect(&link->conn, &link->src, &link->dst);
		if (ret)
			xscore_link_fail(link, "cannot connect", ret);
		return;
	}

	/* Messages that arrived before an end still count. */
	if (link->state != XSCORE_LINK_CONNECTING) {
		ret = xscore_conn_receive(&link->conn, xscore_link_deliver);
		if (ret) {
			xscore_link_fail(link, "cannot repost a receive", ret);
			return;
		}
		if (link->state == XSCORE_LINK_DOWN)
			return;		/* a message ended the session */
	}

	progress = xscore_conn_step(&link->conn);
	if (progress == XSCORE_CONN_FAILED) {
		xscore_link_fail(link, link->state == XSCORE_LINK_CONNECTING ?
				 "connection failed" : "connection lost",
				 link->conn.err);
		return;
	}

	switch (link->state) {
	case XSCORE_LINK_CONNECTING:
		if (progress == XSCORE_CONN_ESTABLISHED) {
			ret = xscore_xsmp_register(link);
			if (ret)
				xscore_link_fail(link, "cannot register", ret);
		} else if (time_after_eq(jiffies, link->deadline)) {
			xscore_link_fail(link, "connection timed out",
					 -ETIMEDOUT);
		}
		return;
	case XSCORE_LINK_REGISTERING:
	case XSCORE_LINK_UP:
		xscore_xsmp_report_resources(link);
		if (xscore_link_connected(link))
			xscore_xsmp_check_timeouts(link);
		return;
	case XSCORE_LINK_DOWN:
	case XSCORE_LINK_STOPPED:
		return;
	}
}

static void xscore_link_work(struct work_struct *work)
{
	struct xscore_link *link = container_of(to_delayed_work(work),
						struct xscore_link, work);
	long delay;

	mutex_lock(&link->mutex);
	if (link->stopping)
		goto out;
	xscore_link_step(link);
	/* A kick that came meanwhile keeps its earlier run. */
	delay = (long)(link->deadline - jiffies);
	queue_delayed_work(system_long_wq, &link->work, max(delay, 1L));
out:
	mutex_unlock(&link->mutex);
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
	mutex_init(&link->mutex);
	INIT_DELAYED_WORK(&link->work, xscore_link_work);
	spin_lock_init(&link->seq_lock);
	spin_lock_init(&link->lock);
	INIT_LIST_HEAD(&link->vdevs);
	INIT_LIST_HEAD(&link->node);
	link->state = XSCORE_LINK_DOWN;
	link->deadline = jiffies;

	device_initialize(&link->dev);
	link->dev.class = &xscore_link_class;
	link->dev.release = xscore_link_release;
	ret = dev_set_name(&link->dev, XSCORE_LINK_NAME_FMT,
			   dev_name(&ibdev->dev), port->port_num, xcm_guid);
	if (ret)
		goto put;

	ret = xscore_conn_init(&link->conn, ibdev, port->port_num,
			       &xscore_link_conn_params);
	if (ret)
		goto put;
	ret = device_add(&link->dev);
	if (ret)
		goto cleanup_conn;

	dev_info(&link->dev, "XCM %016llx at [%pI6c]:%u\n", xcm_guid,
		 &link->dst.sin6_addr, XSMP_RDMA_CM_PORT);
	xscore_link_kick(link);
	return link;

cleanup_conn:
	xscore_conn_cleanup(&link->conn);
put:
	put_device(&link->dev);
	return ERR_PTR(ret);
}

void xscore_link_destroy(struct xscore_link *link)
{
	mutex_lock(&link->mutex);
	link->stopping = true;
	if (link->state == XSCORE_LINK_UP)
		dev_info(&link->dev, "closing\n");
	xscore_link_teardown(link);
	xscore_link_set_state(link, XSCORE_LINK_STOPPED);
	mutex_unlock(&link->mutex);
	/* Nothing can kick it now: its connection is closed. */
	cancel_delayed_work_sync(&link->work);
	/* Children first: their drivers' remove may still use the link. */
	xscore_vdev_remove_all(link);

	device_del(&link->dev);
	xscore_conn_cleanup(&link->conn);
	put_device(&link->dev);
}
