// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The card port's listener and the vHBAs' RC connections, which are
 * xsconn's (include/xsigo/xscore_conn.h): a host's control or data
 * connection request (told apart by the private data) finds or makes its
 * vHBA and is accepted; what arrives is handed to the vHBA in the
 * connection's completion work; a connection that fails or ends closes
 * its vHBA.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>

#include "xsfcgw.h"

/* Send queue room a data connection needs beyond its messages: a status
 * per command and the RDMA operations of its largest transfer, the ring's
 * reads and index.
 */
static u32 xsfcgw_data_send_wrs(u32 max_sge)
{
	u32 pages = XSFCGW_MAX_XFER / PAGE_SIZE + 1;

	return XSFCGW_DEPTH * (DIV_ROUND_UP(pages, max_sge) + 1) + 4;
}

/* A connection's events (xsconn's callbacks, any context). */
static void xsfcgw_conn_kick(struct xscore_conn *conn)
{
	struct xsfcgw_vhba *vhba = xscore_conn_context(conn);

	mod_delayed_work(xsfcgw_wq, &vhba->conn_work, 0);
}

/* A control message, in the control connection's completion work. */
static void xsfcgw_ctrl_recv(struct xscore_conn *conn, void *msg, u32 len)
{
	struct xsfcgw_vhba *vhba = xscore_conn_context(conn);

	WRITE_ONCE(vhba->last_heard, jiffies);
	xsfcgw_vhba_control(vhba, msg, len);
}

/* A data message, in the data connection's completion work (the ring's). */
static void xsfcgw_data_recv(struct xscore_conn *conn, void *msg, u32 len)
{
	struct xsfcgw_vhba *vhba = xscore_conn_context(conn);

	WRITE_ONCE(vhba->last_heard, jiffies);
	xsfcgw_data_message(vhba, msg, len);
}

/**
 * xsfcgw_conn_work() - step a vHBA's connections and watch its host
 * @work: the vHBA's conn_work
 *
 * Kicked by the connections' callbacks, and every XSFCGW_WATCH_PERIOD
 * while the vHBA is open: closes it when a connection failed or its host
 * has been silent for XSFCGW_HOST_SILENCE, heartbeats an enabled host.
 * Nothing once the vHBA is closing (its close work cancels this one
 * before the connections go).
 */
void xsfcgw_conn_work(struct work_struct *work)
{
	struct xsfcgw_vhba *vhba = container_of(to_delayed_work(work),
						struct xsfcgw_vhba, conn_work);
	struct xsfcgw_port *port = vhba->port;
	const char *why = NULL;

	mutex_lock(&port->mutex);
	if (READ_ONCE(vhba->closing)) {
		mutex_unlock(&port->mutex);
		return;
	}
	if ((vhba->ctrl &&
	     xscore_conn_step(vhba->ctrl) == XSCORE_CONN_FAILED) ||
	    (vhba->data &&
	     xscore_conn_step(vhba->data) == XSCORE_CONN_FAILED)) {
		why = "connection lost";
	} else if (time_after(jiffies, READ_ONCE(vhba->last_heard) +
			      XSFCGW_HOST_SILENCE)) {
		atomic_inc(&port->stats.host_silent);
		why = "host silent for 15 s";
	} else if (time_after_eq(jiffies, vhba->heartbeat_due) &&
		   !xsfcgw_vhba_heartbeat(vhba)) {
		vhba->heartbeat_due = jiffies + XSFCGW_HEARTBEAT;
	}
	/* A kick meanwhile keeps its earlier run. */
	if (!why)
		queue_delayed_work(xsfcgw_wq, &vhba->conn_work,
				   XSFCGW_WATCH_PERIOD);
	mutex_unlock(&port->mutex);
	if (why)
		xsfcgw_vhba_close(vhba, why);
}

/**
 * xsfcgw_conn_send() - send one message on a vHBA's connection
 * @vhba: the vHBA
 * @conn: its control or data connection
 * @head: the first part of the message
 * @head_len: its length
 * @body: a second part, or NULL
 * @body_len: its length
 *
 * Return: 0; -ENOBUFS when every buffer is in flight or the vHBA is
 * closing; else xscore_conn_send()'s error.
 */
int xsfcgw_conn_send(struct xsfcgw_vhba *vhba, struct xscore_conn *conn,
		     const void *head, u32 head_len, const void *body,
		     u32 body_len)
{
	if (READ_ONCE(vhba->dead))
		return -ENOBUFS;
	return xscore_conn_send(conn, head, head_len, body, body_len);
}

/*
 * The connection of a request, accepted: its rings are fixed here.  The
 * data connection also carries the RDMA operations of the vHBA's commands
 * and ring.
 */
