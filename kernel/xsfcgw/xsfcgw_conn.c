// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The card port's rdma_cm listener and the vHBAs' RC connections: accept a
 * host's control or data connection (told apart by the private data), make
 * its QP, CQ and buffers, post the receives, and hand what arrives to the
 * vHBA.  A connection that fails or ends closes its vHBA.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <rdma/rw.h>

#include "xsfcgw.h"

static void xsfcgw_iu_free(struct ib_device *ibdev, struct xsfcgw_iu *iu,
			   unsigned int n)
{
	unsigned int i;

	if (!iu)
		return;
	for (i = 0; i < n; i++) {
		if (!iu[i].buf)
			continue;
		ib_dma_unmap_single(ibdev, iu[i].dma, iu[i].size, iu[i].dir);
		kfree(iu[i].buf);
	}
	kfree(iu);
}

static struct xsfcgw_iu *xsfcgw_iu_alloc(struct xsfcgw_conn *conn,
					 unsigned int n, u32 size,
					 enum dma_data_direction dir,
					 void (*done)(struct ib_cq *cq,
						      struct ib_wc *wc))
{
	struct ib_device *ibdev = conn->vhba->ibdev;
	struct xsfcgw_iu *iu;
	unsigned int i;

	iu = kcalloc(n, sizeof(*iu), GFP_KERNEL);
	if (!iu)
		return NULL;
	for (i = 0; i < n; i++) {
		iu[i].conn = conn;
		iu[i].size = size;
		iu[i].dir = dir;
		iu[i].cqe.done = done;
		iu[i].buf = kzalloc(size, GFP_KERNEL);
		if (!iu[i].buf)
			goto fail;
		iu[i].dma = ib_dma_map_single(ibdev, iu[i].buf, size, dir);
		if (ib_dma_mapping_error(ibdev, iu[i].dma)) {
			kfree(iu[i].buf);
			iu[i].buf = NULL;
			goto fail;
		}
	}
	return iu;

fail:
	xsfcgw_iu_free(ibdev, iu, n);
	return NULL;
}

static int xsfcgw_post_recv(struct xsfcgw_iu *iu)
{
	struct ib_sge sge = {
		.addr	= iu->dma,
		.length	= iu->size,
		.lkey	= iu->conn->vhba->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe		= &iu->cqe,
		.sg_list	= &sge,
		.num_sge	= 1,
	};

	return ib_post_recv(iu->conn->qp, &wr, NULL);
}

/* A message arrived: deliver it, then give the buffer back to the QP. */
static void xsfcgw_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsfcgw_iu *iu = container_of(wc->wr_cqe, struct xsfcgw_iu, cqe);
	struct xsfcgw_conn *conn = iu->conn;
	struct xsfcgw_vhba *vhba = conn->vhba;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			xsfcgw_vhba_close(vhba, "receive failed");
		return;
	}
	ib_dma_sync_single_for_cpu(vhba->ibdev, iu->dma, iu->size,
				   DMA_FROM_DEVICE);
	if (conn->control)
		xsfcgw_vhba_control(vhba, iu->buf, min(wc->byte_len, iu->size));
	else
		xsfcgw_data_message(vhba, iu->buf, min(wc->byte_len, iu->size));
	ib_dma_sync_single_for_device(vhba->ibdev, iu->dma, iu->size,
				      DMA_FROM_DEVICE);
	if (xsfcgw_post_recv(iu))
		xsfcgw_vhba_close(vhba, "receive not posted");
}

static void xsfcgw_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsfcgw_iu *iu = container_of(wc->wr_cqe, struct xsfcgw_iu, cqe);
	struct xsfcgw_conn *conn = iu->conn;
	struct xsfcgw_vhba *vhba = conn->vhba;
	unsigned long flags;

	spin_lock_irqsave(&vhba->lock, flags);
	list_add_tail(&iu->free, &conn->tx_free);
	spin_unlock_irqrestore(&vhba->lock, flags);
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		xsfcgw_vhba_close(vhba, "send failed");
}

