// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A host's RC connection as the card accepts it: the QP on the rdma_cm id
 * of the connection request, one CQ for its sends and receives, and rings
 * of pre-mapped buffers.  The rings are fixed when the connection is
 * accepted, so a host can make the card hold no more than them.
 *
 * Completions run in softirq for the data connection (frames) and in a
 * workqueue for the control connection (its messages may change the
 * uplink's filters, under rtnl_lock).  Callbacks only mark a failed
 * connection and kick the vNIC's work, which destroys it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "xsethgw.h"

#define XSETHGW_RNR_RETRIES	7
#define XSETHGW_RETRIES		7

/**
 * xsethgw_conn_fail() - mark a connection failed and let its vNIC close it
 * @conn: the connection
 *
 * Callable from any context.
 */
void xsethgw_conn_fail(struct xsethgw_conn *conn)
{
	WRITE_ONCE(conn->failed, true);
	xsethgw_vnic_kick(conn->vnic);
}

static void xsethgw_conn_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsethgw_buf *buf =
		container_of(wc->wr_cqe, struct xsethgw_buf, cqe);
	struct xsethgw_conn *conn = buf->conn;

	if (wc->status != IB_WC_SUCCESS) {
		xsethgw_conn_fail(conn);
		return;
	}
	ib_dma_sync_single_for_cpu(cq->device, buf->dma, wc->byte_len,
				   DMA_FROM_DEVICE);
	if (conn->is_data)
		xsethgw_data_from_host(conn, buf->data, wc->byte_len);
	else
		xsethgw_vnic_ctrl(conn, buf->data, wc->byte_len);
	if (xsethgw_conn_repost(conn, buf))
		xsethgw_conn_fail(conn);
}

static void xsethgw_conn_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsethgw_buf *buf =
		container_of(wc->wr_cqe, struct xsethgw_buf, cqe);
	struct xsethgw_conn *conn = buf->conn;

	atomic_dec(&conn->tx_inflight);
	if (wc->status != IB_WC_SUCCESS)
		xsethgw_conn_fail(conn);
}

/**
 * xsethgw_conn_repost() - give a receive buffer back to the QP
 * @conn: the connection
 * @buf: one of its receive buffers, its message consumed
 *
 * Return: 0, or ib_post_recv()'s error.
 */
int xsethgw_conn_repost(struct xsethgw_conn *conn, struct xsethgw_buf *buf)
{
	struct ib_sge sge = {
		.addr	= buf->dma,
		.length	= conn->buf_size,
		.lkey	= conn->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe		= &buf->cqe,
		.sg_list	= &sge,
		.num_sge	= 1,
	};

	ib_dma_sync_single_for_device(conn->cm_id->device, buf->dma,
				      conn->buf_size, DMA_FROM_DEVICE);
	return ib_post_recv(conn->cm_id->qp, &wr, NULL);
}

/**
 * xsethgw_conn_send() - send one message written into a send buffer
 * @conn: the connection
 * @len: the message's length, at most the connection's buffer size
 * @fill: writes @len bytes from @src to @dst
 * @src: what @fill reads
 *
 * Callable from any context that may take a BH spinlock; @fill runs
 * under it.
 *
 * Return: 0; -ENOTCONN when the connection takes no sends; -ENOBUFS when
 * every send buffer is in flight; -EMSGSIZE; else ib_post_send()'s error.
 */
int xsethgw_conn_send(struct xsethgw_conn *conn, u32 len,
		      void (*fill)(void *dst, const void *src, u32 len),
		      const void *src)
{
	struct xsethgw_buf *buf;
	struct ib_sge sge = {
		.length	= len,
		.lkey	= conn->pd->local_dma_lkey,
	};
	struct ib_send_wr wr = {
		.sg_list	= &sge,
		.num_sge	= 1,
		.opcode		= IB_WR_SEND,
		.send_flags	= IB_SEND_SIGNALED,
	};
	int ret;

	if (len > conn->buf_size)
		return -EMSGSIZE;
	spin_lock_bh(&conn->tx_lock);
	if (!conn->tx_open || READ_ONCE(conn->failed)) {
		ret = -ENOTCONN;
		goto unlock;
	}
	if (atomic_read(&conn->tx_inflight) >= conn->ring) {
		ret = -ENOBUFS;
		goto unlock;
	}
	buf = &conn->tx[conn->tx_next];
	ib_dma_sync_single_for_cpu(conn->cm_id->device, buf->dma,
				   conn->buf_size, DMA_TO_DEVICE);
	fill(buf->data, src, len);
	ib_dma_sync_single_for_device(conn->cm_id->device, buf->dma, len,
				      DMA_TO_DEVICE);
	sge.addr = buf->dma;
	wr.wr_cqe = &buf->cqe;
	atomic_inc(&conn->tx_inflight);
	ret = ib_post_send(conn->cm_id->qp, &wr, NULL);
	if (ret) {
		atomic_dec(&conn->tx_inflight);
		goto unlock;
	}
	/* RC completes sends in order: the ring's slots free up in order. */
	conn->tx_next = (conn->tx_next + 1) % conn->ring;
unlock:
	spin_unlock_bh(&conn->tx_lock);
	return ret;
}

