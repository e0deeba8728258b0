// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The vNIC's two connections to its I/O card and the control channel:
 * connect both, report OPER_UP, push the VLAN and multicast filters, ask
 * for frames with START_RX and follow the port's link state.  Any failure
 * tears both down, reports OPER_DOWN and retries with a backoff.
 */
#include <linux/etherdevice.h>
#include <linux/jiffies.h>

#include "xsvnic.h"
#include "xsvnic_check.h"

static const u32 xsvnic_speeds_mbps[] = {
	[XSVNIC_SPEED_DOWN]	= 0,
	[XSVNIC_SPEED_S100M]	= 100,
	[XSVNIC_SPEED_S10M]	= 10,
	[XSVNIC_SPEED_S200M]	= 200,
	[XSVNIC_SPEED_S500M]	= 500,
	[XSVNIC_SPEED_S800M]	= 800,
	[XSVNIC_SPEED_S1G]	= 1000,
	[7] = 2000, [8] = 3000, [9] = 4000, [10] = 5000, [11] = 6000,
	[12] = 7000, [13] = 8000, [14] = 9000,
	[XSVNIC_SPEED_S10G]	= 10000,
};

/* 0 for a code the table does not know. */
u32 xsvnic_speed_mbps(u8 speed)
{
	return speed < ARRAY_SIZE(xsvnic_speeds_mbps) ?
	       xsvnic_speeds_mbps[speed] : 0;
}

void xsvnic_kick(struct xsvnic *vnic)
{
	xscore_session_kick(&vnic->session);
}

static struct xsvnic *xsvnic_of_session(struct xscore_session *session)
{
	return container_of(session, struct xsvnic, session);
}

static struct xsvnic *xsvnic_of_ctrl(struct xscore_conn *conn)
{
	return xscore_conn_context(conn);
}

static struct xsvnic *xsvnic_of_data(struct xscore_conn *conn)
{
	return xscore_conn_context(conn);
}

static void xsvnic_ctrl_kick(struct xscore_conn *conn)
{
	xsvnic_kick(xsvnic_of_ctrl(conn));
}

static void xsvnic_data_kick(struct xscore_conn *conn)
{
	xsvnic_kick(xsvnic_of_data(conn));
}

static void xsvnic_count(struct xsvnic *vnic, u64 *counter)
{
	spin_lock_bh(&vnic->lock);
	(*counter)++;
	spin_unlock_bh(&vnic->lock);
}

static int xsvnic_ctrl_send(struct xsvnic *vnic, u8 type, u32 data,
			    const void *list, u16 list_len)
{
	struct xsvnic_control_msg msg = {
		.type	= type,
		.length	= cpu_to_le16(list_len),
		.data	= cpu_to_be32(data),
	};
	int ret;

	ret = xscore_conn_send(vnic->ctrl, &msg, sizeof(msg), list, list_len);
	if (!ret) {
		xsvnic_count(vnic, &vnic->counters.ctrl_out);
		vnic->last_ctrl_sent = jiffies;
	}
	return ret;
}

static void xsvnic_set_carrier(struct xsvnic *vnic)
{
	bool on = vnic->rx == XSVNIC_RX_STARTED && vnic->card_link_up;

	if (on == netif_carrier_ok(vnic->netdev))
		return;
	xsvnic_count(vnic, &vnic->counters.link_changes);
	if (on) {
		netif_carrier_on(vnic->netdev);
		netdev_info(vnic->netdev, "link up, %u Mb/s\n",
			    xsvnic_speed_mbps(vnic->speed));
	} else {
		netif_carrier_off(vnic->netdev);
		netdev_info(vnic->netdev, "link down\n");
	}
}

static void xsvnic_set_speed(struct xsvnic *vnic, u8 speed)
{
	spin_lock_bh(&vnic->lock);
	vnic->speed = speed;
	spin_unlock_bh(&vnic->lock);
}

