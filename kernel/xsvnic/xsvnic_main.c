// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsvnic: Xsigo virtual NIC driver.
 *
 * Binds to the "xscore.vnic" auxiliary devices that xscore creates for each
 * virtual NIC an XCM installs on this server and makes each a network
 * interface named, addressed and sized as the INSTALL object says.  Here:
 * the auxiliary driver and the XCM's messages about the vNIC.
 */
#include <linux/auxiliary_bus.h>
#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>

#include "compat.h"
#include "xsvnic.h"
#include "xsvnic_check.h"

#define XSVNIC_DATA_RING_MIN	32
#define XSVNIC_DATA_RING_MAX	2048

static unsigned int data_ring = 128;

static int data_ring_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, XSVNIC_DATA_RING_MIN,
				     XSVNIC_DATA_RING_MAX);
}

static const struct kernel_param_ops data_ring_ops = {
	.set	= data_ring_set,
	.get	= param_get_uint,
};

module_param_cb(data_ring, &data_ring_ops, &data_ring, 0444);
MODULE_PARM_DESC(data_ring,
		 "Send and receive buffers of each vNIC's data connection (32-2048, default 128)");

/* OPER_UP or OPER_DOWN: the object with only type, length and id set. */
void xsvnic_report_oper(struct xsvnic *vnic, bool up)
{
	struct xsvnic_msg msg = {
		.type		= up ? XSMP_VDEV_MSG_TYPE_OPER_UP :
				  XSMP_VDEV_MSG_TYPE_OPER_DOWN,
		.length		= cpu_to_be16(sizeof(msg)),
		.resource_id	= cpu_to_be64(vnic->resource_id),
	};

	/* Lost with the link; the XCM asks again with OPER_REQ. */
	if (!xscore_vdev_send(vnic->vdev, &msg))
		vnic->oper_up = up;
}

/* What the XCM asks after: whether both card connections are up. */
static void xsvnic_report_state(struct xsvnic *vnic)
{
	mutex_lock(&vnic->session.mutex);
	xsvnic_report_oper(vnic, xsvnic_connected_to_card(vnic));
	mutex_unlock(&vnic->session.mutex);
}

/* The MAC travels byte-reversed in mac_high and mac_low. */
static void xsvnic_install_mac(const struct xsvnic_msg *msg, u8 *addr)
{
	u8 raw[ETH_ALEN];
	int i;

	memcpy(raw, &msg->mac_high, sizeof(msg->mac_high));
	memcpy(raw + sizeof(msg->mac_high), &msg->mac_low,
	       sizeof(msg->mac_low));
	for (i = 0; i < ETH_ALEN; i++)
		addr[i] = raw[ETH_ALEN - 1 - i];
}

static u8 xsvnic_update(struct xsvnic *vnic, const struct xsvnic_msg *msg)
{
	u32 bitmask = be32_to_cpu(msg->bitmask);
	struct net_device *dev = vnic->netdev;
	unsigned int mtu = be16_to_cpu(msg->vn_mtu);
	int ret = 0;

	/*
	 * A new MAC or I/O card is not taken over in place (the XCM deletes
	 * and installs): acknowledging it would leave the XCM believing the
	 * host follows.  Rate, QoS and the like are the card's business.
	 */
	if (bitmask & (XSVNIC_UPDATE_MAC | XSVNIC_UPDATE_TCA_INFO |
		       XSVNIC_UPDATE_XT_CHANGE))
		return XSMP_VDEV_CODE_NACK | XSVNIC_NACK_INVALID;
	/* The buffers were sized for the installed MTU: it is the limit. */
	if ((bitmask & XSVNIC_UPDATE_MTU) &&
	    (mtu < dev->min_mtu || mtu > dev->max_mtu))
		return XSMP_VDEV_CODE_NACK | XSVNIC_NACK_INVALID;

	rtnl_lock();
	if (bitmask & XSVNIC_UPDATE_MTU)
		ret = dev_set_mtu(dev, mtu);
	if (!ret && (bitmask & XSVNIC_UPDATE_ADMIN_STATE))
		ret = dev_change_flags(dev, be16_to_cpu(msg->admin_state) ?
				       dev->flags | IFF_UP :
				       dev->flags & ~IFF_UP, NULL);
	rtnl_unlock();
	if (ret)
		return XSMP_VDEV_CODE_NACK | XSVNIC_NACK_INVALID;
	return XSMP_VDEV_CODE_ACK;
}

/*
 * The XCM's STATS request: the interface's counters in the layout of the
 * original's sibling class XVE (struct xsvnic_stats), counted from the
 * last clear (a bitmask of 0 clears first).  Under the device's ops_lock,
 * which also guards the baseline.
 */
