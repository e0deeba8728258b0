// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * RC connections over rdma_cm for xscore's links, the service drivers and
 * the director's card gateways (include/xsigo/xscore_conn.h): connecting
 * (address and route resolution) or accepting from a listener, the QP and
 * its CQ, rings of pre-mapped send and receive buffers, and teardown that
 * leaves no callback running.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <rdma/ib_cache.h>

#include "compat.h"
#include "xscore_conn_priv.h"

#define XSCORE_CONN_RESOLVE_MS	2000
#define XSCORE_CONN_RETRIES	7
#define XSCORE_MIN_RNR_TIMER	IB_RNR_TIMER_000_64

enum {
	XSCORE_CONN_EV_ADDR_RESOLVED,
	XSCORE_CONN_EV_ROUTE_RESOLVED,
	XSCORE_CONN_EV_ESTABLISHED,
	XSCORE_CONN_EV_CM_ERROR,
	XSCORE_CONN_EV_DISCONNECTED,
	XSCORE_CONN_EV_QP_ERROR,
};

static void xscore_conn_note(struct xscore_conn *conn, int bit)
{
	set_bit(bit, &conn->events);
	conn->params.kick(conn);
}

/*
 * The peer's accept: its private data (at most XSCORE_CONN_ACCEPT_MAX
 * bytes of it) and its QP number, for the owner once it sees the
 * connection established.  Written before the event bit is set; the
 * owner's xchg() of the bits orders its reads after these writes.
 */
static void xscore_conn_keep_accept(struct xscore_conn *conn,
				    const struct rdma_cm_event *event)
{
	u8 len = min_t(u8, event->param.conn.private_data_len,
		       XSCORE_CONN_ACCEPT_MAX);

	if (!event->param.conn.private_data)
		len = 0;
	memcpy(conn->accept_data, event->param.conn.private_data, len);
	conn->accept_len = len;
	conn->remote_qpn = event->param.conn.qp_num;
	/* Pairs with the xchg() of the event bits in xscore_conn_step(). */
	smp_mb__before_atomic();
}

static void xscore_conn_cm_event(struct xscore_conn *conn,
				 const struct rdma_cm_event *event)
{
	switch (event->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		xscore_conn_note(conn, XSCORE_CONN_EV_ADDR_RESOLVED);
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		xscore_conn_note(conn, XSCORE_CONN_EV_ROUTE_RESOLVED);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		xscore_conn_keep_accept(conn, event);
		xscore_conn_note(conn, XSCORE_CONN_EV_ESTABLISHED);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		xscore_conn_note(conn, XSCORE_CONN_EV_DISCONNECTED);
		break;
	default:
		WRITE_ONCE(conn->cm_status, event->status ? event->status :
			   -(int)event->event);
		xscore_conn_note(conn, XSCORE_CONN_EV_CM_ERROR);
		break;
	}
}

static int xscore_conn_cm_handler(struct rdma_cm_id *id,
				  struct rdma_cm_event *event)
{
	struct xscore_conn_cm *cm = id->context;

	/*
	 * Only the current attempt's events count: a parked id's handler
	 * may run after its attempt ended, or after its connection is gone
	 * (struct xscore_conn_parked).
	 */
	spin_lock(&cm->lock);
	if (cm->conn && id == cm->conn->cm_id)
		xscore_conn_cm_event(cm->conn, event);
	spin_unlock(&cm->lock);
	/* The owner's work, or xsconn's parking, destroys the ID. */
	return 0;
}

/* The attempt whose CM events count (see xscore_conn_cm_handler()). */
static void xscore_conn_set_cm_id(struct xscore_conn *conn,
				  struct rdma_cm_id *id)
{
	spin_lock(&conn->cm->lock);
	conn->cm_id = id;
	spin_unlock(&conn->cm->lock);
}

static void xscore_conn_cm_free(struct kref *ref)
{
	kfree(container_of(ref, struct xscore_conn_cm, ref));
}

/* An id's or the connection's reference, once no handler can run on it. */
static void xscore_conn_cm_put(struct xscore_conn_cm *cm)
{
	kref_put(&cm->ref, xscore_conn_cm_free);
}

static void xscore_conn_qp_event(struct ib_event *event, void *context)
{
	if (event->event != IB_EVENT_COMM_EST)
		xscore_conn_note(context, XSCORE_CONN_EV_QP_ERROR);
}

static int xscore_conn_post_recv(struct xscore_conn *conn,
				 struct xscore_conn_buf *buf);

static void xscore_conn_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_conn *conn = cq->cq_context;
	struct xscore_conn_buf *buf =
		container_of(wc->wr_cqe, struct xscore_conn_buf, cqe);

	if (wc->status != IB_WC_SUCCESS) {
		xscore_conn_note(conn, XSCORE_CONN_EV_QP_ERROR);
		return;
	}
	if (conn->params.recv) {
		/* The QP lives until xscore_conn_close() has drained it. */
		ib_dma_sync_single_for_cpu(conn->ibdev, buf->dma, wc->byte_len,
					   DMA_FROM_DEVICE);
		conn->params.recv(conn, buf->data, wc->byte_len);
		if (xscore_conn_post_recv(conn, buf))
			xscore_conn_note(conn, XSCORE_CONN_EV_QP_ERROR);
		return;
	}
	buf->len = wc->byte_len;
	spin_lock_bh(&conn->rx_lock);
	list_add_tail(&buf->node, &conn->rx_done);
	spin_unlock_bh(&conn->rx_lock);
	conn->params.kick(conn);
}

static void xscore_conn_release_tx(struct xscore_conn *conn,
				   struct xscore_conn_buf *buf)
{
	void *cookie = buf->cookie;

	if (!cookie)
		return;
	buf->cookie = NULL;
	conn->params.tx_release(conn, cookie, buf->sg, buf->num_sg);
}

static void xscore_conn_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_conn *conn = cq->cq_context;
	struct xscore_conn_buf *buf =
		container_of(wc->wr_cqe, struct xscore_conn_buf, cqe);

	/* Before the slot is free for the next send. */
	xscore_conn_release_tx(conn, buf);
	atomic_dec(&conn->tx_inflight);
	if (wc->status != IB_WC_SUCCESS)
		xscore_conn_note(conn, XSCORE_CONN_EV_QP_ERROR);
	else if (conn->params.tx_done)
		conn->params.tx_done(conn);
}

static void xscore_conn_rx_event(struct ib_cq *cq, void *context)
{
	struct xscore_conn *conn = context;

	conn->params.rx_notify(conn);
}

static int xscore_conn_post_recv(struct xscore_conn *conn,
				 struct xscore_conn_buf *buf)
{
	struct ib_sge sge = {
		.addr	= buf->dma,
		.length	= conn->params.rx_buf_size,
		.lkey	= conn->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe		= &buf->cqe,
		.sg_list	= &sge,
		.num_sge	= 1,
	};

	ib_dma_sync_single_for_device(conn->ibdev, buf->dma,
				      conn->params.rx_buf_size, DMA_FROM_DEVICE);
	return ib_post_recv(conn->qp, &wr, NULL);
}