static void xsethgw_conn_free_bufs(struct xsethgw_conn *conn,
				   struct xsethgw_buf *bufs,
				   enum dma_data_direction dir)
{
	unsigned int i;

	if (!bufs)
		return;
	for (i = 0; i < conn->ring; i++) {
		if (!bufs[i].data)
			continue;
		ib_dma_unmap_single(conn->cm_id->device, bufs[i].dma,
				    conn->buf_size, dir);
		kfree(bufs[i].data);
	}
	kfree(bufs);
}

static struct xsethgw_buf *xsethgw_conn_alloc_bufs(struct xsethgw_conn *conn,
						   enum dma_data_direction dir)
{
	struct ib_device *ibdev = conn->cm_id->device;
	struct xsethgw_buf *bufs, *buf;
	unsigned int i;

	bufs = kcalloc(conn->ring, sizeof(*bufs), GFP_KERNEL);
	if (!bufs)
		return NULL;
	for (i = 0; i < conn->ring; i++) {
		buf = &bufs[i];
		buf->conn = conn;
		buf->cqe.done = dir == DMA_FROM_DEVICE ?
				xsethgw_conn_recv_done :
				xsethgw_conn_send_done;
		buf->data = kzalloc(conn->buf_size, GFP_KERNEL);
		if (!buf->data)
			goto fail;
		buf->dma = ib_dma_map_single(ibdev, buf->data, conn->buf_size,
					     dir);
		if (ib_dma_mapping_error(ibdev, buf->dma)) {
			kfree(buf->data);
			buf->data = NULL;
			goto fail;
		}
	}
	return bufs;
fail:
	xsethgw_conn_free_bufs(conn, bufs, dir);
	return NULL;
}

static int xsethgw_conn_create_qp(struct xsethgw_conn *conn)
{
	/* One more of each for ib_drain_qp()'s marker. */
	struct ib_qp_init_attr attr = {
		.cap = {
			.max_send_wr	= conn->ring + 1,
			.max_recv_wr	= conn->ring + 1,
			.max_send_sge	= 1,
			.max_recv_sge	= 1,
		},
		.sq_sig_type	= IB_SIGNAL_ALL_WR,
		.qp_type	= IB_QPT_RC,
	};
	struct ib_device *ibdev = conn->cm_id->device;

	conn->cq = ib_alloc_cq(ibdev, conn, 2 * (conn->ring + 1), 0,
			       conn->is_data ? IB_POLL_SOFTIRQ :
			       IB_POLL_WORKQUEUE);
	if (IS_ERR(conn->cq)) {
		int ret = PTR_ERR(conn->cq);

		conn->cq = NULL;
		return ret;
	}
	attr.send_cq = conn->cq;
	attr.recv_cq = conn->cq;
	return rdma_create_qp(conn->cm_id, conn->pd, &attr);
}

/* What xsethgw_conn_accept() built, undone; the id stays for the CM. */
static void xsethgw_conn_unbuild(struct xsethgw_conn *conn)
{
	if (conn->cm_id->qp) {
		ib_drain_qp(conn->cm_id->qp);
		rdma_destroy_qp(conn->cm_id);
	}
	if (conn->cq)
		ib_free_cq(conn->cq);
	xsethgw_conn_free_bufs(conn, conn->rx, DMA_FROM_DEVICE);
	xsethgw_conn_free_bufs(conn, conn->tx, DMA_TO_DEVICE);
	if (conn->pd)
		ib_dealloc_pd(conn->pd);
}

