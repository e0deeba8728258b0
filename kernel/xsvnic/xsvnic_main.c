// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsvnic: Xsigo virtual NIC driver.
 *
 * Binds to the "xscore.vnic" auxiliary devices that xscore creates for each
 * virtual NIC installed on this server; each becomes a network interface.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>

#include <xsigo/xscore.h>

#include "compat.h"

static int xsvnic_probe(struct auxiliary_device *adev,
			const struct auxiliary_device_id *id)
{
	dev_info(&adev->dev, "bound\n");
	return 0;
}

static void xsvnic_remove(struct auxiliary_device *adev)
{
	dev_info(&adev->dev, "unbound\n");
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
module_auxiliary_driver(xsvnic_driver);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo virtual NIC over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
/* No symbol of xscore is used yet; until one is, say so for modprobe. */
MODULE_SOFTDEP("pre: xscore");