/* A control message refused: counted, and by its reason. */
static void xsvnic_ctrl_refused(struct xsvnic *vnic, enum xsvnic_check why)
{
	struct xsvnic_counters *c = &vnic->counters;

	spin_lock_bh(&vnic->lock);
	c->ctrl_malformed++;
	if (why == XSVNIC_CHECK_CTRL_SHORT)
		c->ctrl_short++;
	else if (why == XSVNIC_CHECK_CTRL_LENGTH)
		c->ctrl_length++;
	else
		c->ctrl_type++;
	spin_unlock_bh(&vnic->lock);
}

/* One control message from the card; lengths are checked before use. */
static void xsvnic_ctrl_deliver(struct xscore_conn *conn, void *data, u32 len)
{
	struct xsvnic *vnic = xsvnic_of_ctrl(conn);
	const struct xsvnic_control_msg *msg = data;
	enum xsvnic_check why;
	u8 speed;

	lockdep_assert_held(&vnic->session.mutex);
	why = xsvnic_check_ctrl_length(data, len);
	if (why) {
		xsvnic_ctrl_refused(vnic, why);
		return;
	}
	xsvnic_count(vnic, &vnic->counters.ctrl_in);
	why = xsvnic_check_ctrl_type(msg->type);
	if (why) {
		xsvnic_ctrl_refused(vnic, why);
		return;
	}
	speed = be32_to_cpu(msg->data) >> 24;
	switch (msg->type) {
	case XSVNIC_CTRL_TYPE_START_RX_RESPONSE:
		if (vnic->rx != XSVNIC_RX_STARTING)
			break;
		vnic->rx = XSVNIC_RX_STARTED;
		vnic->card_link_up = speed != XSVNIC_SPEED_DOWN;
		xsvnic_set_speed(vnic, speed);
		break;
	case XSVNIC_CTRL_TYPE_LINK_UP:
		vnic->card_link_up = true;
		xsvnic_set_speed(vnic, speed);
		break;
	case XSVNIC_CTRL_TYPE_LINK_DOWN:
		vnic->card_link_up = false;
		break;
	default:	/* nothing to act on */
		break;
	}
	xsvnic_set_carrier(vnic);
}

/* Both connections go; frames stop first. */
static void xsvnic_teardown(struct xscore_session *session)
{
	struct xsvnic *vnic = xsvnic_of_session(session);

	lockdep_assert_held(&session->mutex);
	netif_carrier_off(vnic->netdev);
	if (vnic->napi_enabled)
		napi_disable(&vnic->napi);
	xscore_conn_close(vnic->data);
	xscore_conn_close(vnic->ctrl);
	if (vnic->napi_enabled) {
		napi_enable(&vnic->napi);
		/*
		 * A queue stopped on a full send ring would wait for send
		 * completions that the close took with it: the ring is empty
		 * now, and frames are dropped until the next connection.
		 */
		netif_wake_queue(vnic->netdev);
	}
	vnic->rx = XSVNIC_RX_STOPPED;
	vnic->card_link_up = false;
	xsvnic_set_speed(vnic, XSVNIC_SPEED_DOWN);
	bitmap_zero(vnic->vlans_on_card, VLAN_N_VID);
}

static void xsvnic_down(struct xscore_session *session,
			enum xscore_session_state old, const char *why, int err)
{
	struct xsvnic *vnic = xsvnic_of_session(session);

	lockdep_assert_held(&session->mutex);
	if (old == XSCORE_SESSION_UP) {
		netdev_warn(vnic->netdev, "I/O card connection lost: %s (%d)\n",
			    why, err);
		xsvnic_count(vnic, &vnic->counters.reconnects);
	} else {
		netdev_dbg(vnic->netdev, "connecting to the I/O card: %s (%d)\n",
			   why, err);
	}
	if (vnic->oper_up)
		xsvnic_report_oper(vnic, false);
}

static void xsvnic_fail(struct xsvnic *vnic, const char *why, int err)
{
	xscore_session_fail(&vnic->session, why, err);
}

/*
 * One ASSIGN_VLAN or UNASSIGN_VLAN with (up to the card's limit of) the
 * VLANs in set; what the card holds follows once it is sent.  The rest
 * goes on the next tick.
 */
