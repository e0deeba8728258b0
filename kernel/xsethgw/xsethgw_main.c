// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsethgw's lifecycle: the configfs tree through which the director's
 * control plane configures ports and vNICs, and the netdevice notifier
 * that follows the uplinks.
 */
#include <linux/module.h>

#include "xsethgw.h"

static int __init xsethgw_init(void)
{
	int ret;

	ret = xsethgw_netdev_notifier_init();
	if (ret)
		return ret;
	xsethgw_debugfs_init();
	ret = xsethgw_configfs_init();
	if (ret)
		goto debugfs;
	return 0;

debugfs:
	xsethgw_debugfs_exit();
	xsethgw_netdev_notifier_exit();
	return ret;
}

static void __exit xsethgw_exit(void)
{
	xsethgw_configfs_exit();
	xsethgw_debugfs_exit();
	xsethgw_netdev_notifier_exit();
}

module_init(xsethgw_init);
module_exit(xsethgw_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo Ethernet I/O card gateway: host vNICs bridged to an uplink");
MODULE_LICENSE("Dual BSD/GPL");
