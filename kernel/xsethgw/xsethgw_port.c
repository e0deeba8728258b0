// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A card port: its rdma_cm listener at [address]:4097, its uplink (our
 * rx_handler on it, a reference, carrier), and the link state its vNICs
 * are told: up while the operator has not set it down and the uplink is
 * running with carrier.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/rtnetlink.h>
#include <rdma/ib_cm.h>

#include "xsethgw.h"

#define XSETHGW_BACKLOG	16

/**
 * xsethgw_port_name() - the port's name, as configfs and the log show it
 * @port: the port
 *
 * Return: its configfs directory's name.
 */
const char *xsethgw_port_name(const struct xsethgw_port *port)
{
	return config_item_name((struct config_item *)&port->group.cg_item);
}

/**
 * xsethgw_port_find_vnic() - the configured vNIC with a resource id
 * @port: the port
 * @resource_id: the id a connection request names
 *
 * Return: the vNIC with a reference the caller puts, or NULL.
 */
struct xsethgw_vnic *xsethgw_port_find_vnic(struct xsethgw_port *port,
					    u64 resource_id)
{
	struct xsethgw_vnic *vnic, *found = NULL;

	mutex_lock(&port->lock);
	list_for_each_entry(vnic, &port->vnics, node) {
		if (vnic->resource_id == resource_id) {
			xsethgw_vnic_get(vnic);
			found = vnic;
			break;
		}
	}
	mutex_unlock(&port->lock);
	return found;
}

/**
 * xsethgw_port_update_link() - recompute the link and tell the vNICs
 * @port: the port
 */
void xsethgw_port_update_link(struct xsethgw_port *port)
{
	struct net_device *dev = rtnl_dereference(port->uplink);
	struct xsethgw_vnic *vnic;
	bool up;

	ASSERT_RTNL();
	up = port->admin_up && dev && netif_running(dev) &&
	     netif_carrier_ok(dev);
	if (up == port->link_up)
		return;
	WRITE_ONCE(port->link_up, up);
	pr_info("port %s link %s\n", xsethgw_port_name(port),
		up ? "up" : "down");
	mutex_lock(&port->lock);
	list_for_each_entry(vnic, &port->vnics, node)
		xsethgw_vnic_send_link(vnic, up);
	mutex_unlock(&port->lock);
}

static int xsethgw_refuse(struct xsethgw_port *port, struct rdma_cm_id *id,
			  const char *why, u64 resource_id)
{
	atomic64_inc(&port->refused);
	pr_info_ratelimited("port %s: connection request for %#llx refused: %s\n",
			    xsethgw_port_name(port), resource_id, why);
	rdma_reject(id, NULL, 0, IB_CM_REJ_CONSUMER_DEFINED);
	/* Non-zero: the CM destroys the new id. */
	return -ECONNREFUSED;
}

/* A host's connection request, from the port's listener (xsconn). */
static int xsethgw_connect_request(void *context, struct rdma_cm_id *id,
				   const struct rdma_conn_param *param)
{
	struct xsethgw_port *port = context;
	struct xsvnic_cm_private_data pdata;
	struct xsethgw_vnic *vnic;
	u64 resource_id;
	u16 qp_type;
	u32 flags;
	int ret;

	if (!param->private_data || param->private_data_len < sizeof(pdata))
		return xsethgw_refuse(port, id, "no private data", 0);
	memcpy(&pdata, param->private_data, sizeof(pdata));
	resource_id = be64_to_cpu(pdata.vid);
	qp_type = be16_to_cpu(pdata.qp_type);
	if (qp_type != XSVNIC_QP_TYPE_CONTROL && qp_type != XSVNIC_QP_TYPE_DATA)
		return xsethgw_refuse(port, id, "unknown connection type",
				      resource_id);
	/* TSO on data is the one offload negotiated (docs/wire-deviations.md). */
	flags = be32_to_cpu(pdata.data_qp_type);
	if ((flags & ~XSVNIC_DATA_QP_FLAG_TSO) ||
	    (flags && qp_type != XSVNIC_QP_TYPE_DATA))
		return xsethgw_refuse(port, id, "offloads asked for",
				      resource_id);
	vnic = xsethgw_port_find_vnic(port, resource_id);
	if (!vnic)
		return xsethgw_refuse(port, id, "not configured", resource_id);
	ret = xsethgw_vnic_attach(vnic, id, param,
				  qp_type == XSVNIC_QP_TYPE_DATA, flags);
	xsethgw_vnic_put(vnic);
	if (ret == -EACCES)
		return xsethgw_refuse(port, id,
				      "not from the host that installed it",
				      resource_id);
	if (ret == -EAGAIN)
		return xsethgw_refuse(port, id, "its host not bound yet",
				      resource_id);
	if (ret)
		return xsethgw_refuse(port, id, "accept failed", resource_id);
	return 0;
}

static void xsethgw_port_detach_uplink(struct xsethgw_port *port)
{
	struct net_device *dev = rtnl_dereference(port->uplink);
	struct xsethgw_vnic *vnic;

	ASSERT_RTNL();
	if (!dev)
		return;
	netdev_rx_handler_unregister(dev);
	RCU_INIT_POINTER(port->uplink, NULL);
	mutex_lock(&port->lock);
	list_for_each_entry(vnic, &port->vnics, node)
		xsethgw_vnic_sync_uplink(vnic);
	mutex_unlock(&port->lock);
	netdev_put(dev, &port->uplink_tracker);
	pr_info("port %s: uplink %s detached\n", xsethgw_port_name(port),
		dev->name);
}