static int xsvnic_send_vlans(struct xsvnic *vnic, u8 type,
			     const unsigned long *set, __be16 *list)
{
	unsigned int n = 0, vid;
	int ret;

	for_each_set_bit(vid, set, VLAN_N_VID) {
		if (n == XSVNIC_VLAN_MAX)
			break;
		list[n++] = cpu_to_be16(vid);
	}
	if (!n)
		return 0;
	ret = xsvnic_ctrl_send(vnic, type, 0, list, n * sizeof(*list));
	if (ret)
		return ret;
	while (n--) {
		vid = be16_to_cpu(list[n]);
		if (type == XSVNIC_CTRL_TYPE_ASSIGN_VLAN)
			set_bit(vid, vnic->vlans_on_card);
		else
			clear_bit(vid, vnic->vlans_on_card);
	}
	return 0;
}

/* The card learns which VLANs to pass, one list per direction. */
static int xsvnic_push_vlans(struct xsvnic *vnic)
{
	unsigned long add[BITS_TO_LONGS(VLAN_N_VID)];
	unsigned long del[BITS_TO_LONGS(VLAN_N_VID)];
	__be16 *list;
	int ret;

	lockdep_assert_held(&vnic->session.mutex);
	spin_lock_bh(&vnic->filter_lock);
	bitmap_andnot(add, vnic->vlans, vnic->vlans_on_card, VLAN_N_VID);
	bitmap_andnot(del, vnic->vlans_on_card, vnic->vlans, VLAN_N_VID);
	spin_unlock_bh(&vnic->filter_lock);
	if (bitmap_empty(add, VLAN_N_VID) && bitmap_empty(del, VLAN_N_VID))
		return 0;

	list = kmalloc_array(XSVNIC_VLAN_MAX, sizeof(*list), GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	ret = xsvnic_send_vlans(vnic, XSVNIC_CTRL_TYPE_ASSIGN_VLAN, add, list);
	if (!ret)
		ret = xsvnic_send_vlans(vnic, XSVNIC_CTRL_TYPE_UNASSIGN_VLAN,
					del, list);
	kfree(list);
	return ret;
}

static int xsvnic_push_mcast(struct xsvnic *vnic)
{
	u8 (*list)[ETH_ALEN];
	unsigned int count;
	bool all;
	int ret;

	lockdep_assert_held(&vnic->session.mutex);
	list = kmalloc_array(XSVNIC_MCAST_MAX, ETH_ALEN, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	spin_lock_bh(&vnic->filter_lock);
	if (!vnic->mcast_dirty) {
		spin_unlock_bh(&vnic->filter_lock);
		kfree(list);
		return 0;
	}
	all = vnic->mcast_all;
	count = all ? 0 : vnic->mcast_count;
	memcpy(list, vnic->mcast, count * ETH_ALEN);
	vnic->mcast_dirty = false;
	spin_unlock_bh(&vnic->filter_lock);

	ret = xsvnic_ctrl_send(vnic, XSVNIC_CTRL_TYPE_MULTICAST_LIST_SEND, all,
			       list, count * ETH_ALEN);
	if (ret) {
		spin_lock_bh(&vnic->filter_lock);
		vnic->mcast_dirty = true;
		spin_unlock_bh(&vnic->filter_lock);
	}
	kfree(list);
	return ret;
}

/* Frames flow only while the interface is up. */
static int xsvnic_sync_rx(struct xsvnic *vnic)
{
	bool want = netif_running(vnic->netdev);
	bool asked = vnic->rx != XSVNIC_RX_STOPPED;
	int ret;

	lockdep_assert_held(&vnic->session.mutex);
	if (want == asked)
		return 0;
	ret = xsvnic_ctrl_send(vnic, want ? XSVNIC_CTRL_TYPE_START_RX :
			       XSVNIC_CTRL_TYPE_STOP_RX, 0, NULL, 0);
	if (ret)
		return ret;
	vnic->rx = want ? XSVNIC_RX_STARTING : XSVNIC_RX_STOPPED;
	vnic->start_rx_by = jiffies + XSVNIC_START_RX_TIMEOUT;
	xsvnic_set_carrier(vnic);
	return 0;
}

static int xsvnic_connect(struct xscore_session *session)
{
	struct xsvnic *vnic = xsvnic_of_session(session);
	struct xscore_card_route *route = &vnic->route;
	int ret;

	lockdep_assert_held(&session->mutex);
	ret = xscore_conn_connect(vnic->ctrl, &route->src, &route->dst);
	if (!ret)
		ret = xscore_conn_connect(vnic->data, &route->src, &route->dst);
	return ret;
}

/* Both connections up: the card is told to pass frames and filters. */
static void xsvnic_connected(struct xsvnic *vnic)
{
	lockdep_assert_held(&vnic->session.mutex);
	xscore_session_opened(&vnic->session);
	netdev_info(vnic->netdev, "connected to I/O card %016llx\n",
		    vnic->card_guid);
	xsvnic_report_oper(vnic, true);
	vnic->last_ctrl_sent = jiffies;
	spin_lock_bh(&vnic->filter_lock);
	vnic->mcast_dirty = true;
	spin_unlock_bh(&vnic->filter_lock);
}

/* Filters, START_RX or STOP_RX, and a heartbeat when nothing else went. */
static void xsvnic_step_up(struct xsvnic *vnic)
{
	struct xscore_session *session = &vnic->session;
	int ret;

	lockdep_assert_held(&session->mutex);
	ret = xsvnic_push_vlans(vnic);
	if (!ret)
		ret = xsvnic_push_mcast(vnic);
	if (!ret)
		ret = xsvnic_sync_rx(vnic);
	/* HEART_BEAT on control when nothing else went (the original's mode 1). */
	if (!ret &&
	    time_after_eq(jiffies, vnic->last_ctrl_sent + XSVNIC_HEARTBEAT))
		ret = xsvnic_ctrl_send(vnic, XSVNIC_CTRL_TYPE_HEART_BEAT, 0, NULL, 0);
	/* A full control ring empties with the card's answers: retry then. */
	if (ret == -ENOBUFS) {
		xscore_session_wake_at(session, jiffies + XSVNIC_SEND_RETRY);
	} else if (ret) {
		xsvnic_fail(vnic, "control send", ret);
		return;
	}
	if (vnic->rx == XSVNIC_RX_STARTING) {
		if (time_after_eq(jiffies, vnic->start_rx_by)) {
			xsvnic_fail(vnic, "no START_RX response", -ETIMEDOUT);
			return;
		}
		xscore_session_wake_at(session, vnic->start_rx_by);
	}
	xscore_session_wake_at(session, vnic->last_ctrl_sent + XSVNIC_HEARTBEAT);
}

static void xsvnic_step(struct xscore_session *session)
{
	struct xsvnic *vnic = xsvnic_of_session(session);
	enum xscore_conn_progress ctrl, data;
	int ret;

	lockdep_assert_held(&session->mutex);
	ctrl = xscore_conn_step(vnic->ctrl);
	data = xscore_conn_step(vnic->data);
	if (ctrl == XSCORE_CONN_FAILED) {
		xsvnic_fail(vnic, "control", xscore_conn_error(vnic->ctrl));
		return;
	}
	if (data == XSCORE_CONN_FAILED) {
		xsvnic_fail(vnic, "data", xscore_conn_error(vnic->data));
		return;
	}
	ret = xscore_conn_receive(vnic->ctrl, xsvnic_ctrl_deliver);
	if (ret) {
		xsvnic_fail(vnic, "control receive", ret);
		return;
	}

	if (session->state == XSCORE_SESSION_CONNECTING &&
	    xscore_conn_established(vnic->ctrl) &&
	    xscore_conn_established(vnic->data))
		xsvnic_connected(vnic);
	if (session->state == XSCORE_SESSION_UP)
		xsvnic_step_up(vnic);
}

/* No callback and no work runs after this. */
void xsvnic_stop(struct xsvnic *vnic)
{
	mutex_lock(&vnic->session.mutex);
	if (vnic->session.state == XSCORE_SESSION_UP)
		xsvnic_ctrl_send(vnic, XSVNIC_CTRL_TYPE_STOP_RX, 0, NULL, 0);
	mutex_unlock(&vnic->session.mutex);
	xscore_session_stop(&vnic->session);
}

bool xsvnic_connected_to_card(struct xsvnic *vnic)
{
	lockdep_assert_held(&vnic->session.mutex);
	return vnic->session.state == XSCORE_SESSION_UP;
}

static const char *xsvnic_name(struct xscore_session *session)
{
	return netdev_name(xsvnic_of_session(session)->netdev);
}

static const struct xscore_session_ops xsvnic_session_ops = {
	.connect	= xsvnic_connect,
	.step		= xsvnic_step,
	.teardown	= xsvnic_teardown,
	.down		= xsvnic_down,
	.name		= xsvnic_name,
};

/*
 * The vNIC goes from CONNECTING straight to UP and arms no liveness
 * deadline (START_RX's answer is its own timer): only the connect timeout
 * applies.
 */
static const struct xscore_session_params xsvnic_session_params = {
	.ops			= &xsvnic_session_ops,
	.connect_timeout	= 2 * XSVNIC_START_RX_TIMEOUT,
	.backoff_max		= XSVNIC_RETRY_MAX,
};

int xsvnic_conns_init(struct xsvnic *vnic)
{
	struct xscore_conn_params ctrl = {
		.ring			= XSVNIC_CTRL_RING,
		.buf_size		= XSVNIC_CTRL_BUF_SIZE,
		.private_data		= &vnic->ctrl_pdata,
		.private_data_len	= sizeof(vnic->ctrl_pdata),
		.kick			= xsvnic_ctrl_kick,
	};
	struct xscore_conn_params data = {
		.ring			= vnic->data_ring,
		.buf_size		= vnic->netdev->max_mtu +
					  XSVNIC_FRAME_OVERHEAD,
		.private_data		= &vnic->data_pdata,
		.private_data_len	= sizeof(vnic->data_pdata),
		.kick			= xsvnic_data_kick,
		.rx_notify		= xsvnic_data_rx_notify,
		.tx_done		= xsvnic_data_tx_done,
		.max_send_sge		= XSVNIC_TX_SGE,
		.tx_release		= xsvnic_data_tx_release,
	};
	xscore_session_init(&vnic->session, &xsvnic_session_params);
	xscore_vdev_card_route(vnic->vdev, vnic->card_guid,
			       XSVNIC_CARD_RDMA_CM_PORT, &vnic->route);
	vnic->ctrl_pdata.vid = cpu_to_be64(vnic->resource_id);
	vnic->ctrl_pdata.qp_type = cpu_to_be16(XSVNIC_QP_TYPE_CONTROL);
	vnic->data_pdata.vid = cpu_to_be64(vnic->resource_id);
	vnic->data_pdata.qp_type = cpu_to_be16(XSVNIC_QP_TYPE_DATA);
	if (vnic->tso)
		vnic->data_pdata.data_qp_type =
			cpu_to_be32(XSVNIC_DATA_QP_FLAG_TSO);

	vnic->ctrl = xscore_conn_create(vnic->route.ibdev, vnic->route.port_num,
					&ctrl, vnic);
	if (IS_ERR(vnic->ctrl))
		return PTR_ERR(vnic->ctrl);
	vnic->data = xscore_conn_create(vnic->route.ibdev, vnic->route.port_num,
					&data, vnic);
	if (IS_ERR(vnic->data)) {
		xscore_conn_destroy(vnic->ctrl);
		return PTR_ERR(vnic->data);
	}
	vnic->tx_buf_size = xscore_conn_buf_size(vnic->data);
	vnic->tx_max_sge = xscore_conn_max_send_sge(vnic->data);
	/* The card receives what we send: with TSO, in 64 KiB buffers. */
	vnic->tx_max_len = vnic->tso ? XSVNIC_TSO_BUF_SIZE : vnic->tx_buf_size;
	return 0;
}

void xsvnic_conns_cleanup(struct xsvnic *vnic)
{
	xscore_conn_destroy(vnic->data);
	xscore_conn_destroy(vnic->ctrl);
}