/* The next send slot, or ERR_PTR -ENOTCONN / -ENOBUFS.  Under tx_lock. */
static struct xscore_conn_buf *xscore_conn_tx_slot(struct xscore_conn *conn)
{
	lockdep_assert_held(&conn->tx_lock);
	if (!conn->tx_qp)
		return ERR_PTR(-ENOTCONN);
	if (atomic_read(&conn->tx_inflight) >= conn->params.ring)
		return ERR_PTR(-ENOBUFS);
	return &conn->tx[conn->tx_next];
}

/*
 * Post the send prepared in the slot xscore_conn_tx_slot() gave; the slot
 * is taken only when the post succeeds.  Under tx_lock.
 */
static int xscore_conn_tx_post(struct xscore_conn *conn,
			       struct xscore_conn_buf *buf,
			       struct ib_send_wr *wr)
{
	int ret;

	lockdep_assert_held(&conn->tx_lock);
	wr->wr_cqe = &buf->cqe;
	atomic_inc(&conn->tx_inflight);
	ret = ib_post_send(conn->tx_qp, wr, NULL);
	if (ret) {
		atomic_dec(&conn->tx_inflight);
		return ret;
	}
	conn->tx_next = (conn->tx_next + 1) % conn->params.ring;
	return 0;
}

/**
 * xscore_conn_send_fill() - send one message written into a send buffer
 * @conn: the connection
 * @len: the message's length, at most the buffer size of its params
 * @fill: writes @len bytes from @src into the buffer at @dst
 * @src: what @fill reads
 *
 * The message goes into the next free send buffer.  Callable from any
 * context that may take a BH spinlock; @fill runs under it.
 *
 * Return: 0; -ENOTCONN without a connection; -ENOBUFS when every send buffer
 * is in flight; -EMSGSIZE when @len exceeds the buffer size; else
 * ib_post_send()'s error.
 */
int xscore_conn_send_fill(struct xscore_conn *conn, u32 len,
			  void (*fill)(void *dst, const void *src, u32 len),
			  const void *src)
{
	struct xscore_conn_buf *buf;
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

	if (WARN_ON_ONCE(len > conn->params.buf_size))
		return -EMSGSIZE;

	spin_lock_bh(&conn->tx_lock);
	buf = xscore_conn_tx_slot(conn);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto unlock;
	}
	ib_dma_sync_single_for_cpu(conn->ibdev, buf->dma, conn->params.buf_size,
				   DMA_TO_DEVICE);
	fill(buf->data, src, len);
	ib_dma_sync_single_for_device(conn->ibdev, buf->dma, len,
				      DMA_TO_DEVICE);
	sge.addr = buf->dma;
	ret = xscore_conn_tx_post(conn, buf, &wr);