/**
 * xsfcgw_conn_send() - send one message from a buffer of the connection
 * @conn: the connection
 * @head: the first part of the message
 * @head_len: its length
 * @body: a second part, or NULL
 * @body_len: its length
 *
 * Return: 0, -ENOBUFS when every buffer is in flight, -EMSGSIZE, or what
 * posting returned.
 */
int xsfcgw_conn_send(struct xsfcgw_conn *conn, const void *head, u32 head_len,
		     const void *body, u32 body_len)
{
	struct xsfcgw_vhba *vhba = conn->vhba;
	struct xsfcgw_iu *iu;
	struct ib_sge sge;
	struct ib_send_wr wr = {
		.opcode		= IB_WR_SEND,
		.send_flags	= IB_SEND_SIGNALED,
		.sg_list	= &sge,
		.num_sge	= 1,
	};
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&vhba->lock, flags);
	iu = list_first_entry_or_null(&conn->tx_free, struct xsfcgw_iu, free);
	if (iu && head_len + body_len <= iu->size && !vhba->dead)
		list_del(&iu->free);
	else
		iu = NULL;
	spin_unlock_irqrestore(&vhba->lock, flags);
	if (!iu)
		return -ENOBUFS;
	ib_dma_sync_single_for_cpu(vhba->ibdev, iu->dma, iu->size,
				   DMA_TO_DEVICE);
	memcpy(iu->buf, head, head_len);
	if (body_len)
		memcpy(iu->buf + head_len, body, body_len);
	ib_dma_sync_single_for_device(vhba->ibdev, iu->dma, iu->size,
				      DMA_TO_DEVICE);
	sge.addr = iu->dma;
	sge.length = head_len + body_len;
	sge.lkey = vhba->pd->local_dma_lkey;
	wr.wr_cqe = &iu->cqe;
	ret = ib_post_send(conn->qp, &wr, NULL);
	if (ret) {
		spin_lock_irqsave(&vhba->lock, flags);
		list_add_tail(&iu->free, &conn->tx_free);
		spin_unlock_irqrestore(&vhba->lock, flags);
	}
	return ret;
}

/* After the QP is drained and the CQ freed, or before either existed. */
void xsfcgw_conn_destroy(struct xsfcgw_conn *conn)
{
	struct ib_device *ibdev;

	if (!conn)
		return;
	ibdev = conn->vhba->ibdev;
	if (conn->qp)
		rdma_destroy_qp(conn->cm_id);
	if (conn->cq)
		ib_free_cq(conn->cq);
	if (conn->cm_id)
		rdma_destroy_id(conn->cm_id);
	xsfcgw_iu_free(ibdev, conn->rx, conn->n_rx);
	xsfcgw_iu_free(ibdev, conn->tx, conn->n_tx);
	kfree(conn);
}

/* Send queue room a data connection needs: a status per command and the
 * RDMA operations of its largest transfer, the ring's reads and index.
 */
static u32 xsfcgw_data_send_wrs(u32 max_sge)
{
	u32 pages = XSFCGW_MAX_XFER / PAGE_SIZE + 1;

	return XSFCGW_DEPTH * (DIV_ROUND_UP(pages, max_sge) + 1) +
	       XSFCGW_DATA_TX + 4;
}

