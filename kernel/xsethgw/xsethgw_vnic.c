// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A vNIC as the card knows it: its two connections, what its host asked
 * for on the control connection (receive, VLANs, multicast), and what
 * that put on the uplink's address filters.
 *
 * The connections are xsconn's, accepted from the port's listener: each
 * hands its messages over in its completion handler (frames in softirq,
 * control messages in process context, which may take rtnl_lock); their
 * events are stepped by the vNIC's work, under vnic->lock.  Only the drop
 * closes them, outside the gateway's locks: closing waits for their
 * handlers, and for the CM's, which holds its own mutex while a request
 * takes port->lock and vnic->lock.
 *
 * The host opens the control and data connections together, either may
 * come first.  One of a kind the vNIC already has means the host started
 * over (it always closes both), so the card drops both and everything it
 * kept for them.  So does a failed connection, a host silent for 15 s, and
 * the configuration deleting the vNIC.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "xsethgw.h"
#include "xsethgw_check.h"

#define XSETHGW_WATCH_PERIOD	(5 * HZ)
#define XSETHGW_VLAN_LOG_MAX	16

static void xsethgw_vnic_release(struct kref *ref)
{
	struct xsethgw_vnic *vnic = container_of(ref, struct xsethgw_vnic, ref);

	kfree(rcu_access_pointer(vnic->mcast));
	kfree(vnic->mc_added);
	kfree(vnic);
}

/**
 * xsethgw_vnic_get() - take a reference on a vNIC
 * @vnic: the vNIC
 */
void xsethgw_vnic_get(struct xsethgw_vnic *vnic)
{
	kref_get(&vnic->ref);
}

/**
 * xsethgw_vnic_put() - drop a reference on a vNIC; the last frees it
 * @vnic: the vNIC
 */
void xsethgw_vnic_put(struct xsethgw_vnic *vnic)
{
	kref_put(&vnic->ref, xsethgw_vnic_release);
}

/**
 * xsethgw_vnic_kick() - let the vNIC's work look at its connections now
 * @vnic: the vNIC
 *
 * Callable from any context.
 */
void xsethgw_vnic_kick(struct xsethgw_vnic *vnic)
{
	mod_delayed_work(system_wq, &vnic->work, 0);
}

/* A connection's callbacks (xsconn): its events and control messages. */
static void xsethgw_conn_kick(struct xscore_conn *conn)
{
	xsethgw_vnic_kick(xscore_conn_context(conn));
}

/* Close and free a connection taken off its vNIC; its reference goes. */
static void xsethgw_conn_free(struct xscore_conn *conn)
{
	struct xsethgw_vnic *vnic = xscore_conn_context(conn);

	/* Waits for its completion and CM handlers; none runs afterwards. */
	xscore_conn_close(conn);
	xscore_conn_destroy(conn);
	xsethgw_vnic_put(vnic);
}

static void xsethgw_vnic_ctrl(struct xscore_conn *conn, void *msg, u32 len);

/*
 * A host's connection request, accepted: the rings are fixed here, so a
 * host can make the card hold no more than them.  The connection takes a
 * reference on the vNIC.
 */
static struct xscore_conn *xsethgw_conn_accept(struct xsethgw_vnic *vnic,
					       struct rdma_cm_id *id,
					       const struct rdma_conn_param *param,
					       bool is_data, bool tso)
{
	const struct xscore_conn_params params = {
		.ring		= is_data ? XSETHGW_DATA_RING : XSVNIC_CTRL_RING,
		.buf_size	= is_data ? XSETHGW_FRAME_BUF :
				  XSVNIC_CTRL_BUF_SIZE,
		/* With TSO a host sends TCP segments of up to 64 KiB. */
		.rx_buf_size	= tso ? XSVNIC_TSO_BUF_SIZE : 0,
		.kick		= xsethgw_conn_kick,
		/*
		 * Frames in softirq, control messages in a workqueue; the
		 * callback knows the data connection's framing.
		 */
		.recv		= !is_data ? xsethgw_vnic_ctrl :
				  tso ? xsethgw_data_from_host_tso :
				  xsethgw_data_from_host,
		.softirq	= is_data,
	};
	struct xscore_conn *conn;
	int ret;

	conn = xscore_conn_create(id->device, id->port_num, &params, vnic);
	if (IS_ERR(conn))
		return conn;
	ret = xscore_conn_accept_request(conn, id, param);
	if (ret) {
		xscore_conn_destroy(conn);
		return ERR_PTR(ret);
	}
	xsethgw_vnic_get(vnic);
	return conn;
}

