// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XSMP links: one RC connection per (port, XCM), opened with rdma_cm,
 * kept up by the XSMP session on top of it (xscore_xsmp.c) and reopened
 * with backoff whenever it fails.
 *
 * One work item per link runs the state machine.  The CM event handler
 * and the completion handlers only record what happened (event bits, the
 * list of received buffers) and kick the work, so that every decision and
 * every teardown happens in one place, under the link's mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/slab.h>

#include "xscore_priv.h"

#define XSCORE_RESOLVE_TIMEOUT_MS	2000
#define XSCORE_CONNECT_TIMEOUT		(20 * HZ)
#define XSCORE_BACKOFF_MAX		(8 * HZ)
#define XSCORE_CM_RETRIES		7

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

static int xscore_link_cm_handler(struct rdma_cm_id *id,
				  struct rdma_cm_event *event)
{
	struct xscore_link *link = id->context;
	int bit;

	switch (event->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		bit = XSCORE_LINK_EV_ADDR_RESOLVED;
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		bit = XSCORE_LINK_EV_ROUTE_RESOLVED;
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		bit = XSCORE_LINK_EV_ESTABLISHED;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		bit = XSCORE_LINK_EV_DISCONNECTED;
		break;
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
	default:
		WRITE_ONCE(link->cm_status, event->status ? event->status :
			   -(int)event->event);
		bit = XSCORE_LINK_EV_CM_ERROR;
		break;
	}
	set_bit(bit, &link->events);
	xscore_link_kick(link);
	/* The work destroys the ID; the CM must not. */
	return 0;
}

static void xscore_link_qp_event(struct ib_event *event, void *context)
{
	struct xscore_link *link = context;

	if (event->event == IB_EVENT_COMM_EST)
		return;
	set_bit(XSCORE_LINK_EV_QP_ERROR, &link->events);
	xscore_link_kick(link);
}

static void xscore_link_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_link *link = cq->cq_context;
	struct xscore_link_buf *buf =
		container_of(wc->wr_cqe, struct xscore_link_buf, cqe);

	if (wc->status != IB_WC_SUCCESS) {
		set_bit(XSCORE_LINK_EV_QP_ERROR, &link->events);
	} else {
		buf->len = wc->byte_len;
		spin_lock_bh(&link->rx_lock);
		list_add_tail(&buf->node, &link->rx_done);
		spin_unlock_bh(&link->rx_lock);
	}
	xscore_link_kick(link);
}

static void xscore_link_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_link *link = cq->cq_context;

	atomic_dec(&link->tx_inflight);
	if (wc->status != IB_WC_SUCCESS) {
		set_bit(XSCORE_LINK_EV_QP_ERROR, &link->events);
		xscore_link_kick(link);
	}
}

static int xscore_link_post_recv(struct xscore_link *link,
				 struct xscore_link_buf *buf)
{
	struct ib_sge sge = {
		.addr	= buf->dma,
		.length	= XSMP_MAX_MSG_SIZE,
		.lkey	= link->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe		= &buf->cqe,
		.sg_list	= &sge,
		.num_sge	= 1,
	};

	ib_dma_sync_single_for_device(link->pd->device, buf->dma,
				      XSMP_MAX_MSG_SIZE, DMA_FROM_DEVICE);
	return ib_post_recv(link->cm_id->qp, &wr, NULL);
}

static void xscore_link_count(struct xscore_link *link, u64 *counter)
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
 * buffer is in flight (a peer that stops acknowledging loses its session
 * through the CM, not here).
 */
