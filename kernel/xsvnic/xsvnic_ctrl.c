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
	mod_delayed_work(system_wq, &vnic->work, 0);
}

static struct xsvnic *xsvnic_of_ctrl(struct xscore_conn *conn)
{
	return container_of(conn, struct xsvnic, ctrl);
}

static struct xsvnic *xsvnic_of_data(struct xscore_conn *conn)
{
	return container_of(conn, struct xsvnic, data);
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

	ret = xscore_conn_send(&vnic->ctrl, &msg, sizeof(msg), list, list_len);
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

/* One control message from the card; lengths are checked before use. */
static void xsvnic_ctrl_deliver(struct xscore_conn *conn, void *data, u32 len)
{
	struct xsvnic *vnic = xsvnic_of_ctrl(conn);
	const struct xsvnic_control_msg *msg = data;
	u8 speed;

	if (xsvnic_check_ctrl_length(data, len)) {
		xsvnic_count(vnic, &vnic->counters.ctrl_malformed);
		return;
	}
	xsvnic_count(vnic, &vnic->counters.ctrl_in);
	if (xsvnic_check_ctrl_type(msg->type)) {
		xsvnic_count(vnic, &vnic->counters.ctrl_malformed);
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
static void xsvnic_teardown(struct xsvnic *vnic)
{
	netif_carrier_off(vnic->netdev);
	if (vnic->napi_enabled)
		napi_disable(&vnic->napi);
	xscore_conn_close(&vnic->data);
	xscore_conn_close(&vnic->ctrl);
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

static void xsvnic_fail(struct xsvnic *vnic, const char *why, int err)
{
	unsigned long backoff = min_t(unsigned long,
				      HZ << min(vnic->failures, 3U),
				      XSVNIC_RETRY_MAX);

	if (vnic->state == XSVNIC_CONNECTED)
		netdev_warn(vnic->netdev, "I/O card connection lost: %s (%d)\n",
			    why, err);
	else
		netdev_dbg(vnic->netdev, "connecting to the I/O card: %s (%d)\n",
			   why, err);
	xsvnic_teardown(vnic);
	if (vnic->state == XSVNIC_CONNECTED)
		xsvnic_count(vnic, &vnic->counters.reconnects);
	vnic->state = XSVNIC_DOWN;
	vnic->failures++;
	vnic->retry_at = jiffies + backoff;
	if (vnic->oper_up)
		xsvnic_report_oper(vnic, false);
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

	if (want == asked)
		return 0;
	ret = xsvnic_ctrl_send(vnic, want ? XSVNIC_CTRL_TYPE_START_RX :
			       XSVNIC_CTRL_TYPE_STOP_RX, 0, NULL, 0);
	if (ret)
		return ret;
	vnic->rx = want ? XSVNIC_RX_STARTING : XSVNIC_RX_STOPPED;
	vnic->deadline = jiffies + XSVNIC_START_RX_TIMEOUT;
	xsvnic_set_carrier(vnic);
	return 0;
}

static void xsvnic_connect(struct xsvnic *vnic)
{
	struct xscore_card_route *route = &vnic->route;
	int ret;

	ret = xscore_conn_connect(&vnic->ctrl, &route->src, &route->dst);
	if (!ret)
		ret = xscore_conn_connect(&vnic->data, &route->src, &route->dst);
	if (ret) {
		xsvnic_fail(vnic, "connect", ret);
		return;
	}
	vnic->state = XSVNIC_CONNECTING;
	vnic->deadline = jiffies + XSVNIC_START_RX_TIMEOUT * 2;
}

static void xsvnic_step(struct xsvnic *vnic)
{
	enum xscore_conn_progress ctrl, data;
	int ret;

	if (vnic->state == XSVNIC_DOWN) {
		if (time_before(jiffies, vnic->retry_at))
			return;
		xsvnic_connect(vnic);
		return;
	}

	ctrl = xscore_conn_step(&vnic->ctrl);
	data = xscore_conn_step(&vnic->data);
	if (ctrl == XSCORE_CONN_FAILED || data == XSCORE_CONN_FAILED) {
		xsvnic_fail(vnic, ctrl == XSCORE_CONN_FAILED ? "control" :
			    "data", ctrl == XSCORE_CONN_FAILED ?
			    vnic->ctrl.err : vnic->data.err);
		return;
	}
	ret = xscore_conn_receive(&vnic->ctrl, xsvnic_ctrl_deliver);
	if (ret) {
		xsvnic_fail(vnic, "control receive", ret);
		return;
	}

	if (vnic->state == XSVNIC_CONNECTING) {
		if (vnic->ctrl.established && vnic->data.established) {
			vnic->state = XSVNIC_CONNECTED;
			vnic->failures = 0;
			netdev_info(vnic->netdev, "connected to I/O card %016llx\n",
				    vnic->card_guid);
			xsvnic_report_oper(vnic, true);
			vnic->last_ctrl_sent = jiffies;
			spin_lock_bh(&vnic->filter_lock);
			vnic->mcast_dirty = true;
			spin_unlock_bh(&vnic->filter_lock);
		} else if (time_after(jiffies, vnic->deadline)) {
			xsvnic_fail(vnic, "timed out", -ETIMEDOUT);
			return;
		}
	}
	if (vnic->state != XSVNIC_CONNECTED)
		return;

	ret = xsvnic_push_vlans(vnic);
	if (!ret)
		ret = xsvnic_push_mcast(vnic);
	if (!ret)
		ret = xsvnic_sync_rx(vnic);
	/* HEART_BEAT on control when nothing else went (the original's mode 1). */
	if (!ret && time_after(jiffies, vnic->last_ctrl_sent + XSVNIC_HEARTBEAT))
		ret = xsvnic_ctrl_send(vnic, XSVNIC_CTRL_TYPE_HEART_BEAT, 0, NULL, 0);
	/* A full control ring empties with the card's answers: retry then. */
	if (ret && ret != -ENOBUFS) {
		xsvnic_fail(vnic, "control send", ret);
		return;
	}
	if (vnic->rx == XSVNIC_RX_STARTING &&
	    time_after(jiffies, vnic->deadline))
		xsvnic_fail(vnic, "no START_RX response", -ETIMEDOUT);
}

void xsvnic_work(struct work_struct *work)
{
	struct xsvnic *vnic = container_of(to_delayed_work(work),
					   struct xsvnic, work);

	mutex_lock(&vnic->mutex);
	if (vnic->state != XSVNIC_STOPPED) {
		xsvnic_step(vnic);
		queue_delayed_work(system_wq, &vnic->work, XSVNIC_TICK);
	}
	mutex_unlock(&vnic->mutex);
}

/* No callback and no work runs after this. */
void xsvnic_stop(struct xsvnic *vnic)
{
	mutex_lock(&vnic->mutex);
	if (vnic->state == XSVNIC_CONNECTED)
		xsvnic_ctrl_send(vnic, XSVNIC_CTRL_TYPE_STOP_RX, 0, NULL, 0);
	vnic->state = XSVNIC_STOPPED;
	xsvnic_teardown(vnic);
	mutex_unlock(&vnic->mutex);
	cancel_delayed_work_sync(&vnic->work);
}

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
	int ret;

	xscore_vdev_card_route(vnic->vdev, vnic->card_guid,
			       XSVNIC_CARD_RDMA_CM_PORT, &vnic->route);
	vnic->ctrl_pdata.vid = cpu_to_be64(vnic->resource_id);
	vnic->ctrl_pdata.qp_type = cpu_to_be16(XSVNIC_QP_TYPE_CONTROL);
	vnic->data_pdata.vid = cpu_to_be64(vnic->resource_id);
	vnic->data_pdata.qp_type = cpu_to_be16(XSVNIC_QP_TYPE_DATA);

	ret = xscore_conn_init(&vnic->ctrl, vnic->route.ibdev,
			       vnic->route.port_num, &ctrl);
	if (ret)
		return ret;
	ret = xscore_conn_init(&vnic->data, vnic->route.ibdev,
			       vnic->route.port_num, &data);
	if (ret)
		xscore_conn_cleanup(&vnic->ctrl);
	return ret;
}

void xsvnic_conns_cleanup(struct xsvnic *vnic)
{
	xscore_conn_cleanup(&vnic->data);
	xscore_conn_cleanup(&vnic->ctrl);
}