static void xsethgw_mcast_remove_all(struct net_device *dev,
				     const struct xsethgw_mcast *mc)
{
	unsigned int i;

	for (i = 0; mc && i < mc->count; i++)
		dev_mc_del(dev, mc->addr[i]);
}

static bool xsethgw_mcast_has(const struct xsethgw_mcast *mc, const u8 *addr)
{
	unsigned int i;

	for (i = 0; mc && i < mc->count; i++)
		if (ether_addr_equal(mc->addr[i], addr))
			return true;
	return false;
}

/* A copy of the host's multicast list, or NULL for none (or no memory). */
static struct xsethgw_mcast *xsethgw_vnic_mcast_copy(struct xsethgw_vnic *vnic)
{
	const struct xsethgw_mcast *mc;
	struct xsethgw_mcast *copy = NULL;

	rcu_read_lock();
	mc = rcu_dereference(vnic->mcast);
	if (mc)
		copy = kmemdup(mc, struct_size(mc, addr, mc->count),
			       GFP_ATOMIC);
	rcu_read_unlock();
	return copy;
}

/**
 * xsethgw_vnic_sync_uplink() - bring the uplink's address filters in line
 * @vnic: the vNIC
 *
 * While the host receives, the uplink accepts its MAC, its multicast list
 * (or all multicast); otherwise this vNIC adds nothing.  What was added is
 * remembered, so that it comes off the same device again.
 */
void xsethgw_vnic_sync_uplink(struct xsethgw_vnic *vnic)
{
	struct net_device *want = NULL;
	struct xsethgw_mcast *mc = NULL;
	bool all = false;
	unsigned int i;

	ASSERT_RTNL();
	if (READ_ONCE(vnic->rx_started))
		want = rtnl_dereference(vnic->port->uplink);
	if (vnic->filtered_on && vnic->filtered_on != want) {
		struct net_device *old = vnic->filtered_on;

		if (vnic->uc_added)
			dev_uc_del(old, vnic->mac);
		if (vnic->allmulti_added)
			dev_set_allmulti(old, -1);
		xsethgw_mcast_remove_all(old, vnic->mc_added);
		kfree(vnic->mc_added);
		vnic->mc_added = NULL;
		vnic->uc_added = false;
		vnic->allmulti_added = false;
		vnic->filtered_on = NULL;
	}
	if (!want)
		return;
	vnic->filtered_on = want;
	if (!vnic->uc_added)
		vnic->uc_added = !dev_uc_add(want, vnic->mac);
	mc = xsethgw_vnic_mcast_copy(vnic);
	all = mc && mc->all;
	if (all != vnic->allmulti_added &&
	    !dev_set_allmulti(want, all ? 1 : -1))
		vnic->allmulti_added = all;
	for (i = 0; vnic->mc_added && i < vnic->mc_added->count; i++)
		if (!xsethgw_mcast_has(mc, vnic->mc_added->addr[i]))
			dev_mc_del(want, vnic->mc_added->addr[i]);
	for (i = 0; mc && i < mc->count; i++)
		if (!xsethgw_mcast_has(vnic->mc_added, mc->addr[i]) &&
		    dev_mc_add(want, mc->addr[i]))
			mc->addr[i][0] = 0;	/* not on the device: not ours to delete */
	kfree(vnic->mc_added);
	vnic->mc_added = mc;
}

