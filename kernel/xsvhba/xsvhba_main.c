// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsvhba: Xsigo virtual HBA driver.
 *
 * Binds to the "xscore.vhba" auxiliary devices that xscore creates for each
 * virtual HBA an XCM installs on this server; each becomes a SCSI host.
 * Until the data path lands, binding takes the device: the INSTALL is
 * acknowledged and the XCM's later messages about the device are logged.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>

#include <xsigo/xscore.h>

#include "compat.h"

static void xsvhba_message(struct xscore_vdev *vdev, const void *obj)
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

static void xsvhba_link_event(struct xscore_vdev *vdev,
			      enum xscore_link_event event)
{
	dev_dbg(&vdev->adev.dev, "link %s\n",
		event == XSCORE_LINK_EVENT_UP ? "up" : "down");
}

static const struct xscore_vdev_ops xsvhba_vdev_ops = {
	.message	= xsvhba_message,
	.link_event	= xsvhba_link_event,
};

static int xsvhba_probe(struct auxiliary_device *adev,
			const struct auxiliary_device_id *id)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);
	u8 install[XSMP_VDEV_OBJECT_SIZE];

	xscore_vdev_set_ops(vdev, &xsvhba_vdev_ops);
	dev_info(&adev->dev, "%s (resource %llx) bound\n", vdev->name,
		 vdev->resource_id);
	/* Lost with a full send ring or a link down: the XCM installs again. */
	xscore_vdev_read_install(vdev, install);
	xscore_vdev_answer(vdev, install, XSMP_VDEV_CODE_ACK);
	return 0;
}

static void xsvhba_remove(struct auxiliary_device *adev)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);

	xscore_vdev_set_ops(vdev, NULL);
	dev_info(&adev->dev, "%s unbound\n", vdev->name);
}

static const struct auxiliary_device_id xsvhba_id_table[] = {
	{ .name = XSCORE_AUXDEV_ID(XSCORE_AUXDEV_VHBA) },
	{}
};
MODULE_DEVICE_TABLE(auxiliary, xsvhba_id_table);

static struct auxiliary_driver xsvhba_driver = {
	.probe		= xsvhba_probe,
	.remove		= xsvhba_remove,
	.id_table	= xsvhba_id_table,
};

static int __init xsvhba_init(void)
{
	int ret;

	ret = auxiliary_driver_register(&xsvhba_driver);
	if (ret)
		return ret;
	xscore_service_register(XSMP_RESOURCE_VHBA);
	return 0;
}

static void __exit xsvhba_exit(void)
{
	xscore_service_unregister(XSMP_RESOURCE_VHBA);
	auxiliary_driver_unregister(&xsvhba_driver);
}

module_init(xsvhba_init);
module_exit(xsvhba_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo virtual HBA over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
