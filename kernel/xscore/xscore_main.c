// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xscore: core services for Xsigo virtual I/O over RDMA.
 *
 * This file holds the module's lifecycle and its ib_client: xscore learns
 * of every RDMA device, keeps a reference-counted record of it and of its
 * ports, and follows port state through the device's asynchronous events.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "xscore_priv.h"

static struct ib_client xscore_client;

static int xscore_add_one(struct ib_device *ibdev)
{
	u32 num_ports = rdma_end_port(ibdev) - rdma_start_port(ibdev) + 1;
	struct xscore_device *xdev;
	u32 port_num;

	xdev = kzalloc(struct_size(xdev, ports, num_ports), GFP_KERNEL);
	if (!xdev)
		return -ENOMEM;

	xdev->ibdev = ibdev;
	xdev->num_ports = num_ports;
	rdma_for_each_port(ibdev, port_num)
		xscore_port_init(xdev, port_num);

	pr_info("%s: tracking %u port(s)\n", dev_name(&ibdev->dev), num_ports);

	/* Listen first, then ask: no change can fall between the two. */
	INIT_IB_EVENT_HANDLER(&xdev->event_handler, ibdev, xscore_port_event);
	ib_register_event_handler(&xdev->event_handler);
	rdma_for_each_port(ibdev, port_num)
		xscore_port_query(xscore_port(xdev, port_num));

	ib_set_client_data(ibdev, &xscore_client, xdev);

	rdma_for_each_port(ibdev, port_num) {
		struct xscore_port *port = xscore_port(xdev, port_num);
		int ret = xscore_discovery_start(port);

		/* A port without discovery still counts; the others go on. */
		if (ret)
			pr_warn("%s: port %u: no discovery (%d)\n",
				dev_name(&ibdev->dev), port_num, ret);
		ret = xscore_port_add_sysfs(port);
		if (ret)
			pr_warn("%s: port %u: no trust settings in sysfs (%d)\n",
				dev_name(&ibdev->dev), port_num, ret);
	}
	xscore_debugfs_add_device(xdev);
	return 0;
}

static void xscore_remove_one(struct ib_device *ibdev, void *client_data)
{
	struct xscore_device *xdev = client_data;
	u32 port_num;

	xscore_debugfs_remove_device(xdev);
	rdma_for_each_port(ibdev, port_num) {
		xscore_port_remove_sysfs(xscore_port(xdev, port_num));
		xscore_discovery_stop(xscore_port(xdev, port_num));
	}

	/* No event may reach the ports once they are gone. */
	ib_unregister_event_handler(&xdev->event_handler);
	pr_info("%s: released\n", dev_name(&ibdev->dev));
	/* Its links, which point at its ports, went with discovery. */
	kfree(xdev);
}

/*
 * Link names embed the RDMA device's name (`rdma dev set <dev> name <new>`).
 * The RDMA core calls this after renaming the device, holding its device
 * list and client data locks for reading: neither add nor remove of this
 * device runs meanwhile, so client_data is ours and alive.  Each port's
 * links are renamed under the port's lock (xscore_port_rename()).
 */
static void xscore_rename_one(struct ib_device *ibdev, void *client_data)
{
	struct xscore_device *xdev = client_data;
	u32 port_num;

	rdma_for_each_port(ibdev, port_num)
		xscore_port_rename(xscore_port(xdev, port_num));
	xscore_debugfs_rename_device(xdev);
	pr_info("%s: renamed\n", dev_name(&ibdev->dev));
}

static struct ib_client xscore_client = {
	.name	= "xscore",
	.add	= xscore_add_one,
	.remove	= xscore_remove_one,
	.rename	= xscore_rename_one,
};

static int __init xscore_init(void)
{
	int ret;

	ret = xscore_auth_init();
	if (ret)
		return ret;
	ret = class_register(&xscore_link_class);
	if (ret)
		goto auth_exit;
	ret = class_register(&xscore_port_class);
	if (ret)
		goto unregister_link_class;
	xscore_debugfs_init();
	ret = ib_register_client(&xscore_client);
	if (ret)
		goto unwind;
	return 0;

unwind:
	xscore_debugfs_exit();
	class_unregister(&xscore_port_class);
unregister_link_class:
	class_unregister(&xscore_link_class);
auth_exit:
	xscore_auth_exit();
	return ret;
}

static void __exit xscore_exit(void)
{
	ib_unregister_client(&xscore_client);
	xscore_debugfs_exit();
	class_unregister(&xscore_port_class);
	class_unregister(&xscore_link_class);
	xscore_auth_exit();
}

module_init(xscore_init);
module_exit(xscore_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo virtual I/O core services over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
/* The session proofs: CONFIG_CRYPTO_HMAC and CONFIG_CRYPTO_SHA256. */
MODULE_SOFTDEP("pre: hmac sha256");