/* What the host asked for goes with its connections.  Under vnic->lock. */
static void xsethgw_vnic_forget(struct xsethgw_vnic *vnic)
{
	struct xsethgw_mcast *old;

	lockdep_assert_held(&vnic->lock);
	WRITE_ONCE(vnic->rx_started, false);
	bitmap_zero(vnic->vlans, VLAN_N_VID);
	spin_lock_bh(&vnic->filter_lock);
	old = rcu_replace_pointer(vnic->mcast, NULL,
				  lockdep_is_held(&vnic->filter_lock));
	spin_unlock_bh(&vnic->filter_lock);
	kfree_rcu(old, rcu);
}

/**
 * xsethgw_vnic_drop() - close a vNIC's connections and forget its filters
 * @vnic: the vNIC
 * @why: for the log
 *
 * Called without rtnl_lock and the gateway's mutexes; may sleep.
 */
void xsethgw_vnic_drop(struct xsethgw_vnic *vnic, const char *why)
{
	struct xscore_conn *ctrl, *data;

	lockdep_assert_not_held(&vnic->lock);
	mutex_lock(&vnic->lock);
	ctrl = vnic->ctrl;
	data = rcu_dereference_protected(vnic->data,
					 lockdep_is_held(&vnic->lock));
	vnic->ctrl = NULL;
	RCU_INIT_POINTER(vnic->data, NULL);
	if (ctrl || data)
		xsethgw_vnic_forget(vnic);
	mutex_unlock(&vnic->lock);
	if (!ctrl && !data)
		return;

	pr_info("vNIC %#llx: connections closed (%s), %lld frames to host, %lld from host\n",
		vnic->resource_id, why,
		atomic64_read(&vnic->frames_to_host),
		atomic64_read(&vnic->frames_from_host));
	if (data) {
		/* The rx_handler may be sending on it. */
		synchronize_rcu();
		xsethgw_conn_free(data);
	}
	if (ctrl)
		xsethgw_conn_free(ctrl);
	/* A control message may have come while they closed. */
	mutex_lock(&vnic->lock);
	if (!vnic->ctrl && !rcu_access_pointer(vnic->data))
		xsethgw_vnic_forget(vnic);
	mutex_unlock(&vnic->lock);
	rtnl_lock();
	xsethgw_vnic_sync_uplink(vnic);
	rtnl_unlock();
}

/*
 * What a connection's callbacks recorded: false once it failed.  It stays
 * open (xsconn leaves it to its owner): the drop closes it.  Under
 * vnic->lock.
 */
static bool xsethgw_vnic_step(struct xsethgw_vnic *vnic,
			      struct xscore_conn *conn)
{
	lockdep_assert_held(&vnic->lock);
	return xscore_conn_step(conn) != XSCORE_CONN_FAILED;
}

static void xsethgw_vnic_work(struct work_struct *work)
{
	struct xsethgw_vnic *vnic =
		container_of(to_delayed_work(work), struct xsethgw_vnic, work);
	struct xscore_conn *data;
	const char *why = NULL;
	bool watch;

	mutex_lock(&vnic->lock);
	data = rcu_dereference_protected(vnic->data,
					 lockdep_is_held(&vnic->lock));
	if ((vnic->ctrl && !xsethgw_vnic_step(vnic, vnic->ctrl)) ||
	    (data && !xsethgw_vnic_step(vnic, data)))
		why = "connection lost";
	else if (vnic->ctrl &&
		 time_after(jiffies, READ_ONCE(vnic->last_heard) +
			    XSETHGW_HOST_SILENCE))
		why = "no control message for 15 s";
	watch = !vnic->removed && vnic->ctrl;
	mutex_unlock(&vnic->lock);
	if (why) {
		xsethgw_vnic_drop(vnic, why);
		return;
	}
	/* A kick meanwhile keeps its earlier run. */
	if (watch)
		queue_delayed_work(system_wq, &vnic->work, XSETHGW_WATCH_PERIOD);
}

