// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsvhba: Xsigo virtual HBA driver.
 *
 * Binds to the "xscore.vhba" auxiliary devices that xscore creates for each
 * virtual HBA installed on this server; each becomes a SCSI host.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>

#include <xsigo/xscore.h>

#include "compat.h"

static int xsvhba_probe(struct auxiliary_device *adev,
			const struct auxiliary_device_id *id)
{
	dev_info(&adev->dev, "bound\n");
	return 0;
}

static void xsvhba_remove(struct auxiliary_device *adev)
{
	dev_info(&adev->dev, "unbound\n");
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
module_auxiliary_driver(xsvhba_driver);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo virtual HBA over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
/* No symbol of xscore is used yet; until one is, say so for modprobe. */
MODULE_SOFTDEP("pre: xscore");