static void xsvnic_stats(struct xsvnic *vnic, const struct xsvnic_stats *req)
{
	struct xsvnic_stats msg = {
		.type		= XSVNIC_MSG_TYPE_STATS,
		.length		= cpu_to_be16(sizeof(msg)),
		.bitmask	= req->bitmask,
		.resource_id	= req->resource_id,
	};
	struct rtnl_link_stats64 now, *base = &vnic->stats_base;

	dev_get_stats(vnic->netdev, &now);
	if (!req->bitmask)
		*base = now;
	memcpy(msg.stats_handle, req->stats_handle, sizeof(msg.stats_handle));
	msg.rx_packets = cpu_to_le64(now.rx_packets - base->rx_packets);
	msg.rx_bytes = cpu_to_le64(now.rx_bytes - base->rx_bytes);
	msg.rx_errors = cpu_to_le64(now.rx_errors - base->rx_errors);
	msg.rx_drops = cpu_to_le64(now.rx_dropped - base->rx_dropped);
	msg.tx_packets = cpu_to_le64(now.tx_packets - base->tx_packets);
	msg.tx_bytes = cpu_to_le64(now.tx_bytes - base->tx_bytes);
	msg.tx_errors = cpu_to_le64(now.tx_errors - base->tx_errors);
	msg.tx_drops = cpu_to_le64(now.tx_dropped - base->tx_dropped);
	xscore_vdev_send(vnic->vdev, &msg);
}

static void xsvnic_message(struct xscore_vdev *vdev, const void *obj)
{
	struct xsvnic *vnic = dev_get_drvdata(&vdev->adev.dev);
	const struct xsvnic_msg *msg = obj;

	switch (msg->type) {
	case XSMP_VDEV_MSG_TYPE_INSTALL:
		/* After a reconnect the XCM installs what exists again. */
		xscore_vdev_answer(vdev, obj, XSMP_VDEV_CODE_ACK);
		fallthrough;
	case XSVNIC_MSG_TYPE_OPER_REQ:
		xsvnic_report_state(vnic);
		break;
	case XSVNIC_MSG_TYPE_STATS:
		xsvnic_stats(vnic, obj);
		break;
	case XSMP_VDEV_MSG_TYPE_UPDATE:
		xscore_vdev_answer(vdev, obj, xsvnic_update(vnic, msg));
		break;
	default:
		dev_dbg(&vdev->adev.dev, "message type %u ignored\n",
			msg->type);
		break;
	}
}

static void xsvnic_link_event(struct xscore_vdev *vdev,
			      enum xscore_link_event event)
{
	struct xsvnic *vnic = dev_get_drvdata(&vdev->adev.dev);

	/* The data path does not depend on the XCM; tell it the state. */
	if (event == XSCORE_LINK_EVENT_UP)
		xsvnic_report_state(vnic);
}

/* An interface that is up has users: a resync keeps it (xscore_vdev_ops). */
static bool xsvnic_busy(struct xscore_vdev *vdev)
{
	struct xsvnic *vnic = dev_get_drvdata(&vdev->adev.dev);

	return netif_running(vnic->netdev);
}

static const struct xscore_vdev_ops xsvnic_vdev_ops = {
	.message	= xsvnic_message,
	.link_event	= xsvnic_link_event,
	.busy		= xsvnic_busy,
};

/* Checks the INSTALL object; 0 or a NACK reason. */
static int xsvnic_check_install(const struct xsvnic_msg *msg, u8 *addr)
{
	unsigned int mtu = be16_to_cpu(msg->vn_mtu);

	xsvnic_install_mac(msg, addr);
	if (!is_valid_ether_addr(addr) || mtu < ETH_MIN_MTU ||
	    mtu > XSVNIC_MAX_MTU)
		return -EINVAL;
	return 0;
}

/* Where a VNIC object keeps what xscore reads of it (struct xscore_service). */
static const char *xsvnic_install_name(const void *install)
{
	const struct xsvnic_msg *msg = install;

	static_assert(sizeof(msg->vnic_name) == XSMP_VDEV_NAME_LEN);
	return msg->vnic_name;
}

static u64 xsvnic_card_guid(const void *install)
{
	const struct xsvnic_msg *msg = install;

	return be64_to_cpu(msg->tca_guid);
}

static bool xsvnic_same_device(const void *installed, const void *install)
{
	return xsvnic_check_reinstall(installed, install) == XSVNIC_CHECK_OK;
}

static const struct xscore_service xsvnic_service = {
	.msg_class	= XSMP_CLASS_VNIC,
	.resource	= XSMP_RESOURCE_VNIC,
	.nack_invalid	= XSVNIC_NACK_INVALID,
	.nack_limit	= XSVNIC_NACK_LIMIT,
	.nack_alloc	= XSVNIC_NACK_ALLOC,
	.install_name	= xsvnic_install_name,
	.card_guid	= xsvnic_card_guid,
	.same_device	= xsvnic_same_device,
};