/**
 * xsethgw_vnic_attach() - accept a connection request for this vNIC
 * @vnic: the vNIC the request names
 * @id: the request's rdma_cm id, in its CONNECT_REQUEST handler
 * @param: the request's parameters
 * @is_data: which of the two connections
 * @flags: the data connection's xsvnic_data_qp_flag bits (TSO or none)
 *
 * Requests on one port are serialised by its listener, and a vNIC lives
 * on one port: no two attaches of a vNIC run at once.
 *
 * Return: 0 once accepted; -EACCES when it does not come from the vNIC's
 * host, -EAGAIN while the vNIC has none yet; else the id goes back to the
 * CM.
 */
int xsethgw_vnic_attach(struct xsethgw_vnic *vnic, struct rdma_cm_id *id,
			const struct rdma_conn_param *param, bool is_data,
			u32 flags)
{
	struct xscore_conn *conn;
	bool again;
	int ret = 0;

	mutex_lock(&vnic->lock);
	/* Checked first: a stranger naming the vNIC must not drop its host. */
	if (!xscore_conn_request_from(id, &vnic->host)) {
		ret = xscore_conn_host_bound(&vnic->host) ? -EACCES : -EAGAIN;
		mutex_unlock(&vnic->lock);
		return ret;
	}
	again = is_data ? rcu_access_pointer(vnic->data) : vnic->ctrl;
	mutex_unlock(&vnic->lock);
	if (again)
		xsethgw_vnic_drop(vnic, "the host connects again");

	mutex_lock(&vnic->lock);
	if (vnic->removed || !xscore_conn_request_from(id, &vnic->host)) {
		ret = vnic->removed ? -ENODEV : -EACCES;
		goto unlock;
	}
	conn = xsethgw_conn_accept(vnic, id, param, is_data,
				   flags & XSVNIC_DATA_QP_FLAG_TSO);
	if (IS_ERR(conn)) {
		ret = PTR_ERR(conn);
		goto unlock;
	}
	if (is_data) {
		rcu_assign_pointer(vnic->data, conn);
	} else {
		vnic->ctrl = conn;
		WRITE_ONCE(vnic->last_heard, jiffies);
	}
	/*
	 * Now: what its callbacks recorded before it was the vNIC's (a
	 * control message, a disconnect); the work then watches the host.
	 */
	xsethgw_vnic_kick(vnic);
unlock:
	mutex_unlock(&vnic->lock);
	if (!ret)
		pr_info("vNIC %#llx %s connected on port %s\n",
			vnic->resource_id, is_data ? "data" : "control",
			xsethgw_port_name(vnic->port));
	return ret;
}

static void xsethgw_fill_ctrl(void *dst, const void *src, u32 len)
{
	memcpy(dst, src, len);
}

static void xsethgw_ctrl_send(struct xscore_conn *conn, u8 type, u32 data)
{
	struct xsethgw_vnic *vnic = xscore_conn_context(conn);
	struct xsvnic_control_msg msg = {
		.type	= type,
		.data	= cpu_to_be32(data),
	};
	int ret;

	ret = xscore_conn_send_fill(conn, sizeof(msg), xsethgw_fill_ctrl, &msg);
	if (ret && ret != -ENOTCONN)
		pr_warn_ratelimited("vNIC %#llx: control message %u not sent (%d)\n",
				    vnic->resource_id, type, ret);
}

static u32 xsethgw_speed_data(bool up)
{
	return (up ? XSETHGW_SPEED : XSVNIC_SPEED_DOWN) << 24;
}

/**
 * xsethgw_vnic_send_link() - tell the host its port's link changed
 * @vnic: the vNIC
 * @up: the link is up
 */
void xsethgw_vnic_send_link(struct xsethgw_vnic *vnic, bool up)
{
	mutex_lock(&vnic->lock);
	if (vnic->ctrl)
		xsethgw_ctrl_send(vnic->ctrl, up ? XSVNIC_CTRL_TYPE_LINK_UP :
				  XSVNIC_CTRL_TYPE_LINK_DOWN,
				  xsethgw_speed_data(up));
	mutex_unlock(&vnic->lock);
}