unlock:
	spin_unlock_bh(&conn->tx_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(xscore_conn_send_fill);

/**
 * xscore_conn_send_sg() - send one message from the owner's own memory
 * @conn: the connection; its params give max_send_sge and tx_release
 * @sg: @num_sg pieces, mapped by the owner for the device (the helper sets
 *	the lkey)
 * @num_sg: how many, at most the connection's max_send_sge
 * @cookie: given back with the gather list through tx_release
 *
 * On success, @cookie and the gather list come back through tx_release
 * exactly once: when the send completed, or at xscore_conn_close() when it
 * never will.  On error nothing was sent and nothing comes back.  Callable
 * from any context that may take a BH spinlock.
 *
 * Return: 0; -ENOTCONN without a connection; -ENOBUFS when every send slot
 * is in flight; -EINVAL for an empty gather list or one longer than
 * max_send_sge, no @cookie, or params without tx_release; else
 * ib_post_send()'s error.
 */
int xscore_conn_send_sg(struct xscore_conn *conn, const struct ib_sge *sg,
			unsigned int num_sg, void *cookie)
{
	struct xscore_conn_buf *buf;
	struct ib_send_wr wr = {
		.num_sge	= num_sg,
		.opcode		= IB_WR_SEND,
		.send_flags	= IB_SEND_SIGNALED,
	};
	unsigned int i;
	int ret;

	if (WARN_ON_ONCE(!num_sg || num_sg > conn->params.max_send_sge ||
			 !cookie || !conn->params.tx_release))
		return -EINVAL;

	spin_lock_bh(&conn->tx_lock);
	buf = xscore_conn_tx_slot(conn);
	if (IS_ERR(buf)) {
		ret = PTR_ERR(buf);
		goto unlock;
	}
	for (i = 0; i < num_sg; i++) {
		buf->sg[i] = sg[i];
		buf->sg[i].lkey = conn->pd->local_dma_lkey;
	}
	buf->num_sg = num_sg;
	buf->cookie = cookie;
	wr.sg_list = buf->sg;
	ret = xscore_conn_tx_post(conn, buf, &wr);
	if (ret)
		buf->cookie = NULL;
unlock:
	spin_unlock_bh(&conn->tx_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(xscore_conn_send_sg);

/**
 * xscore_conn_post_wr() - post one of the owner's own work requests
 * @conn: the connection, whose params reserved owner_wrs for them
 * @wr: a memory registration or invalidation, with its own wr_cqe
 *
 * It goes to the send queue in order with the messages.  Callable from any
 * context that may take a BH spinlock.
 *
 * Return: 0; -ENOTCONN without a connection; else ib_post_send()'s error.
 */
int xscore_conn_post_wr(struct xscore_conn *conn, const struct ib_send_wr *wr)
{
	int ret = -ENOTCONN;

	spin_lock_bh(&conn->tx_lock);
	if (conn->tx_qp)
		ret = ib_post_send(conn->tx_qp, wr, NULL);
	spin_unlock_bh(&conn->tx_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(xscore_conn_post_wr);

struct xscore_conn_parts {
	const void *head;
	u32 head_len;
	const void *body;
};

static void xscore_conn_fill_parts(void *dst, const void *src, u32 len)
{
	const struct xscore_conn_parts *parts = src;

	memcpy(dst, parts->head, parts->head_len);
	if (len > parts->head_len)
		memcpy(dst + parts->head_len, parts->body,
		       len - parts->head_len);
}

/**
 * xscore_conn_send() - send one message of a head and a body
 * @conn: the connection
 * @head: the first @head_len bytes of the message
 * @head_len: its length
 * @body: the @body_len bytes after it
 * @body_len: its length
 *
 * As xscore_conn_send_fill(), with the two parts copied one after the other.
 *
 * Return: as xscore_conn_send_fill().
 */
int xscore_conn_send(struct xscore_conn *conn, const void *head, u32 head_len,
		     const void *body, u32 body_len)
{
	struct xscore_conn_parts parts = {
		.head		= head,
		.head_len	= head_len,
		.body		= body,
	};

	return xscore_conn_send_fill(conn, head_len + body_len,
				     xscore_conn_fill_parts, &parts);
}
EXPORT_SYMBOL_GPL(xscore_conn_send);

/**
 * xscore_conn_send_hex() - send a message written as hex digits
 * @conn: the connection
 * @hex: the message's bytes as pairs of hex digits, or "-" for none
 *
 * For the debugfs hooks with which tests play a hostile peer (the fuzz
 * campaign): the bytes go as they are, unchecked.
 *
 * Return: 0; -EINVAL for text that is not whole bytes of hex, -EMSGSIZE
 * past a send buffer, -ENOMEM; else xscore_conn_send()'s error.
 */
int xscore_conn_send_hex(struct xscore_conn *conn, const char *hex)
{
	size_t digits = strcmp(hex, "-") ? strlen(hex) : 0;
	size_t len = digits / 2;
	u8 *msg = NULL;
	int ret;

	if (digits % 2 || (!digits && strcmp(hex, "-")))
		return -EINVAL;
	if (len > conn->params.buf_size)
		return -EMSGSIZE;
	if (len) {
		msg = kmalloc(len, GFP_KERNEL);
		if (!msg)
			return -ENOMEM;
		if (hex2bin(msg, hex, len)) {
			kfree(msg);
			return -EINVAL;
		}
	}
	ret = xscore_conn_send(conn, msg, len, NULL, 0);
	kfree(msg);
	return ret;
}
EXPORT_SYMBOL_GPL(xscore_conn_send_hex);

/*
 * Whether the CM may send on the port now: see struct xscore_conn_parked.
 * The cached port state follows the port's events, and on RoCE those come
 * after the netdev has stopped: a connection that fails in between (its
 * packets no longer leave) would take the port for active and send its
 * DREQ.  So the netdev the current CM id is bound to is asked as well.
 */
static bool xscore_conn_may_send(struct ib_device *ibdev, u32 port_num,
				 const struct rdma_cm_id *id)
{
	enum ib_port_state state;
	struct net_device *ndev;
	int ifindex = 0;
	bool up;

	if (ib_get_cached_port_state(ibdev, port_num, &state) ||
	    state != IB_PORT_ACTIVE)
		return false;
	if (id)
		ifindex = id->route.addr.dev_addr.bound_dev_if;
	if (!ifindex)
		return true;
	rcu_read_lock();
	ndev = dev_get_by_index_rcu(&init_net, ifindex);
	up = ndev && netif_running(ndev) && netif_carrier_ok(ndev);
	rcu_read_unlock();
	return up;
}

static bool xscore_conn_port_active(const struct xscore_conn *conn)
{
	return xscore_conn_may_send(conn->ibdev, conn->port_num, conn->cm_id);
}

/*
 * Parked CM ids (struct xscore_conn_parked), of every device xsconn knows.
 * One list and not one per device: an owner may close a connection after
 * xsconn's remove for its device ran (rdma_cm tells the director's
 * gateways of a removal only after), and finding no device here, it then
 * destroys the id at once.  Each id pins its device until it is destroyed.
 * The lock is taken alone: ids are destroyed outside it.
 */
static DEFINE_MUTEX(xscore_conn_parking_lock);
static LIST_HEAD(xscore_conn_parked_ids);
static LIST_HEAD(xscore_conn_devices);

/* A device xsconn parks ids for, and its handler of port events. */
struct xscore_conn_device {
	struct list_head node;		/* on xscore_conn_devices */
	struct ib_device *ibdev;
	struct ib_event_handler events;
};

static struct ib_client xscore_conn_client;
static void xscore_conn_unpark_fn(struct work_struct *work);
static DECLARE_WORK(xscore_conn_unpark_work, xscore_conn_unpark_fn);

static void xscore_conn_end_parked(struct list_head *ids)
{
	struct xscore_conn_parked *parked, *next;

	list_for_each_entry_safe(parked, next, ids, node) {
		list_del(&parked->node);
		/* Waits for its running CM handler; none comes after. */
		rdma_destroy_id(parked->id);
		xscore_conn_cm_put(parked->cm);
		kfree(parked);
	}
}

/* The parked ids whose port is active again end: their DREQs go out. */
static bool xscore_conn_parked_port_active(struct xscore_conn_parked *parked)
{
	return xscore_conn_may_send(parked->id->device, parked->port_num,
				    parked->id);
}

static void xscore_conn_unpark_fn(struct work_struct *work)
{
	struct xscore_conn_parked *parked, *next;
	LIST_HEAD(ending);

	mutex_lock(&xscore_conn_parking_lock);
	list_for_each_entry_safe(parked, next, &xscore_conn_parked_ids, node)
		if (xscore_conn_parked_port_active(parked))
			list_move_tail(&parked->node, &ending);
	mutex_unlock(&xscore_conn_parking_lock);
	list_for_each_entry_safe(parked, next, &ending, node) {
		/* Down again since: back on the list, for its next event. */
		if (xscore_conn_parked_port_active(parked))
			continue;
		mutex_lock(&xscore_conn_parking_lock);
		list_move_tail(&parked->node, &xscore_conn_parked_ids);
		mutex_unlock(&xscore_conn_parking_lock);
	}
	xscore_conn_end_parked(&ending);
}

static struct xscore_conn_device *xscore_conn_find_device(struct ib_device *ibdev)
{
	struct xscore_conn_device *dev;

	lockdep_assert_held(&xscore_conn_parking_lock);
	list_for_each_entry(dev, &xscore_conn_devices, node)
		if (dev->ibdev == ibdev)
			return dev;
	return NULL;
}

/*
 * Keep the current attempt's CM id, its QP destroyed, until its port is
 * active again, past the connection if need be; false when it cannot be
 * kept (no memory, a device going away), and then it is destroyed at once
 * after all.  The id, no longer the connection's current one, takes its
 * reference on conn->cm with it.
 */
static bool xscore_conn_park(struct xscore_conn *conn, struct rdma_cm_id *id)
{
	struct xscore_conn_parked *parked;
	bool kept = false;

	parked = kmalloc(sizeof(*parked), GFP_KERNEL);
	if (!parked)
		return false;
	parked->id = id;
	parked->cm = conn->cm;
	parked->port_num = conn->port_num;
	mutex_lock(&xscore_conn_parking_lock);
	if (xscore_conn_find_device(conn->ibdev)) {
		list_add_tail(&parked->node, &xscore_conn_parked_ids);
		kept = true;
	}
	mutex_unlock(&xscore_conn_parking_lock);
	if (!kept) {
		kfree(parked);
		return false;
	}
	/* The port may have come back since it was looked at. */
	queue_work(system_long_wq, &xscore_conn_unpark_work);
	return true;
}

static void xscore_conn_port_event(struct ib_event_handler *handler,
				   struct ib_event *event)
{
	if (event->event == IB_EVENT_PORT_ACTIVE)
		queue_work(system_long_wq, &xscore_conn_unpark_work);
}

static int xscore_conn_add_device(struct ib_device *ibdev)
{
	struct xscore_conn_device *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		/* Its connections closed while a port is down then end at once. */
		dev_warn(&ibdev->dev, "xsconn: no memory to keep CM ids for\n");
		return -ENOMEM;
	}
	dev->ibdev = ibdev;
	INIT_IB_EVENT_HANDLER(&dev->events, ibdev, xscore_conn_port_event);
	ib_register_event_handler(&dev->events);
	mutex_lock(&xscore_conn_parking_lock);
	list_add_tail(&dev->node, &xscore_conn_devices);
	mutex_unlock(&xscore_conn_parking_lock);
	ib_set_client_data(ibdev, &xscore_conn_client, dev);
	return 0;
}

/*
 * The device goes: its parked ids end now, port active or not.  This runs
 * before rdma_cm's own remove, which waits for every id of the device.
 */
static void xscore_conn_remove_device(struct ib_device *ibdev, void *data)
{
	struct xscore_conn_parked *parked, *next;
	struct xscore_conn_device *dev = data;
	LIST_HEAD(ending);

	if (!dev)
		return;
	mutex_lock(&xscore_conn_parking_lock);
	list_del(&dev->node);
	list_for_each_entry_safe(parked, next, &xscore_conn_parked_ids, node)
		if (parked->id->device == ibdev)
			list_move_tail(&parked->node, &ending);
	mutex_unlock(&xscore_conn_parking_lock);
	ib_unregister_event_handler(&dev->events);
	xscore_conn_end_parked(&ending);
	kfree(dev);
}

static struct ib_client xscore_conn_client = {
	.name	= "xsconn",
	.add	= xscore_conn_add_device,
	.remove	= xscore_conn_remove_device,
};

/* From module init: parking for every RDMA device there is and comes. */
int xscore_conn_client_register(void)
{
	return ib_register_client(&xscore_conn_client);
}

/*
 * From module exit: every parked id ends, port active or not (nothing is
 * left to end it later).
 */
void xscore_conn_client_unregister(void)
{
	ib_unregister_client(&xscore_conn_client);
	cancel_work_sync(&xscore_conn_unpark_work);
}

/**
 * xscore_conn_drain() - disconnect and flush the QP, the connection kept
 * @conn: the connection, whose receives are not polled (no rx_notify)
 *
 * The peer is told, and every work request posted, the owner's own
 * (xscore_conn_post_wr(), rdma_rw) included, completes (flushed) before
 * this returns, its completion handler run.  For an owner that must see
 * its own requests end before it frees what they point to; the connection
 * takes no sends afterwards and xscore_conn_close() still follows.  Called
 * from the owner's work, never from a completion handler.
 */
void xscore_conn_drain(struct xscore_conn *conn)
{
	spin_lock_bh(&conn->tx_lock);
	conn->tx_qp = NULL;
	spin_unlock_bh(&conn->tx_lock);
	if (!conn->qp_created || conn->drained ||
	    WARN_ON_ONCE(conn->params.rx_notify))
		return;
	/*
	 * Tell the peer now rather than let its sends time out; with the port
	 * down the DREQ waits for the parked id's end (xscore_conn_park()).
	 */
	if (xscore_conn_port_active(conn))
		rdma_disconnect(conn->cm_id);
	ib_drain_qp(conn->qp);
	conn->drained = true;
}
EXPORT_SYMBOL_GPL(xscore_conn_drain);

/*
 * One connection attempt ends; keep_id: the CM id is the CM's to destroy
 * (a request that could not be accepted, from within its handler).
 */
static void xscore_conn_teardown(struct xscore_conn *conn, bool keep_id)
{
	struct xscore_conn_buf *buf, *next;
	struct rdma_cm_id *id;
	bool park = false;
	unsigned int i;
	LIST_HEAD(done);

	if (!keep_id) {
		/* An id bound to another device (-EXDEV) is not parked. */
		park = conn->cm_id && conn->cm_id->device == conn->ibdev &&
		       !xscore_conn_port_active(conn);
	}

	spin_lock_bh(&conn->tx_lock);
	conn->tx_qp = NULL;
	conn->tx_next = 0;
	spin_unlock_bh(&conn->tx_lock);

	if (conn->cm_id) {
		/*
		 * Receives handed over in the completion handler repost to
		 * the QP: none may be running when it goes.  A request not
		 * accepted received nothing.
		 */
		if (conn->qp_created && !keep_id) {
			if (conn->params.recv)
				xscore_conn_drain(conn);
			else if (!park)
				rdma_disconnect(conn->cm_id);
		}
		if (conn->qp_created)
			rdma_destroy_qp(conn->cm_id);
		id = conn->cm_id;
		xscore_conn_set_cm_id(conn, NULL);
		/*
		 * Waits for a running CM handler; none comes after.  A parked
		 * id's handler may run on, and finds it is not the current.
		 * An id left to the CM (keep_id) has no handler call to come.
		 */
		if (keep_id) {
			xscore_conn_cm_put(conn->cm);
		} else if (!(park && xscore_conn_park(conn, id))) {
			rdma_destroy_id(id);
			xscore_conn_cm_put(conn->cm);
		}
		conn->qp = NULL;
		conn->qp_created = false;
		conn->drained = false;
	}
	if (conn->cq) {
		/* Waits for running completion handlers; none comes after. */
		ib_free_cq(conn->cq);
		conn->cq = NULL;
	}
	if (conn->rx_cq) {
		/* The owner's poller is stopped; no interrupt comes after. */
		ib_destroy_cq(conn->rx_cq);
		conn->rx_cq = NULL;
	}
	/* The QP is gone and no completion runs: nothing reads these now. */
	for (i = 0; conn->tx && i < conn->params.ring; i++)
		xscore_conn_release_tx(conn, &conn->tx[i]);
	spin_lock_bh(&conn->rx_lock);
	list_splice_init(&conn->rx_done, &done);
	spin_unlock_bh(&conn->rx_lock);
	list_for_each_entry_safe(buf, next, &done, node)
		list_del_init(&buf->node);
	atomic_set(&conn->tx_inflight, 0);
	conn->events = 0;
	conn->established = false;
	conn->accept_len = 0;
	conn->remote_qpn = 0;
}

/**
 * xscore_conn_close() - end one connection attempt
 * @conn: the connection, connected or not
 *
 * The peer is told (a disconnect), then the QP, the CM id and the CQs go;
 * each waits for its handlers that are running, so none runs afterwards.
 * With the port down, the CM id stays (parked, past the connection if need
 * be) and the peer is told once the port is active again, or when the
 * device goes or xsconn is unloaded.
 * Sends from the owner's memory that never completed are given back through
 * tx_release.  The buffers stay, for the next xscore_conn_connect() or
 * xscore_conn_accept_request().  Called from the owner's work (or its
 * teardown), never from a callback; an owner that polls receives stops its
 * poller first.
 */
void xscore_conn_close(struct xscore_conn *conn)
{
	xscore_conn_teardown(conn, false);
}
EXPORT_SYMBOL_GPL(xscore_conn_close);

/**
 * xscore_conn_connect() - start one connection attempt
 * @conn: the connection, initialised and closed
 * @src: the local address (a GID as an IPv6 address)
 * @dst: the peer's address and rdma_cm port
 *
 * Starts address resolution; route resolution, the QP and the connection
 * request follow from the CM's events, and xscore_conn_step() reports the
 * outcome.  Called from the owner's work.
 *
 * Return: 0 once started; -EBUSY when an attempt is open already;
 * -ENETDOWN while the port is not active; else the error of
 * rdma_create_id() or rdma_resolve_addr(), with the CM id kept for
 * xscore_conn_close().
 */
int xscore_conn_connect(struct xscore_conn *conn, struct sockaddr_in6 *src,
			struct sockaddr_in6 *dst)
{
	struct rdma_cm_id *id;

	if (WARN_ON_ONCE(conn->cm_id))
		return -EBUSY;
	/* A request sent while the port is down breaks rxe's GSI QP. */
	if (!xscore_conn_port_active(conn))
		return -ENETDOWN;
	kref_get(&conn->cm->ref);
	id = rdma_create_id(&init_net, xscore_conn_cm_handler, conn->cm,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id)) {
		xscore_conn_cm_put(conn->cm);
		return PTR_ERR(id);
	}
	xscore_conn_set_cm_id(conn, id);
	conn->events = 0;
	conn->err = 0;
	return rdma_resolve_addr(id, (struct sockaddr *)src,
				 (struct sockaddr *)dst,
				 XSCORE_CONN_RESOLVE_MS);
}
EXPORT_SYMBOL_GPL(xscore_conn_connect);

/*
 * Sends complete in the process context of a workqueue, or in softirq for
 * a data path, whose receives get their own CQ that its poller drains.
 */
static int xscore_conn_create_cqs(struct xscore_conn *conn)
{
	struct ib_cq_init_attr rx_attr = { .cqe = conn->params.ring };
	bool polled = conn->params.rx_notify;
	int ret;

	/* Two more for ib_drain_qp()'s markers. */
	conn->cq = ib_alloc_cq(conn->ibdev, conn,
			       (polled ? 1 : 2) * conn->params.ring +
			       conn->params.owner_wrs + conn->params.rdma_ctxs + 2,
			       0, polled || conn->params.softirq ?
			       IB_POLL_SOFTIRQ : IB_POLL_WORKQUEUE);
	if (IS_ERR(conn->cq)) {
		ret = PTR_ERR(conn->cq);
		conn->cq = NULL;
		return ret;
	}
	if (!polled)
		return 0;
	conn->rx_cq = ib_create_cq(conn->ibdev, xscore_conn_rx_event, NULL,
				   conn, &rx_attr);
	if (IS_ERR(conn->rx_cq)) {
		ret = PTR_ERR(conn->rx_cq);
		conn->rx_cq = NULL;
		return ret;
	}
	return 0;
}

/*
 * The QP on the connection's CM id, its CQs and its posted receives; sends
 * are taken from then on.  Every work request the helper posts asks for
 * its completion; the owner's (and rdma_rw's) say for themselves.
 */
static int xscore_conn_create_qp(struct xscore_conn *conn)
{
	/* One more of each for ib_drain_qp()'s marker. */
	struct ib_qp_init_attr attr = {
		.event_handler	= xscore_conn_qp_event,
		.qp_context	= conn,
		.cap = {
			.max_send_wr	= conn->params.ring +
					  conn->params.owner_wrs + 1,
			.max_recv_wr	= conn->params.ring + 1,
			.max_send_sge	= conn->params.max_send_sge,
			.max_recv_sge	= 1,
			.max_rdma_ctxs	= conn->params.rdma_ctxs,
		},
		.sq_sig_type	= IB_SIGNAL_REQ_WR,
		.qp_type	= IB_QPT_RC,
		.port_num	= conn->port_num,
	};
	struct rdma_cm_id *id = conn->cm_id;
	unsigned int i;
	int ret;

	/* The route must lead out of the port this connection belongs to. */
	if (id->device != conn->ibdev || id->port_num != conn->port_num)
		return -EXDEV;

	ret = xscore_conn_create_cqs(conn);
	if (ret)
		return ret;
	attr.send_cq = conn->cq;
	attr.recv_cq = conn->rx_cq ? conn->rx_cq : conn->cq;
	ret = rdma_create_qp(id, conn->pd, &attr);
	if (ret)
		return ret;
	conn->qp = id->qp;
	conn->qp_created = true;

	for (i = 0; i < conn->params.ring; i++) {
		ret = xscore_conn_post_recv(conn, &conn->rx[i]);
		if (ret)
			return ret;
	}
	if (conn->rx_cq)
		ib_req_notify_cq(conn->rx_cq, IB_CQ_NEXT_COMP);
	spin_lock_bh(&conn->tx_lock);
	conn->tx_qp = id->qp;
	spin_unlock_bh(&conn->tx_lock);
	/* The CM's default RNR NAK timer stalls a peer that finds our ring dry for 655 ms. */
	return rdma_set_min_rnr_timer(id, XSCORE_MIN_RNR_TIMER);
}

/* Route resolved: the QP, and the connection request. */
static int xscore_conn_request(struct xscore_conn *conn)
{
	struct rdma_conn_param param = {
		.private_data		= conn->params.private_data,
		.private_data_len	= conn->params.private_data_len,
		.retry_count		= XSCORE_CONN_RETRIES,
		.rnr_retry_count	= XSCORE_CONN_RETRIES,
	};
	int ret;

	param.responder_resources = min_t(int, conn->params.responder_resources,
					  conn->ibdev->attrs.max_qp_rd_atom);
	ret = xscore_conn_create_qp(conn);
	if (ret)
		return ret;
	return rdma_connect(conn->cm_id, &param);
}

/**
 * xscore_conn_accept_request() - accept a peer's connection request
 * @conn: the connection, created on the request's device and port
 *	(@id->device, @id->port_num) and closed
 * @id: the request's rdma_cm id, from within the listener's request
 *	callback (xscore_conn_listen())
 * @request: the request's parameters (the event's param.conn, from this
 *	side's view), for the RDMA reads each side may have outstanding
 *
 * Builds the QP and CQs as xscore_conn_connect() does, posts the receive
 * ring and accepts with the private data of @conn's params.  From then on
 * @id belongs to @conn: its events go through xscore_conn_step() like a
 * connecting one's, and xscore_conn_close() destroys it.  The request's
 * private data is the caller's to check before.
 *
 * Return: 0 once accepted; else the error, @conn is closed again and @id
 * is left to the CM: the listener's callback returns non-zero.
 */
int xscore_conn_accept_request(struct xscore_conn *conn, struct rdma_cm_id *id,
			       const struct rdma_conn_param *request)
{
	struct rdma_conn_param param = {
		.private_data		= conn->params.private_data,
		.private_data_len	= conn->params.private_data_len,
		.retry_count		= XSCORE_CONN_RETRIES,
		.rnr_retry_count	= XSCORE_CONN_RETRIES,
		.flow_control		= 1,
	};
	int ret;

	if (WARN_ON_ONCE(conn->cm_id))
		return -EBUSY;
	param.initiator_depth = min_t(int, request->initiator_depth,
				      conn->ibdev->attrs.max_qp_init_rd_atom);
	param.responder_resources = min_t(int, request->responder_resources,
					  conn->ibdev->attrs.max_qp_rd_atom);
	xscore_conn_set_cm_id(conn, id);
	conn->events = 0;
	conn->err = 0;
	kref_get(&conn->cm->ref);
	id->context = conn->cm;
	ret = xscore_conn_create_qp(conn);
	if (!ret)
		ret = rdma_accept(id, &param);
	if (ret)
		xscore_conn_teardown(conn, true);
	return ret;
}
EXPORT_SYMBOL_GPL(xscore_conn_accept_request);

/*
 * A connection whose receives the owner polls or takes in the completion
 * handler stays as it is: the owner's code may be running on it now, so
 * only the owner, having stopped that, may close it.
 */
static enum xscore_conn_progress xscore_conn_failed(struct xscore_conn *conn,
						    int err)
{
	if (!conn->params.rx_notify && !conn->params.recv)
		xscore_conn_close(conn);
	conn->err = err;
	return XSCORE_CONN_FAILED;
}

/**
 * xscore_conn_step() - move the connection on by what its callbacks recorded
 * @conn: the connection
 *
 * Called from the owner's work after a kick.  A connection that ends here
 * is closed already, unless its owner polls its receives or takes them in
 * the completion handler (then the owner closes it); xscore_conn_error()
 * says why it ended.
 *
 * Return: XSCORE_CONN_ESTABLISHED when it connected just now,
 * XSCORE_CONN_FAILED when it is gone, else XSCORE_CONN_WAITING.
 */
enum xscore_conn_progress xscore_conn_step(struct xscore_conn *conn)
{
	unsigned long events = xchg(&conn->events, 0);
	int ret;

	if (!conn->cm_id)
		return XSCORE_CONN_WAITING;
	if (events & BIT(XSCORE_CONN_EV_CM_ERROR))
		return xscore_conn_failed(conn, READ_ONCE(conn->cm_status));
	if (events & (BIT(XSCORE_CONN_EV_DISCONNECTED) |
		      BIT(XSCORE_CONN_EV_QP_ERROR)))
		return xscore_conn_failed(conn, -ECONNRESET);

	if (events & BIT(XSCORE_CONN_EV_ADDR_RESOLVED)) {
		ret = rdma_resolve_route(conn->cm_id, XSCORE_CONN_RESOLVE_MS);
		if (ret)
			return xscore_conn_failed(conn, ret);
	}
	if (events & BIT(XSCORE_CONN_EV_ROUTE_RESOLVED)) {
		ret = xscore_conn_request(conn);
		if (ret)
			return xscore_conn_failed(conn, ret);
	}
	if ((events & BIT(XSCORE_CONN_EV_ESTABLISHED)) && !conn->established) {
		conn->established = true;
		return XSCORE_CONN_ESTABLISHED;
	}
	return XSCORE_CONN_WAITING;
}
EXPORT_SYMBOL_GPL(xscore_conn_step);

/**
 * xscore_conn_receive() - deliver the messages received since the last call
 * @conn: the connection, one whose receives the helper polls (no rx_notify)
 * @deliver: called for each message, in order; it may close the connection,
 *	and the messages after it are then dropped
 *
 * Called from the owner's work.  Each buffer is reposted after @deliver.
 *
 * Return: 0; else the connection is closed, as a receive could not be
 * reposted, and this is ib_post_recv()'s error.
 */
int xscore_conn_receive(struct xscore_conn *conn,
			void (*deliver)(struct xscore_conn *conn, void *data,
					u32 len))
{
	struct xscore_conn_buf *buf, *next;
	LIST_HEAD(done);
	int ret;

	spin_lock_bh(&conn->rx_lock);
	list_splice_init(&conn->rx_done, &done);
	spin_unlock_bh(&conn->rx_lock);

	list_for_each_entry_safe(buf, next, &done, node) {
		list_del_init(&buf->node);
		if (!conn->cm_id)
			continue;
		ib_dma_sync_single_for_cpu(conn->ibdev, buf->dma,
					   conn->params.rx_buf_size,
					   DMA_FROM_DEVICE);
		deliver(conn, buf->data, buf->len);
		if (!conn->cm_id)
			continue;
		ret = xscore_conn_post_recv(conn, buf);
		if (ret) {
			xscore_conn_failed(conn, ret);
			return ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(xscore_conn_receive);

/**
 * xscore_conn_poll_rx() - poll receives, for an owner that polls them
 * @conn: the connection, whose params set rx_notify
 * @budget: the most completions to take
 * @deliver: called for each message received, in the poller's context
 *
 * Each buffer is reposted after @deliver.  When fewer than @budget
 * completed, the poller calls xscore_conn_rx_rearm() before it stops.
 *
 * Return: how many receives completed, failed ones included.
 */
int xscore_conn_poll_rx(struct xscore_conn *conn, int budget,
			void (*deliver)(struct xscore_conn *conn, void *data,
					u32 len))
{
	struct xscore_conn_buf *buf;
	struct ib_wc wc[16];
	int done = 0, n, i;

	if (!conn->rx_cq)
		return 0;
	while (done < budget) {
		n = ib_poll_cq(conn->rx_cq,
			       min_t(int, budget - done, ARRAY_SIZE(wc)), wc);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			buf = container_of(wc[i].wr_cqe, struct xscore_conn_buf,
					   cqe);
			if (wc[i].status != IB_WC_SUCCESS) {
				xscore_conn_note(conn,
						 XSCORE_CONN_EV_QP_ERROR);
				continue;
			}
			ib_dma_sync_single_for_cpu(conn->ibdev, buf->dma,
						   wc[i].byte_len,
						   DMA_FROM_DEVICE);
			deliver(conn, buf->data, wc[i].byte_len);
			if (xscore_conn_post_recv(conn, buf))
				xscore_conn_note(conn,
						 XSCORE_CONN_EV_QP_ERROR);
		}
		done += n;
	}
	return done;
}
EXPORT_SYMBOL_GPL(xscore_conn_poll_rx);

/**
 * xscore_conn_rx_rearm() - ask for rx_notify again after polling all there was
 * @conn: the connection, whose params set rx_notify
 *
 * Return: true when receives completed meanwhile, and polling goes on;
 * false when rx_notify will be called for the next one.
 */
bool xscore_conn_rx_rearm(struct xscore_conn *conn)
{
	return conn->rx_cq &&
	       ib_req_notify_cq(conn->rx_cq, IB_CQ_NEXT_COMP |
				IB_CQ_REPORT_MISSED_EVENTS) > 0;
}
EXPORT_SYMBOL_GPL(xscore_conn_rx_rearm);

/* A receive buffer's size, or a send buffer's. */
static unsigned int xscore_conn_bufs_size(const struct xscore_conn *conn,
					  enum dma_data_direction dir)
{
	return dir == DMA_FROM_DEVICE ? conn->params.rx_buf_size :
	       conn->params.buf_size;
}

static void xscore_conn_free_bufs(struct xscore_conn *conn,
				  struct xscore_conn_buf *bufs,
				  enum dma_data_direction dir)
{
	unsigned int i;

	if (!bufs)
		return;
	for (i = 0; i < conn->params.ring; i++) {
		if (!bufs[i].data)
			continue;
		ib_dma_unmap_single(conn->ibdev, bufs[i].dma,
				    xscore_conn_bufs_size(conn, dir), dir);
		kfree(bufs[i].data);
	}
	kfree(bufs);
}

static struct xscore_conn_buf *
xscore_conn_alloc_bufs(struct xscore_conn *conn, enum dma_data_direction dir)
{
	struct xscore_conn_buf *bufs, *buf;
	unsigned int i;

	bufs = kcalloc(conn->params.ring, sizeof(*bufs), GFP_KERNEL);
	if (!bufs)
		return NULL;
	for (i = 0; i < conn->params.ring; i++) {
		buf = &bufs[i];
		buf->cqe.done = dir == DMA_FROM_DEVICE ? xscore_conn_recv_done :
				xscore_conn_send_done;
		INIT_LIST_HEAD(&buf->node);
		buf->data = kzalloc(xscore_conn_bufs_size(conn, dir),
				    GFP_KERNEL);
		if (!buf->data)
			goto fail;
		buf->dma = ib_dma_map_single(conn->ibdev, buf->data,
					     xscore_conn_bufs_size(conn, dir),
					     dir);
		if (ib_dma_mapping_error(conn->ibdev, buf->dma)) {
			kfree(buf->data);
			buf->data = NULL;
			goto fail;
		}
	}
	return bufs;
fail:
	xscore_conn_free_bufs(conn, bufs, dir);
	return NULL;
}

static void xscore_conn_cleanup(struct xscore_conn *conn);

/* The PD and the buffers; xscore_conn_cleanup() undoes it.  May sleep. */
static int xscore_conn_init(struct xscore_conn *conn, struct ib_device *ibdev,
			    u32 port_num,
			    const struct xscore_conn_params *params)
{
	unsigned int i;
	int ret;

	memset(conn, 0, sizeof(*conn));
	conn->ibdev = ibdev;
	conn->port_num = port_num;
	conn->params = *params;
	if (!conn->params.rx_buf_size)
		conn->params.rx_buf_size = params->buf_size;
	spin_lock_init(&conn->rx_lock);
	spin_lock_init(&conn->tx_lock);
	INIT_LIST_HEAD(&conn->rx_done);

	conn->pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(conn->pd)) {
		ret = PTR_ERR(conn->pd);
		conn->pd = NULL;
		return ret;
	}
	conn->cm = kzalloc(sizeof(*conn->cm), GFP_KERNEL);
	if (conn->cm) {
		spin_lock_init(&conn->cm->lock);
		kref_init(&conn->cm->ref);
		conn->cm->conn = conn;
	}
	conn->params.max_send_sge = clamp_t(unsigned int,
					    params->max_send_sge, 1,
					    ibdev->attrs.max_send_sge);
	conn->rx = xscore_conn_alloc_bufs(conn, DMA_FROM_DEVICE);
	conn->tx = xscore_conn_alloc_bufs(conn, DMA_TO_DEVICE);
	conn->tx_sg = kcalloc(conn->params.ring * conn->params.max_send_sge,
			      sizeof(*conn->tx_sg), GFP_KERNEL);
	if (!conn->cm || !conn->rx || !conn->tx || !conn->tx_sg) {
		xscore_conn_cleanup(conn);
		return -ENOMEM;
	}
	for (i = 0; i < conn->params.ring; i++)
		conn->tx[i].sg = &conn->tx_sg[i * conn->params.max_send_sge];
	return 0;
}

/*
 * After xscore_conn_close(): the buffers and the PD go; parked ids stay
 * with xsconn, their handlers cut off from the connection.
 */
static void xscore_conn_cleanup(struct xscore_conn *conn)
{
	if (conn->cm) {
		spin_lock(&conn->cm->lock);
		conn->cm->conn = NULL;
		spin_unlock(&conn->cm->lock);
		xscore_conn_cm_put(conn->cm);
		conn->cm = NULL;
	}
	xscore_conn_free_bufs(conn, conn->rx, DMA_FROM_DEVICE);
	xscore_conn_free_bufs(conn, conn->tx, DMA_TO_DEVICE);
	kfree(conn->tx_sg);
	conn->rx = NULL;
	conn->tx = NULL;
	conn->tx_sg = NULL;
	if (conn->pd)
		ib_dealloc_pd(conn->pd);
	conn->pd = NULL;
}

/**
 * xscore_conn_create() - a connection, not connected yet
 * @ibdev: the RDMA device
 * @port_num: its port
 * @params: ring sizes, connection request data and callbacks (copied)
 * @context: the owner, for its callbacks (xscore_conn_context())
 *
 * Allocates the protection domain and the mapped send and receive
 * buffers; nothing is posted until xscore_conn_connect().
 *
 * Return: the connection, or an ERR_PTR().
 */
struct xscore_conn *xscore_conn_create(struct ib_device *ibdev, u32 port_num,
				       const struct xscore_conn_params *params,
				       void *context)
{
	struct xscore_conn *conn;
	int ret;

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	ret = xscore_conn_init(conn, ibdev, port_num, params);
	if (ret) {
		kfree(conn);
		return ERR_PTR(ret);
	}
	conn->context = context;
	return conn;
}
EXPORT_SYMBOL_GPL(xscore_conn_create);

/**
 * xscore_conn_destroy() - free a connection
 * @conn: the connection, closed (xscore_conn_close()), or NULL
 */
void xscore_conn_destroy(struct xscore_conn *conn)
{
	if (!conn)
		return;
	xscore_conn_cleanup(conn);
	kfree(conn);
}
EXPORT_SYMBOL_GPL(xscore_conn_destroy);

/**
 * xscore_conn_context() - the owner a connection was created for
 * @conn: the connection
 *
 * Return: the context given to xscore_conn_create().
 */
void *xscore_conn_context(const struct xscore_conn *conn)
{
	return conn->context;
}
EXPORT_SYMBOL_GPL(xscore_conn_context);

/**
 * xscore_conn_established() - whether the connection is up
 * @conn: the connection, from its owner's work
 *
 * Return: true once xscore_conn_step() has seen it established, until
 * xscore_conn_close().
 */
bool xscore_conn_established(const struct xscore_conn *conn)
{
	return conn->established;
}
EXPORT_SYMBOL_GPL(xscore_conn_established);

/**
 * xscore_conn_active() - whether a connection attempt is open
 * @conn: the connection, from its owner's work
 *
 * Return: true from xscore_conn_connect() or xscore_conn_accept_request()
 * until xscore_conn_close(), connected or not.
 */
bool xscore_conn_active(const struct xscore_conn *conn)
{
	return conn->cm_id;
}
EXPORT_SYMBOL_GPL(xscore_conn_active);

/**
 * xscore_conn_accept() - what the peer's accept carried
 * @conn: the connection, established (xscore_conn_established())
 * @data: where the private data goes, XSCORE_CONN_ACCEPT_MAX bytes
 * @local_qpn: this side's QP number
 * @remote_qpn: the peer's QP number
 *
 * The private data comes from the fabric: the caller checks it.
 *
 * Return: bytes of private data copied to @data (0 when there was none);
 * -ENOTCONN when the connection is not established.
 */
int xscore_conn_accept(const struct xscore_conn *conn, u8 *data,
		       u32 *local_qpn, u32 *remote_qpn)
{
	if (!conn->established || !conn->qp)
		return -ENOTCONN;
	memcpy(data, conn->accept_data, conn->accept_len);
	*local_qpn = conn->qp->qp_num;
	*remote_qpn = conn->remote_qpn;
	return conn->accept_len;
}
EXPORT_SYMBOL_GPL(xscore_conn_accept);

/**
 * xscore_conn_error() - why a connection failed
 * @conn: the connection, after xscore_conn_step() returned
 *	XSCORE_CONN_FAILED
 *
 * Return: a negative errno.
 */
int xscore_conn_error(const struct xscore_conn *conn)
{
	return conn->err;
}
EXPORT_SYMBOL_GPL(xscore_conn_error);

/**
 * xscore_conn_ibdev() - the RDMA device a connection runs on
 * @conn: the connection
 *
 * Return: the device, for the owner's own DMA mappings.
 */
struct ib_device *xscore_conn_ibdev(const struct xscore_conn *conn)
{
	return conn->ibdev;
}
EXPORT_SYMBOL_GPL(xscore_conn_ibdev);

/**
 * xscore_conn_pd() - a connection's protection domain
 * @conn: the connection
 *
 * Return: the PD, for memory keys the owner registers on the connection.
 */
struct ib_pd *xscore_conn_pd(const struct xscore_conn *conn)
{
	return conn->pd;
}
EXPORT_SYMBOL_GPL(xscore_conn_pd);

/**
 * xscore_conn_qp() - a connection's QP, for the owner's rdma_rw contexts
 * @conn: the connection, from its owner's work or a completion handler
 *
 * For rdma_rw_ctx_init() and rdma_rw_ctx_post() (the params' rdma_ctxs),
 * between xscore_conn_accept_request() or XSCORE_CONN_ESTABLISHED and
 * xscore_conn_drain() or xscore_conn_close().  Everything else the owner
 * posts goes through xscore_conn_post_wr().
 *
 * Return: the QP, or NULL when there is none.
 */
struct ib_qp *xscore_conn_qp(const struct xscore_conn *conn)
{
	return conn->qp;
}
EXPORT_SYMBOL_GPL(xscore_conn_qp);

/**
 * xscore_conn_port_num() - the port a connection runs on
 * @conn: the connection
 *
 * Return: the port number it was created with.
 */
u32 xscore_conn_port_num(const struct xscore_conn *conn)
{
	return conn->port_num;
}
EXPORT_SYMBOL_GPL(xscore_conn_port_num);

/**
 * xscore_conn_buf_size() - bytes in one send or receive buffer
 * @conn: the connection
 *
 * Return: the buffer size the connection was created with.
 */
unsigned int xscore_conn_buf_size(const struct xscore_conn *conn)
{
	return conn->params.buf_size;
}
EXPORT_SYMBOL_GPL(xscore_conn_buf_size);

/**
 * xscore_conn_ring() - send (and receive) buffers of a connection
 * @conn: the connection
 *
 * Return: the ring size the connection was created with.
 */
unsigned int xscore_conn_ring(const struct xscore_conn *conn)
{
	return conn->params.ring;
}
EXPORT_SYMBOL_GPL(xscore_conn_ring);

/**
 * xscore_conn_max_send_sge() - gather entries xscore_conn_send_sg() takes
 * @conn: the connection
 *
 * Return: what was asked for, lowered to what the device takes.
 */
unsigned int xscore_conn_max_send_sge(const struct xscore_conn *conn)
{
	return conn->params.max_send_sge;
}
EXPORT_SYMBOL_GPL(xscore_conn_max_send_sge);

/**
 * xscore_conn_tx_space() - send buffers free now
 * @conn: the connection
 *
 * Return: free send slots; a hint, as completions run concurrently.
 */
unsigned int xscore_conn_tx_space(struct xscore_conn *conn)
{
	int inflight = atomic_read(&conn->tx_inflight);

	return inflight >= conn->params.ring ? 0 : conn->params.ring - inflight;
}
EXPORT_SYMBOL_GPL(xscore_conn_tx_space);

/* A listener: an rdma_cm id bound and listening, and its owner's callback. */
struct xscore_conn_listener {
	struct rdma_cm_id *id;
	xscore_conn_request_fn request;
	void *context;
};

/*
 * The handler of the listener's id and of every id its requests made: a
 * request's id starts with the listener's context.  Once accepted, an id
 * has a QP and its context is the connection
 * (xscore_conn_accept_request()); the listener's own id never has a QP.
 */
static int xscore_conn_listen_handler(struct rdma_cm_id *id,
				      struct rdma_cm_event *event)
{
	struct xscore_conn_listener *listener;

	if (event->event == RDMA_CM_EVENT_CONNECT_REQUEST) {
		listener = id->context;
		return listener->request(listener->context, id,
					 &event->param.conn);
	}
	if (id->qp)
		return xscore_conn_cm_handler(id, event);
	return 0;
}

/**
 * xscore_conn_listen() - take peers' connection requests at an address
 * @addr: the local address (a GID as an IPv6 address) and rdma_cm port
 * @backlog: requests that may wait to be handled
 * @request: called for each request, in the CM's handler (process
 *	context; requests on one listener are serialised), with @context,
 *	the request's new id and its parameters (private data from the
 *	fabric: the callback checks it).  It accepts with
 *	xscore_conn_accept_request() and returns 0, or returns non-zero
 *	(after rdma_reject(), if it likes) and the CM destroys the id.
 * @context: the owner, for @request
 *
 * Return: the listener, or an ERR_PTR().
 */
struct xscore_conn_listener *xscore_conn_listen(const struct sockaddr_in6 *addr,
						int backlog,
						xscore_conn_request_fn request,
						void *context)
{
	struct xscore_conn_listener *listener;
	struct rdma_cm_id *id;
	int ret;

	listener = kzalloc(sizeof(*listener), GFP_KERNEL);
	if (!listener)
		return ERR_PTR(-ENOMEM);
	listener->request = request;
	listener->context = context;
	id = rdma_create_id(&init_net, xscore_conn_listen_handler, listener,
			    RDMA_PS_TCP, IB_QPT_RC);
	if (IS_ERR(id)) {
		ret = PTR_ERR(id);
		goto free;
	}
	ret = rdma_bind_addr(id, (struct sockaddr *)addr);
	if (ret)
		goto destroy_id;
	ret = rdma_listen(id, backlog);
	if (ret)
		goto destroy_id;
	listener->id = id;
	return listener;

destroy_id:
	rdma_destroy_id(id);
free:
	kfree(listener);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(xscore_conn_listen);

/**
 * xscore_conn_unlisten() - stop taking connection requests
 * @listener: the listener, or NULL
 *
 * Waits for a request being handled; no @request callback runs after.
 * The connections accepted stay their owners'.  Called without any lock
 * that the request callback takes.
 */
void xscore_conn_unlisten(struct xscore_conn_listener *listener)
{
	if (!listener)
		return;
	rdma_destroy_id(listener->id);
	kfree(listener);
}
EXPORT_SYMBOL_GPL(xscore_conn_unlisten);

/**
 * xscore_conn_request_from() - whether a connection request comes from a host
 * @id: the request's new id, in the listener's request callback
 * @host: the GID of the one host it may come from; all zeroes: none
 *
 * A card takes a resource's connections only from the host whose
 * authenticated session installed that resource (the director binds the
 * two); any other host naming the resource is refused.
 *
 * Return: true when @host is set and is the requester's GID.
 */
bool xscore_conn_request_from(struct rdma_cm_id *id, const union ib_gid *host)
{
	union ib_gid requester;

	if (!xscore_conn_host_bound(host))
		return false;
	rdma_read_gids(id, NULL, &requester);
	return !memcmp(&requester, host, sizeof(requester));
}
EXPORT_SYMBOL_GPL(xscore_conn_request_from);

/**
 * xscore_conn_host_parse() - read a host binding an operator or director wrote
 * @buf: an IPv6 address (the host's GID), or an empty line for none
 * @host: filled with the GID, all zeroes for none
 *
 * Return: 0, or -EINVAL for anything else.
 */
int xscore_conn_host_parse(const char *buf, union ib_gid *host)
{
	size_t len = strcspn(buf, "\n");

	memset(host, 0, sizeof(*host));
	if (!len)
		return 0;
	if (!in6_pton(buf, len, host->raw, -1, NULL) ||
	    !xscore_conn_host_bound(host))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_GPL(xscore_conn_host_parse);

/**
 * xscore_conn_host_show() - show a host binding in a sysfs or configfs page
 * @page: the page
 * @host: the GID; all zeroes shows an empty line
 *
 * Return: the bytes written.
 */
ssize_t xscore_conn_host_show(char *page, const union ib_gid *host)
{
	if (!xscore_conn_host_bound(host))
		return sysfs_emit(page, "\n");
	return sysfs_emit(page, "%pI6c\n", host->raw);
}
EXPORT_SYMBOL_GPL(xscore_conn_host_show);