int xscore_link_send(struct xscore_link *link, u8 msg_class,
		     const void *payload, u32 len)
{
	struct xsmp_message_header *hdr;
	struct xscore_link_buf *buf;
	struct ib_send_wr wr = {
		.sg_list	= NULL,
		.num_sge	= 1,
		.opcode		= IB_WR_SEND,
		.send_flags	= IB_SEND_SIGNALED,
	};
	struct ib_sge sge = {
		.length	= sizeof(*hdr) + len,
		.lkey	= link->pd->local_dma_lkey,
	};
	int ret;

	if (WARN_ON_ONCE(len > XSMP_MAX_MSG_SIZE - sizeof(*hdr)))
		return -EMSGSIZE;

	spin_lock_bh(&link->tx_lock);
	if (!link->tx_qp) {
		ret = -ENOTCONN;
		goto unlock;
	}
	if (atomic_read(&link->tx_inflight) >= XSCORE_LINK_RING) {
		ret = -ENOBUFS;
		goto unlock;
	}
	buf = &link->tx[link->tx_next];
	link->tx_next = (link->tx_next + 1) % XSCORE_LINK_RING;
	ib_dma_sync_single_for_cpu(link->pd->device, buf->dma,
				   XSMP_MAX_MSG_SIZE, DMA_TO_DEVICE);
	hdr = buf->data;
	memset(hdr, 0, sizeof(*hdr));
	hdr->type = msg_class;
	hdr->length = cpu_to_be16(sizeof(*hdr) + len);
	hdr->seq_number = cpu_to_be32(++link->tx_seq);
	hdr->source_id.primary = cpu_to_be64(link->own_guid);
	hdr->dest_id.primary = cpu_to_be64(link->xcm_guid);
	memcpy(hdr + 1, payload, len);
	ib_dma_sync_single_for_device(link->pd->device, buf->dma, sge.length,
				      DMA_TO_DEVICE);

	sge.addr = buf->dma;
	wr.sg_list = &sge;
	wr.wr_cqe = &buf->cqe;
	atomic_inc(&link->tx_inflight);
	ret = ib_post_send(link->tx_qp, &wr, NULL);
	if (ret)
		atomic_dec(&link->tx_inflight);
unlock:
	spin_unlock_bh(&link->tx_lock);
	if (!ret)
		xscore_link_count(link, &link->stats.msgs_out);
	return ret;
}

/* Everything of one connection attempt goes; the link itself stays. */
static void xscore_link_teardown(struct xscore_link *link)
{
	struct xscore_link_buf *buf, *next;
	LIST_HEAD(done);

	spin_lock_bh(&link->tx_lock);
	link->tx_qp = NULL;
	link->tx_next = 0;
	link->tx_seq = 0;
	spin_unlock_bh(&link->tx_lock);

	if (link->cm_id) {
		/* Tell the XCM now rather than let its sends time out. */
		if (link->qp_created)
			rdma_disconnect(link->cm_id);
		if (link->qp_created)
			rdma_destroy_qp(link->cm_id);
		/* Waits for a running CM handler; none comes after. */
		rdma_destroy_id(link->cm_id);
		link->cm_id = NULL;
		link->qp_created = false;
	}
	if (link->cq) {
		/* Waits for running completion handlers; none comes after. */
		ib_free_cq(link->cq);
		link->cq = NULL;
	}
	spin_lock_bh(&link->rx_lock);
	list_splice_init(&link->rx_done, &done);
	spin_unlock_bh(&link->rx_lock);
	list_for_each_entry_safe(buf, next, &done, node)
		list_del_init(&buf->node);
	atomic_set(&link->tx_inflight, 0);
	link->events = 0;
}

static unsigned long xscore_link_backoff(struct xscore_link *link)
{
	unsigned int shift = min(link->failures, 3U);

	return min_t(unsigned long, HZ << shift, XSCORE_BACKOFF_MAX);
}