static void xsethgw_log_vlans(struct xsethgw_vnic *vnic)
{
	char text[XSETHGW_VLAN_LOG_MAX * 6 + 8];
	unsigned int vid, shown = 0;
	int n = 0;

	for_each_set_bit(vid, vnic->vlans, VLAN_N_VID) {
		if (shown++ == XSETHGW_VLAN_LOG_MAX) {
			n += scnprintf(text + n, sizeof(text) - n, ", ...");
			break;
		}
		n += scnprintf(text + n, sizeof(text) - n, "%s%u",
			       shown > 1 ? ", " : "", vid);
	}
	text[n] = '\0';
	pr_info("vNIC %#llx: VLANs [%s]\n", vnic->resource_id, text);
}

static int xsethgw_ctrl_vlans(struct xsethgw_vnic *vnic, const u8 *body,
			      u16 len, bool assign)
{
	/* At offset 8 of a kmalloc'ed buffer: aligned for __be16. */
	const __be16 *ids = (const __be16 *)body;
	unsigned int i, count = len / sizeof(*ids);

	if (xsethgw_check_vlan_list(len) != XSETHGW_CHECK_OK)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		u16 vid = be16_to_cpu(ids[i]) & VLAN_VID_MASK;

		if (assign)
			set_bit(vid, vnic->vlans);
		else
			clear_bit(vid, vnic->vlans);
	}
	xsethgw_log_vlans(vnic);
	return 0;
}

static int xsethgw_ctrl_mcast(struct xscore_conn *conn, const u8 *body,
			      u16 len, bool all)
{
	struct xsethgw_vnic *vnic = xscore_conn_context(conn);
	struct xsethgw_mcast *mc, *old;
	unsigned int i, count = len / ETH_ALEN;

	if (xsethgw_check_mcast_list(len) != XSETHGW_CHECK_OK)
		return -EINVAL;
	mc = kzalloc(struct_size(mc, addr, count), GFP_KERNEL);
	if (!mc)
		return -ENOMEM;
	mc->all = all;
	for (i = 0; i < count; i++) {
		const u8 *addr = body + i * ETH_ALEN;

		/* A unicast address here would steer another host's frames. */
		if (is_multicast_ether_addr(addr))
			ether_addr_copy(mc->addr[mc->count++], addr);
	}
	spin_lock_bh(&vnic->filter_lock);
	old = rcu_replace_pointer(vnic->mcast, mc,
				  lockdep_is_held(&vnic->filter_lock));
	spin_unlock_bh(&vnic->filter_lock);
	kfree_rcu(old, rcu);
	xsethgw_ctrl_send(conn, XSVNIC_CTRL_TYPE_MULTICAST_LIST_RESPONSE, 0);
	if (all)
		pr_info("vNIC %#llx: multicast all\n", vnic->resource_id);
	else
		pr_info("vNIC %#llx: multicast %u addresses\n",
			vnic->resource_id, mc->count);
	return 0;
}

/*
 * A message from the host's control connection, as received (len bytes),
 * in the connection's completion work (process context; the params'
 * recv).  A message that does not decode is counted and dropped.
 */