static int xsvnic_probe(struct auxiliary_device *adev,
			const struct auxiliary_device_id *id)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);
	struct xsvnic_msg *msg;
	struct net_device *dev;
	struct xsvnic *vnic;
	u8 addr[ETH_ALEN];
	u8 nack = XSVNIC_NACK_INVALID;
	int ret;

	msg = kmalloc(sizeof(*msg), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	xscore_vdev_read_install(vdev, msg);
	ret = -EINVAL;
	if (!vdev->name[0]) {
		dev_warn(&adev->dev, "refused: no valid name\n");
		goto nack;
	}
	ret = xsvnic_check_install(msg, addr);
	if (ret) {
		dev_warn(&adev->dev, "%s: refused: bad MAC or MTU\n",
			 vdev->name);
		goto nack;
	}

	nack = XSVNIC_NACK_ALLOC;
	ret = -ENOMEM;
	dev = alloc_netdev(sizeof(*vnic), vdev->name, NET_NAME_USER,
			   xsvnic_netdev_setup);
	if (!dev)
		goto nack;
	SET_NETDEV_DEV(dev, &adev->dev);
	eth_hw_addr_set(dev, addr);
	dev->max_mtu = be16_to_cpu(msg->vn_mtu);
	dev->mtu = dev->max_mtu;

	vnic = netdev_priv(dev);
	vnic->netdev = dev;
	vnic->vdev = vdev;
	vnic->resource_id = vdev->resource_id;
	vnic->card_guid = be64_to_cpu(msg->tca_guid);
	vnic->data_ring = data_ring;
	if (be32_to_cpu(msg->install_flag) & XSVNIC_INSTALL_FLAG_TSO)
		xsvnic_netdev_offer_tso(vnic);
	spin_lock_init(&vnic->filter_lock);
	spin_lock_init(&vnic->lock);
	netif_napi_add(dev, &vnic->napi, xsvnic_napi_poll);
	netif_carrier_off(dev);

	ret = xsvnic_conns_init(vnic);
	if (ret)
		goto free_netdev;
	ret = register_netdev(dev);
	if (ret) {
		nack = ret == -EEXIST ? XSVNIC_NACK_DUP_NAME : XSVNIC_NACK_ALLOC;
		dev_warn(&adev->dev, "%s: cannot register: %d\n", vdev->name,
			 ret);
		goto cleanup;
	}
	dev_set_drvdata(&adev->dev, vnic);
	xsvnic_debugfs_add(vnic);
	xscore_vdev_set_ops(vdev, &xsvnic_vdev_ops);
	/* Lost with a full send ring or a link down: the XCM installs again. */
	xscore_vdev_answer(vdev, msg, XSMP_VDEV_CODE_ACK);
	netdev_info(dev, "vNIC %llx, MAC %pM, MTU %u, I/O card %016llx\n",
		    vnic->resource_id, dev->dev_addr, dev->max_mtu,
		    vnic->card_guid);
	xsvnic_kick(vnic);
	kfree(msg);
	return 0;

cleanup:
	xsvnic_conns_cleanup(vnic);
free_netdev:
	netif_napi_del(&vnic->napi);
	free_netdev(dev);
nack:
	xscore_vdev_answer(vdev, msg, XSMP_VDEV_CODE_NACK | nack);
	kfree(msg);
	return ret;
}

static void xsvnic_remove(struct auxiliary_device *adev)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);
	struct xsvnic *vnic = dev_get_drvdata(&adev->dev);
	struct net_device *dev = vnic->netdev;

	xscore_vdev_set_ops(vdev, NULL);
	xsvnic_debugfs_remove(vnic);
	xsvnic_stop(vnic);
	unregister_netdev(dev);
	/*
	 * The stack kicks the work until unregistered (closing the interface,
	 * dropping its filters); stopped, it did nothing.  No kick comes now.
	 */
	cancel_delayed_work_sync(&vnic->session.work);
	xsvnic_conns_cleanup(vnic);
	netif_napi_del(&vnic->napi);
	free_netdev(dev);
	dev_info(&adev->dev, "%s removed\n", vdev->name);
}

static const struct auxiliary_device_id xsvnic_id_table[] = {
	{ .name = XSCORE_AUXDEV_ID(XSCORE_AUXDEV_VNIC) },
	{}
};
MODULE_DEVICE_TABLE(auxiliary, xsvnic_id_table);

static struct auxiliary_driver xsvnic_driver = {
	.probe		= xsvnic_probe,
	.remove		= xsvnic_remove,
	.id_table	= xsvnic_id_table,
};

static int __init xsvnic_init(void)
{
	int ret;

	/* The service first: a device's name is known before it is probed. */
	ret = xscore_service_register(&xsvnic_service);
	if (ret)
		return ret;
	xsvnic_debugfs_init();
	ret = auxiliary_driver_register(&xsvnic_driver);
	if (ret) {
		xsvnic_debugfs_exit();
		xscore_service_unregister(&xsvnic_service);
	}
	return ret;
}

static void __exit xsvnic_exit(void)
{
	auxiliary_driver_unregister(&xsvnic_driver);
	xsvnic_debugfs_exit();
	xscore_service_unregister(&xsvnic_service);
}

module_init(xsvnic_init);
module_exit(xsvnic_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo virtual NIC over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