static int xsethgw_port_attach_uplink(struct xsethgw_port *port)
{
	struct net_device *dev;
	int ret;

	ASSERT_RTNL();
	dev = __dev_get_by_name(&init_net, port->uplink_name);
	if (!dev)
		return -ENODEV;
	if (dev->type != ARPHRD_ETHER || dev->flags & IFF_LOOPBACK)
		return -EINVAL;
	ret = netdev_rx_handler_register(dev, xsethgw_handle_frame, port);
	if (ret)
		return ret;
	netdev_hold(dev, &port->uplink_tracker, GFP_KERNEL);
	rcu_assign_pointer(port->uplink, dev);
	return 0;
}

/**
 * xsethgw_port_enable() - attach the uplink and listen for hosts
 * @port: the port, with its uplink name and address set
 *
 * Called under xsethgw_cfg_mutex.
 *
 * Return: 0, or why the port cannot serve.
 */
int xsethgw_port_enable(struct xsethgw_port *port)
{
	struct xscore_conn_listener *listener;
	int ret;

	lockdep_assert_held(&xsethgw_cfg_mutex);
	if (port->enabled)
		return 0;
	if (!port->uplink_name[0] || port->addr.sin6_family != AF_INET6)
		return -EINVAL;
	rtnl_lock();
	ret = xsethgw_port_attach_uplink(port);
	if (!ret)
		xsethgw_port_update_link(port);
	rtnl_unlock();
	if (ret)
		return ret;

	listener = xscore_conn_listen(&port->addr, XSETHGW_BACKLOG,
				      xsethgw_connect_request, port);
	if (IS_ERR(listener)) {
		ret = PTR_ERR(listener);
		goto detach;
	}
	mutex_lock(&port->lock);
	port->listener = listener;
	mutex_unlock(&port->lock);
	port->enabled = true;
	pr_info("port %s on %s listening at [%pI6c]:%u\n",
		xsethgw_port_name(port), port->uplink_name,
		&port->addr.sin6_addr, ntohs(port->addr.sin6_port));
	return 0;

detach:
	rtnl_lock();
	xsethgw_port_detach_uplink(port);
	xsethgw_port_update_link(port);
	rtnl_unlock();
	return ret;
}

/**
 * xsethgw_port_disable() - stop listening, close every vNIC's connections
 * @port: the port
 *
 * Called under xsethgw_cfg_mutex; the vNICs stay configured.
 */
void xsethgw_port_disable(struct xsethgw_port *port)
{
	struct xsethgw_vnic *vnic, **vnics;
	struct xscore_conn_listener *listener;
	unsigned int n = 0, i;

	lockdep_assert_held(&xsethgw_cfg_mutex);
	if (!port->enabled)
		return;
	mutex_lock(&port->lock);
	listener = port->listener;
	port->listener = NULL;
	mutex_unlock(&port->lock);
	/* Waits for connection requests being handled; none comes after. */
	xscore_conn_unlisten(listener);

	mutex_lock(&port->lock);
	list_for_each_entry(vnic, &port->vnics, node)
		n++;
	vnics = kcalloc(n, sizeof(*vnics), GFP_KERNEL);
	i = 0;
	list_for_each_entry(vnic, &port->vnics, node) {
		if (!vnics)
			break;
		xsethgw_vnic_get(vnic);
		vnics[i++] = vnic;
	}
	mutex_unlock(&port->lock);
	for (n = i, i = 0; i < n; i++) {
		xsethgw_vnic_drop(vnics[i], "card stopping");
		xsethgw_vnic_put(vnics[i]);
	}
	kfree(vnics);

	rtnl_lock();
	xsethgw_port_detach_uplink(port);
	xsethgw_port_update_link(port);
	rtnl_unlock();
	port->enabled = false;
	pr_info("port %s stopped\n", xsethgw_port_name(port));
}

static int xsethgw_netdev_event(struct notifier_block *nb,
				unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct xsethgw_port *port;

	if (rcu_access_pointer(dev->rx_handler) != xsethgw_handle_frame)
		return NOTIFY_DONE;
	port = rtnl_dereference(dev->rx_handler_data);
	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		xsethgw_port_update_link(port);
		break;
	case NETDEV_UNREGISTER:
		xsethgw_port_detach_uplink(port);
		xsethgw_port_update_link(port);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block xsethgw_netdev_notifier = {
	.notifier_call = xsethgw_netdev_event,
};

/**
 * xsethgw_netdev_notifier_init() - follow the uplinks' state
 *
 * Return: 0, or register_netdevice_notifier()'s error.
 */
int xsethgw_netdev_notifier_init(void)
{
	return register_netdevice_notifier(&xsethgw_netdev_notifier);
}

/**
 * xsethgw_netdev_notifier_exit() - stop following them
 */
void xsethgw_netdev_notifier_exit(void)
{
	unregister_netdevice_notifier(&xsethgw_netdev_notifier);
}