/**
 * xsethgw_conn_accept() - accept a host's connection request
 * @vnic: the vNIC it is for; the connection takes a reference
 * @id: the request's rdma_cm id, from within its CONNECT_REQUEST event
 * @is_data: the data connection (frames), else the control one
 *
 * Builds the QP, posts the receive ring and accepts.  From then on @id's
 * context is the connection.  On an error nothing is left but @id, which
 * the caller hands back to the CM (a non-zero return from the handler).
 *
 * Return: the connection, or an ERR_PTR().
 */
struct xsethgw_conn *xsethgw_conn_accept(struct xsethgw_vnic *vnic,
					 struct rdma_cm_id *id, bool is_data)
{
	struct rdma_conn_param param = {
		.retry_count		= XSETHGW_RETRIES,
		.rnr_retry_count	= XSETHGW_RNR_RETRIES,
	};
	struct xsethgw_conn *conn;
	unsigned int i;
	int ret;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	conn->vnic = vnic;
	conn->cm_id = id;
	conn->is_data = is_data;
	conn->ring = is_data ? XSETHGW_DATA_RING : XSVNIC_CTRL_RING;
	conn->buf_size = is_data ? XSETHGW_FRAME_BUF : XSVNIC_CTRL_BUF_SIZE;
	spin_lock_init(&conn->tx_lock);
	atomic_set(&conn->tx_inflight, 0);

	conn->pd = ib_alloc_pd(id->device, 0);
	if (IS_ERR(conn->pd)) {
		ret = PTR_ERR(conn->pd);
		conn->pd = NULL;
		goto fail;
	}
	conn->rx = xsethgw_conn_alloc_bufs(conn, DMA_FROM_DEVICE);
	conn->tx = xsethgw_conn_alloc_bufs(conn, DMA_TO_DEVICE);
	if (!conn->rx || !conn->tx) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = xsethgw_conn_create_qp(conn);
	if (ret)
		goto fail;
	for (i = 0; i < conn->ring; i++) {
		ret = xsethgw_conn_repost(conn, &conn->rx[i]);
		if (ret)
			goto fail;
	}
	/* The CM's default RNR NAK timer stalls a host that finds our ring dry. */
	ret = rdma_set_min_rnr_timer(id, IB_RNR_TIMER_000_64);
	if (ret)
		goto fail;
	id->context = conn;
	ret = rdma_accept(id, &param);
	if (ret)
		goto fail;
	spin_lock_bh(&conn->tx_lock);
	conn->tx_open = true;
	spin_unlock_bh(&conn->tx_lock);
	xsethgw_vnic_get(vnic);
	return conn;
fail:
	xsethgw_conn_unbuild(conn);
	kfree(conn);
	return ERR_PTR(ret);
}

/**
 * xsethgw_conn_cm_event() - an rdma_cm event of an accepted connection
 * @conn: the connection (its id's context)
 * @event: the event
 *
 * Return: 0: the connection's owner destroys the id, never the CM.
 */
int xsethgw_conn_cm_event(struct xsethgw_conn *conn,
			  struct rdma_cm_event *event)
{
	/* The QP takes sends from the accept on; anything else means it is gone. */
	if (event->event != RDMA_CM_EVENT_ESTABLISHED)
		xsethgw_conn_fail(conn);
	return 0;
}

/**
 * xsethgw_conn_destroy() - disconnect and free a connection
 * @conn: the connection, detached from its vNIC (and, for data, no longer
 *	reachable by the rx_handler after an RCU grace period)
 *
 * Waits for its completion handlers and CM handler; none runs afterwards.
 * Called without rtnl_lock or any of the gateway's mutexes held, which
 * those handlers may take.
 */
void xsethgw_conn_destroy(struct xsethgw_conn *conn)
{
	struct xsethgw_vnic *vnic = conn->vnic;

	spin_lock_bh(&conn->tx_lock);
	conn->tx_open = false;
	spin_unlock_bh(&conn->tx_lock);
	rdma_disconnect(conn->cm_id);
	xsethgw_conn_unbuild(conn);
	/* Waits for a running CM handler. */
	rdma_destroy_id(conn->cm_id);
	kfree(conn);
	xsethgw_vnic_put(vnic);
}