static int xsfcgw_conn_setup(struct xsfcgw_conn *conn)
{
	struct xsfcgw_vhba *vhba = conn->vhba;
	struct ib_device *ibdev = vhba->ibdev;
	u32 max_sge = min_t(u32, XSFCGW_MAX_SGE, ibdev->attrs.max_send_sge);
	struct ib_qp_init_attr attr = {
		.qp_type	= IB_QPT_RC,
		.sq_sig_type	= IB_SIGNAL_REQ_WR,
		.port_num	= conn->cm_id->port_num,
		.qp_context	= conn,
	};
	unsigned int i, cqe;
	int ret;

	conn->n_rx = conn->control ? XSFCGW_CTRL_RX : XSFCGW_DATA_RX;
	conn->n_tx = conn->control ? XSFCGW_CTRL_TX : XSFCGW_DATA_TX;
	conn->rx = xsfcgw_iu_alloc(conn, conn->n_rx, XSFCGW_RX_SIZE,
				   DMA_FROM_DEVICE, xsfcgw_recv_done);
	conn->tx = xsfcgw_iu_alloc(conn, conn->n_tx, XSVHBA_CTRL_BUF_SIZE,
				   DMA_TO_DEVICE, xsfcgw_send_done);
	if (!conn->rx || !conn->tx)
		return -ENOMEM;
	for (i = 0; i < conn->n_tx; i++)
		list_add_tail(&conn->tx[i].free, &conn->tx_free);

	attr.cap.max_recv_wr = conn->n_rx;
	attr.cap.max_recv_sge = 1;
	attr.cap.max_send_sge = max_sge;
	if (conn->control) {
		attr.cap.max_send_wr = conn->n_tx;
	} else {
		attr.cap.max_send_wr = xsfcgw_data_send_wrs(max_sge);
		attr.cap.max_rdma_ctxs = XSFCGW_DEPTH + 1;
	}
	cqe = attr.cap.max_send_wr + attr.cap.max_recv_wr + XSFCGW_DEPTH;
	conn->cq = ib_alloc_cq(ibdev, conn, cqe, 0, IB_POLL_WORKQUEUE);
	if (IS_ERR(conn->cq)) {
		ret = PTR_ERR(conn->cq);
		conn->cq = NULL;
		return ret;
	}
	attr.send_cq = conn->cq;
	attr.recv_cq = conn->cq;
	ret = rdma_create_qp(conn->cm_id, vhba->pd, &attr);
	if (ret)
		return ret;
	conn->qp = conn->cm_id->qp;
	for (i = 0; i < conn->n_rx; i++) {
		ret = xsfcgw_post_recv(&conn->rx[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A connection request: find or make the vHBA it is for (a kind the
 * vHBA already has means the host started over: the old one goes), make
 * the connection and accept it.
 */
static int xsfcgw_connect_request(struct xsfcgw_port *port,
				  struct rdma_cm_id *cm_id,
				  const struct rdma_cm_event *event)
{
	const struct xsvhba_cm_private_data *pdata =
		event->param.conn.private_data;
	struct rdma_conn_param param = {
		.rnr_retry_count	= 7,
		.flow_control		= 1,
	};
	struct xsfcgw_vhba *vhba = NULL, *old;
	struct xsfcgw_conn *conn;
	bool control;
	u64 rid;
	int ret;

	if (event->param.conn.private_data_len < sizeof(*pdata) || !pdata) {
		atomic_inc(&port->stats.malformed);
		return -EINVAL;
	}
	rid = be64_to_cpu(pdata->vid);
	control = be16_to_cpu(pdata->qp_type) == XSVHBA_QP_TYPE_CONTROL;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return -ENOMEM;
	INIT_LIST_HEAD(&conn->tx_free);
	conn->control = control;
	conn->cm_id = cm_id;

	mutex_lock(&port->mutex);
	list_for_each_entry(old, &port->vhbas, node) {
		if (old->resource_id != rid || old->closing)
			continue;
		if ((control ? old->ctrl : old->data) ||
		    old->ibdev != cm_id->device) {
			xsfcgw_vhba_close(old, "the host connected again");
			continue;
		}
		vhba = old;
		kref_get(&vhba->kref);
	}
	if (!vhba && port->n_vhbas >= XSFCGW_MAX_VHBAS) {
		atomic_inc(&port->stats.too_many);
		ret = -ENOSPC;
		goto unlock;
	}
	if (!vhba) {
		vhba = xsfcgw_vhba_create(port, rid);
		if (IS_ERR(vhba)) {
			ret = PTR_ERR(vhba);
			goto unlock;
		}
		vhba->ibdev = cm_id->device;
		vhba->pd = ib_alloc_pd(cm_id->device, 0);
		if (IS_ERR(vhba->pd)) {
			ret = PTR_ERR(vhba->pd);
			vhba->pd = NULL;
			xsfcgw_vhba_put(vhba);
			goto unlock;
		}
		ret = xsfcgw_cmds_alloc(vhba);
		if (ret) {
			ib_dealloc_pd(vhba->pd);
			xsfcgw_vhba_put(vhba);
			goto unlock;
		}
		list_add_tail(&vhba->node, &port->vhbas);
		port->n_vhbas++;
		kref_get(&vhba->kref);
	}
	conn->vhba = vhba;
	conn->cm_ctx.listener = false;
	cm_id->context = conn;
	ret = xsfcgw_conn_setup(conn);
	if (ret)
		goto close;
	/*
	 * The event's values are already from our side: its initiator_depth
	 * is the RDMA READs the host lets us have outstanding (the ring and
	 * write data are read from it).
	 */
	param.initiator_depth = min_t(u8, event->param.conn.initiator_depth,
				      vhba->ibdev->attrs.max_qp_init_rd_atom);
	param.responder_resources =
		min_t(u8, event->param.conn.responder_resources,
		      vhba->ibdev->attrs.max_qp_rd_atom);
	ret = rdma_accept(cm_id, &param);
	if (ret)
		goto close;
	if (control)
		vhba->ctrl = conn;
	else
		vhba->data = conn;
	mutex_unlock(&port->mutex);
	pr_info("%s: vHBA %#llx: %s connection accepted\n", port->name, rid,
		control ? "control" : "data");
	xsfcgw_vhba_put(vhba);
	return 0;

close:
	/* The id goes with our non-zero return; the rest with the vHBA. */
	if (conn->qp) {
		rdma_destroy_qp(cm_id);
		conn->qp = NULL;
	}
	conn->cm_id = NULL;
	cm_id->context = NULL;
	xsfcgw_conn_destroy(conn);
	conn = NULL;
	if (!vhba->ctrl && !vhba->data)
		xsfcgw_vhba_close(vhba, "connection refused");
	xsfcgw_vhba_put(vhba);
unlock:
	mutex_unlock(&port->mutex);
	kfree(conn);
	pr_info("%s: vHBA %#llx: connection refused (%d)\n", port->name, rid,
		ret);
	return ret;
}

static int xsfcgw_cm_handler(struct rdma_cm_id *cm_id,
			     struct rdma_cm_event *event)
{
	struct xsfcgw_cm_ctx *ctx = cm_id->context;
	struct xsfcgw_conn *conn;

	if (event->event == RDMA_CM_EVENT_CONNECT_REQUEST)
		return xsfcgw_connect_request(container_of(ctx,
							   struct xsfcgw_port,
							   cm_ctx),
					      cm_id, event);
	if (ctx->listener)
		return 0;
	conn = container_of(ctx, struct xsfcgw_conn, cm_ctx);
	switch (event->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		xsfcgw_vhba_close(conn->vhba, "disconnected");
		break;
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		break;
	default:
		xsfcgw_vhba_close(conn->vhba, rdma_event_msg(event->event));
		break;
	}
	return 0;
}

/**
 * xsfcgw_listen() - take hosts' connections at an address
 * @port: the card port
 * @addr: its address; the port number in it is the card's
 *
 * Caller holds port->mutex.
 *
 * Return: 0 or a negative errno.
 */
int xsfcgw_listen(struct xsfcgw_port *port, const struct sockaddr_in6 *addr)
{
	struct rdma_cm_id *id;
	int ret;

	lockdep_assert_held(&port->mutex);
	if (port->listener)
		return -EBUSY;
	id = rdma_create_id(&init_net, xsfcgw_cm_handler, &port->cm_ctx,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	ret = rdma_bind_addr(id, (struct sockaddr *)addr);
	if (!ret)
		ret = rdma_listen(id, 16);
	if (ret) {
		rdma_destroy_id(id);
		return ret;
	}
	port->addr = *addr;
	port->listener = id;
	return 0;
}

/* Stop listening; caller holds port->mutex. */
void xsfcgw_unlisten(struct xsfcgw_port *port)
{
	struct rdma_cm_id *id = port->listener;

	lockdep_assert_held(&port->mutex);
	if (!id)
		return;
	port->listener = NULL;
	/* The handler may wait for port->mutex: destroy outside it. */
	mutex_unlock(&port->mutex);
	rdma_destroy_id(id);
	mutex_lock(&port->mutex);
}
