// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsvnic: Xsigo virtual NIC driver.
 *
 * Binds to the "xscore.vnic" auxiliary devices that xscore creates for each
 * virtual NIC an XCM installs on this server; each becomes a network interface.
 * Until the data path lands, binding takes the device: the INSTALL is
 * acknowledged and the XCM's later messages about the device are logged.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>

#include <xsigo/xscore.h>

#include "compat.h"

static void xsvnic_message(struct xscore_vdev *vdev, const void *obj)
{
	const struct xsmp_vdev_object_header *hdr = obj;

	/* After a reconnect the XCM installs what exists again. */
	if (hdr->type == XSMP_VDEV_MSG_TYPE_INSTALL) {
		xscore_vdev_answer(vdev, obj, XSMP_VDEV_CODE_ACK);
		return;
	}
	dev_dbg(&vdev->adev.dev, "message type %u not handled yet\n",
		hdr->type);
}

static void xsvnic_link_event(struct xscore_vdev *vdev,
			      enum xscore_link_event event)
{
	dev_dbg(&vdev->adev.dev, "link %s\n",
		event == XSCORE_LINK_EVENT_UP ? "up" : "down");
}

static const struct xscore_vdev_ops xsvnic_vdev_ops = {
	.message	= xsvnic_message,
	.link_event	= xsvnic_link_event,
};

static int xsvnic_probe(struct auxiliary_device *adev,
			const struct auxiliary_device_id *id)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);
	u8 install[XSMP_VDEV_OBJECT_SIZE];

	xscore_vdev_set_ops(vdev, &xsvnic_vdev_ops);
	dev_info(&adev->dev, "%s (resource %llx) bound\n", vdev->name,
		 vdev->resource_id);
	/* Lost with a full send ring or a link down: the XCM installs again. */
	xscore_vdev_read_install(vdev, install);
	xscore_vdev_answer(vdev, install, XSMP_VDEV_CODE_ACK);
	return 0;
}

static void xsvnic_remove(struct auxiliary_device *adev)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);

	xscore_vdev_set_ops(vdev, NULL);
	dev_info(&adev->dev, "%s unbound\n", vdev->name);
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

	ret = auxiliary_driver_register(&xsvnic_driver);
	if (ret)
		return ret;
	xscore_service_register(XSMP_RESOURCE_VNIC);
	return 0;
}

static void __exit xsvnic_exit(void)
{
	xscore_service_unregister(XSMP_RESOURCE_VNIC);
	auxiliary_driver_unregister(&xsvnic_driver);
}

module_init(xsvnic_init);
module_exit(xsvnic_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo virtual NIC over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