/* Give up on this connection; the work reconnects after a backoff. */
void xscore_link_fail(struct xscore_link *link, const char *why, int err)
{
	enum xscore_link_state old = link->state;

	xscore_link_teardown(link);
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

static int xscore_link_start_connect(struct xscore_link *link)
{
	struct rdma_cm_id *id;

	if (READ_ONCE(link->port->state) != IB_PORT_ACTIVE)
		return -ENETDOWN;

	id = rdma_create_id(&init_net, xscore_link_cm_handler, link,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	link->cm_id = id;
	link->events = 0;
	xscore_link_set_state(link, XSCORE_LINK_CONNECTING);
	link->deadline = jiffies + XSCORE_CONNECT_TIMEOUT;
	return rdma_resolve_addr(id, (struct sockaddr *)&link->src,
				 (struct sockaddr *)&link->dst,
				 XSCORE_RESOLVE_TIMEOUT_MS);
}

static int xscore_link_connect(struct xscore_link *link)
{
	struct xsmp_private_data priv = {};
	struct ib_qp_init_attr attr = {
		.event_handler	= xscore_link_qp_event,
		.qp_context	= link,
		.cap = {
			.max_send_wr	= XSCORE_LINK_RING,
			.max_recv_wr	= XSCORE_LINK_RING,
			.max_send_sge	= 1,
			.max_recv_sge	= 1,
		},
		.sq_sig_type	= IB_SIGNAL_ALL_WR,
		.qp_type	= IB_QPT_RC,
	};
	struct rdma_conn_param param = {
		.private_data		= &priv,
		.private_data_len	= sizeof(priv),
		.retry_count		= XSCORE_CM_RETRIES,
		.rnr_retry_count	= XSCORE_CM_RETRIES,
	};
	struct rdma_cm_id *id = link->cm_id;
	unsigned int i;
	int ret;

	/* The route must lead out of the port this link belongs to. */
	if (id->device != link->port->xdev->ibdev ||
	    id->port_num != link->port->port_num)
		return -EXDEV;

	link->cq = ib_alloc_cq(id->device, link, 2 * XSCORE_LINK_RING, 0,
			       IB_POLL_WORKQUEUE);
	if (IS_ERR(link->cq)) {
		ret = PTR_ERR(link->cq);
		link->cq = NULL;
		return ret;
	}
	attr.send_cq = link->cq;
	attr.recv_cq = link->cq;
	ret = rdma_create_qp(id, link->pd, &attr);
	if (ret)
		return ret;
	link->qp_created = true;

	for (i = 0; i < XSCORE_LINK_RING; i++) {
		ret = xscore_link_post_recv(link, &link->rx[i]);
		if (ret)
			return ret;
	}
	spin_lock_bh(&link->tx_lock);
	link->tx_qp = id->qp;
	spin_unlock_bh(&link->tx_lock);
	return rdma_connect(id, &param);
}

static void xscore_link_receive(struct xscore_link *link)
{
	struct xscore_link_buf *buf, *next;
	LIST_HEAD(done);
	int ret;

	spin_lock_bh(&link->rx_lock);
	list_splice_init(&link->rx_done, &done);
	spin_unlock_bh(&link->rx_lock);

	list_for_each_entry_safe(buf, next, &done, node) {
		list_del_init(&buf->node);
		if (!link->cm_id)
			continue;	/* a message ended the session */
		ib_dma_sync_single_for_cpu(link->pd->device, buf->dma,
					   XSMP_MAX_MSG_SIZE, DMA_FROM_DEVICE);
		xscore_xsmp_receive(link, buf->data, buf->len);
		if (!link->cm_id)
			continue;
		ret = xscore_link_post_recv(link, buf);
		if (ret)
			xscore_link_fail(link, "cannot repost a receive", ret);
	}
}

/* Move the state machine on by what the callbacks recorded. */
static void xscore_link_step(struct xscore_link *link)
{
	unsigned long events = xchg(&link->events, 0);
	int ret;

	if (events & BIT(XSCORE_LINK_EV_CM_ERROR)) {
		xscore_link_fail(link, "connection failed",
				 READ_ONCE(link->cm_status));
		return;
	}
	if (events & (BIT(XSCORE_LINK_EV_DISCONNECTED) |
		      BIT(XSCORE_LINK_EV_QP_ERROR))) {
		/* Messages that arrived before the end still count. */
		xscore_link_receive(link);
		if (link->cm_id)
			xscore_link_fail(link, "connection lost", -ECONNRESET);
		return;
	}

	switch (link->state) {
	case XSCORE_LINK_DOWN:
		if (time_before(jiffies, link->deadline))
			return;
		ret = xscore_link_start_connect(link);
		if (ret)
			xscore_link_fail(link, "cannot connect", ret);
		return;
	case XSCORE_LINK_CONNECTING:
		if (events & BIT(XSCORE_LINK_EV_ADDR_RESOLVED)) {
			ret = rdma_resolve_route(link->cm_id,
						 XSCORE_RESOLVE_TIMEOUT_MS);
			if (ret)
				xscore_link_fail(link, "no route", ret);
		} else if (events & BIT(XSCORE_LINK_EV_ROUTE_RESOLVED)) {
			ret = xscore_link_connect(link);
			if (ret)
				xscore_link_fail(link, "cannot connect", ret);
		} else if (events & BIT(XSCORE_LINK_EV_ESTABLISHED)) {
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
		xscore_link_receive(link);
		if (link->cm_id)
			xscore_xsmp_report_resources(link);
		if (link->cm_id)
			xscore_xsmp_check_timeouts(link);
		return;
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

static void xscore_link_free_bufs(struct xscore_link *link)
{
	struct ib_device *ibdev = link->port->xdev->ibdev;
	struct xscore_link_buf *buf;
	unsigned int i;

	for (i = 0; i < 2 * XSCORE_LINK_RING; i++) {
		buf = i < XSCORE_LINK_RING ? &link->rx[i] :
		      &link->tx[i - XSCORE_LINK_RING];
		if (!buf->data)
			continue;
		ib_dma_unmap_single(ibdev, buf->dma, XSMP_MAX_MSG_SIZE,
				    i < XSCORE_LINK_RING ? DMA_FROM_DEVICE :
				    DMA_TO_DEVICE);
		kfree(buf->data);
		buf->data = NULL;
	}
}

static int xscore_link_alloc_bufs(struct xscore_link *link)
{
	struct ib_device *ibdev = link->port->xdev->ibdev;
	struct xscore_link_buf *buf;
	enum dma_data_direction dir;
	unsigned int i;

	for (i = 0; i < 2 * XSCORE_LINK_RING; i++) {
		bool rx = i < XSCORE_LINK_RING;

		buf = rx ? &link->rx[i] : &link->tx[i - XSCORE_LINK_RING];
		dir = rx ? DMA_FROM_DEVICE : DMA_TO_DEVICE;
		buf->cqe.done = rx ? xscore_link_recv_done :
			       xscore_link_send_done;
		INIT_LIST_HEAD(&buf->node);
		buf->data = kzalloc(XSMP_MAX_MSG_SIZE, GFP_KERNEL);
		if (!buf->data)
			goto fail;
		buf->dma = ib_dma_map_single(ibdev, buf->data,
					     XSMP_MAX_MSG_SIZE, dir);
		if (ib_dma_mapping_error(ibdev, buf->dma)) {
			kfree(buf->data);
			buf->data = NULL;
			goto fail;
		}
	}
	return 0;
fail:
	xscore_link_free_bufs(link);
	return -ENOMEM;
}

static void xscore_link_release(struct device *dev)
{
	kfree(container_of(dev, struct xscore_link, dev));
}

/* The XCM's address: the XDS's subnet prefix with the XCM GUID as interface ID. */
static void xscore_link_address(struct sockaddr_in6 *sin6,
				const union ib_gid *prefix, u64 guid)
{
	__be64 interface_id = cpu_to_be64(guid);

	sin6->sin6_family = AF_INET6;
	memcpy(&sin6->sin6_addr.s6_addr[0], prefix->raw, 8);
	memcpy(&sin6->sin6_addr.s6_addr[8], &interface_id, 8);
}

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
	xscore_link_address(&link->dst, xds_gid, xcm_guid);
	link->dst.sin6_port = htons(XSMP_RDMA_CM_PORT);
	mutex_init(&link->mutex);
	INIT_DELAYED_WORK(&link->work, xscore_link_work);
	spin_lock_init(&link->rx_lock);
	spin_lock_init(&link->tx_lock);
	spin_lock_init(&link->lock);
	INIT_LIST_HEAD(&link->vdevs);
	INIT_LIST_HEAD(&link->rx_done);
	INIT_LIST_HEAD(&link->node);
	link->state = XSCORE_LINK_DOWN;
	link->deadline = jiffies;

	device_initialize(&link->dev);
	link->dev.class = &xscore_link_class;
	link->dev.release = xscore_link_release;
	ret = dev_set_name(&link->dev, "%s-%u-%016llx", dev_name(&ibdev->dev),
			   port->port_num, xcm_guid);
	if (ret)
		goto put;

	link->pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(link->pd)) {
		ret = PTR_ERR(link->pd);
		link->pd = NULL;
		goto put;
	}
	ret = xscore_link_alloc_bufs(link);
	if (ret)
		goto dealloc_pd;
	ret = device_add(&link->dev);
	if (ret)
		goto free_bufs;

	dev_info(&link->dev, "XCM %016llx at [%pI6c]:%u\n", xcm_guid,
		 &link->dst.sin6_addr, XSMP_RDMA_CM_PORT);
	xscore_link_kick(link);
	return link;

free_bufs:
	xscore_link_free_bufs(link);
dealloc_pd:
	ib_dealloc_pd(link->pd);
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
	/* Nothing can kick it now: its CM ID and CQ are gone. */
	cancel_delayed_work_sync(&link->work);
	/* Children first: their drivers' remove may still use the link. */
	xscore_vdev_remove_all(link);

	device_del(&link->dev);
	xscore_link_free_bufs(link);
	ib_dealloc_pd(link->pd);
	put_device(&link->dev);
}