static struct xscore_conn *xsfcgw_conn_accept(struct xsfcgw_vhba *vhba,
					      struct rdma_cm_id *cm_id,
					      const struct rdma_conn_param *param,
					      bool control)
{
	u32 max_sge = min_t(u32, XSFCGW_MAX_SGE,
			    cm_id->device->attrs.max_send_sge);
	struct xscore_conn_params params = {
		.ring		= control ? XSFCGW_CTRL_TX : XSFCGW_DATA_RX,
		.buf_size	= XSFCGW_RX_SIZE,
		.kick		= xsfcgw_conn_kick,
		.recv		= control ? xsfcgw_ctrl_recv : xsfcgw_data_recv,
	};
	struct xscore_conn *conn;
	int ret;

	if (!control) {
		params.max_send_sge = max_sge;
		params.owner_wrs = xsfcgw_data_send_wrs(max_sge);
		params.rdma_ctxs = XSFCGW_DEPTH + 1;
	}
	conn = xscore_conn_create(cm_id->device, cm_id->port_num, &params, vhba);
	if (IS_ERR(conn))
		return conn;
	ret = xscore_conn_accept_request(conn, cm_id, param);
	if (ret) {
		xscore_conn_destroy(conn);
		return ERR_PTR(ret);
	}
	return conn;
}

/*
 * A connection request: find or make the vHBA it is for (a kind the
 * vHBA already has means the host started over: the old one goes), make
 * the connection and accept it.
 */
static int xsfcgw_connect_request(void *context, struct rdma_cm_id *cm_id,
				  const struct rdma_conn_param *param)
{
	const struct xsvhba_cm_private_data *pdata = param->private_data;
	struct xsfcgw_port *port = context;
	struct xsfcgw_vhba *vhba = NULL, *old;
	struct xsfcgw_initiator *initiator;
	struct xscore_conn *conn;
	bool control;
	u64 rid;
	int ret;

	if (param->private_data_len < sizeof(*pdata) || !pdata) {
		atomic_inc(&port->stats.malformed);
		return -EINVAL;
	}
	rid = be64_to_cpu(pdata->vid);
	control = be16_to_cpu(pdata->qp_type) == XSVHBA_QP_TYPE_CONTROL;

	mutex_lock(&port->mutex);
	/* Checked first: a stranger naming the vHBA must not close its host's. */
	initiator = xsfcgw_initiator_find(port, rid);
	if (!initiator) {
		atomic_inc(&port->stats.unknown_vhba);
		ret = -EPERM;
		goto unlock;
	}
	if (!xscore_conn_request_from(cm_id, &initiator->host)) {
		/* Unbound: its host's first try, before the director bound it. */
		atomic_inc(xscore_conn_host_bound(&initiator->host) ?
			   &port->stats.wrong_host : &port->stats.unbound);
		ret = -EACCES;
		goto unlock;
	}
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
		ret = xsfcgw_cmds_alloc(vhba);
		if (ret) {
			xsfcgw_vhba_put(vhba);
			goto unlock;
		}
		list_add_tail(&vhba->node, &port->vhbas);
		port->n_vhbas++;
		kref_get(&vhba->kref);
	}
	conn = xsfcgw_conn_accept(vhba, cm_id, param, control);
	if (IS_ERR(conn)) {
		ret = PTR_ERR(conn);
		/* The id goes with our non-zero return; the rest with the vHBA. */
		if (!vhba->ctrl && !vhba->data)
			xsfcgw_vhba_close(vhba, "connection refused");
		xsfcgw_vhba_put(vhba);
		goto unlock;
	}
	if (control)
		vhba->ctrl = conn;
	else
		vhba->data = conn;
	/* The silence is counted from here until the host's first message. */
	WRITE_ONCE(vhba->last_heard, jiffies);
	/* Events that came before the vHBA knew the connection. */
	mod_delayed_work(xsfcgw_wq, &vhba->conn_work, 0);
	mutex_unlock(&port->mutex);
	pr_info("%s: vHBA %#llx: %s connection accepted\n", port->name, rid,
		control ? "control" : "data");
	xsfcgw_vhba_put(vhba);
	return 0;

unlock:
	mutex_unlock(&port->mutex);
	pr_info("%s: vHBA %#llx: connection refused (%d)\n", port->name, rid,
		ret);
	return ret;
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
	struct xscore_conn_listener *listener;

	lockdep_assert_held(&port->mutex);
	if (port->listener)
		return -EBUSY;
	listener = xscore_conn_listen(addr, 16, xsfcgw_connect_request, port);
	if (IS_ERR(listener))
		return PTR_ERR(listener);
	port->addr = *addr;
	port->listener = listener;
	return 0;
}

/* Stop listening; caller holds port->mutex. */
void xsfcgw_unlisten(struct xsfcgw_port *port)
{
	struct xscore_conn_listener *listener = port->listener;

	lockdep_assert_held(&port->mutex);
	if (!listener)
		return;
	port->listener = NULL;
	/* The request callback may wait for port->mutex: destroy outside it. */
	mutex_unlock(&port->mutex);
	xscore_conn_unlisten(listener);
	mutex_lock(&port->mutex);
}