static void xsethgw_vnic_ctrl(struct xscore_conn *conn, void *msg, u32 len)
{
	const struct xsvnic_control_msg *hdr = msg;
	struct xsethgw_vnic *vnic = xscore_conn_context(conn);
	const u8 *body = msg + sizeof(*hdr);
	bool resync = false;
	u16 body_len;
	int ret = 0;

	if (xsethgw_check_ctrl_length(msg, len) != XSETHGW_CHECK_OK)
		goto malformed;
	body_len = le16_to_cpu(hdr->length);
	WRITE_ONCE(vnic->last_heard, jiffies);

	switch (hdr->type) {
	case XSVNIC_CTRL_TYPE_START_RX:
		WRITE_ONCE(vnic->rx_started, true);
		xsethgw_ctrl_send(conn, XSVNIC_CTRL_TYPE_START_RX_RESPONSE,
				  xsethgw_speed_data(READ_ONCE(vnic->port->link_up)));
		pr_info("vNIC %#llx: receive started\n", vnic->resource_id);
		resync = true;
		break;
	case XSVNIC_CTRL_TYPE_STOP_RX:
		WRITE_ONCE(vnic->rx_started, false);
		pr_info("vNIC %#llx: receive stopped\n", vnic->resource_id);
		resync = true;
		break;
	case XSVNIC_CTRL_TYPE_ASSIGN_VLAN:
	case XSVNIC_CTRL_TYPE_UNASSIGN_VLAN:
		ret = xsethgw_ctrl_vlans(vnic, body, body_len,
					 hdr->type == XSVNIC_CTRL_TYPE_ASSIGN_VLAN);
		break;
	case XSVNIC_CTRL_TYPE_MULTICAST_LIST_SEND:
		ret = xsethgw_ctrl_mcast(conn, body, body_len, !!hdr->data);
		resync = !ret;
		break;
	case XSVNIC_CTRL_TYPE_STATS_REQUEST:
		xsethgw_ctrl_send(conn, XSVNIC_CTRL_TYPE_STATS_RESPONSE, 0);
		break;
	case XSVNIC_CTRL_TYPE_HEART_BEAT:
		break;
	default:
		pr_debug("vNIC %#llx: control message type %u ignored\n",
			 vnic->resource_id, hdr->type);
		break;
	}
	if (ret == -EINVAL)
		goto malformed;
	if (resync) {
		rtnl_lock();
		xsethgw_vnic_sync_uplink(vnic);
		rtnl_unlock();
	}
	return;
malformed:
	xsethgw_count(vnic, XSETHGW_DROP_CTRL_MALFORMED);
	pr_warn_ratelimited("vNIC %#llx: malformed control message dropped\n",
			    vnic->resource_id);
}

/**
 * xsethgw_vnic_alloc() - a configured vNIC, without connections
 * @port: the card port it goes out of
 * @resource_id: its resource id
 *
 * Return: the vNIC with one reference (configfs's), or NULL.
 */
struct xsethgw_vnic *xsethgw_vnic_alloc(struct xsethgw_port *port,
					u64 resource_id)
{
	struct xsethgw_vnic *vnic;
	unsigned int i;

	vnic = kzalloc(sizeof(*vnic), GFP_KERNEL);
	if (!vnic)
		return NULL;
	kref_init(&vnic->ref);
	vnic->port = port;
	vnic->resource_id = resource_id;
	vnic->mtu = ETH_DATA_LEN;
	INIT_LIST_HEAD(&vnic->node);
	mutex_init(&vnic->lock);
	spin_lock_init(&vnic->filter_lock);
	INIT_DELAYED_WORK(&vnic->work, xsethgw_vnic_work);
	atomic64_set(&vnic->frames_to_host, 0);
	atomic64_set(&vnic->frames_from_host, 0);
	atomic64_set(&vnic->gso_from_host, 0);
	for (i = 0; i < XSETHGW_DROP_COUNT; i++)
		atomic64_set(&vnic->drops[i], 0);
	return vnic;
}

/**
 * xsethgw_vnic_remove() - the configuration deleted the vNIC
 * @vnic: the vNIC, on its port's list
 *
 * Its connections close; configfs's reference goes with the caller's
 * config_item_put().
 */
void xsethgw_vnic_remove(struct xsethgw_vnic *vnic)
{
	struct xsethgw_port *port = vnic->port;

	mutex_lock(&port->lock);
	list_del_rcu(&vnic->node);
	mutex_unlock(&port->lock);
	mutex_lock(&vnic->lock);
	vnic->removed = true;
	mutex_unlock(&vnic->lock);
	xsethgw_vnic_drop(vnic, "deleted by the director");
	cancel_delayed_work_sync(&vnic->work);
	/* The rx_handler may still be looking at it. */
	synchronize_rcu();
}
