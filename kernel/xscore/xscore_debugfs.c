// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * debugfs view of xscore's internals, for developers and tests:
 * <debugfs>/xscore/<device>/port<N>/discovery
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "xscore_priv.h"

static struct dentry *xscore_debugfs_root;

static int xscore_discovery_show(struct seq_file *m, void *unused)
{
	struct xscore_port *port = m->private;
	struct xscore_link *link;
	unsigned int i;

	mutex_lock(&port->lock);
	seq_printf(m, "port_state: %s\n",
		   xscore_port_state_name(READ_ONCE(port->state)));
	seq_printf(m, "fabric_services: %pI6\n", port->fabric_services.raw);
	seq_printf(m, "xds: %pI6\n", port->xds_gid.raw);
	seq_printf(m, "xcms: %u\n", port->num_xcms);
	for (i = 0; i < port->num_xcms; i++)
		seq_printf(m, "xcm: %016llx\n", port->xcm_guids[i]);
	seq_printf(m, "last_error: %d\n", port->last_discovery_error);
	seq_printf(m, "malformed: %llu\n", port->stats.malformed);
	seq_printf(m, "untrusted: %llu\n", port->stats.untrusted);
	seq_printf(m, "discovery_failures: %llu\n",
		   port->stats.discovery_failures);
	seq_printf(m, "mode: %s\n", port->ud ? "solicitation" :
		   port->mad_agent ? "service-record" : "off");
	list_for_each_entry(link, &port->links, node)
		seq_printf(m, "link: %s\n", dev_name(&link->dev));
	mutex_unlock(&port->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xscore_discovery);

void xscore_debugfs_add_device(struct xscore_device *xdev)
{
	struct dentry *dir;
	char name[16];
	u32 port_num;

	xdev->debugfs = debugfs_create_dir(dev_name(&xdev->ibdev->dev),
					   xscore_debugfs_root);
	rdma_for_each_port(xdev->ibdev, port_num) {
		snprintf(name, sizeof(name), "port%u", port_num);
		dir = debugfs_create_dir(name, xdev->debugfs);
		debugfs_create_file("discovery", 0400, dir,
				    xscore_port(xdev, port_num),
				    &xscore_discovery_fops);
	}
}

void xscore_debugfs_remove_device(struct xscore_device *xdev)
{
	/* Waits for readers that are inside a show function. */
	debugfs_remove_recursive(xdev->debugfs);
}

void xscore_debugfs_init(void)
{
	xscore_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void xscore_debugfs_exit(void)
{
	debugfs_remove_recursive(xscore_debugfs_root);
}

/*
 * Made again under the device's new name (debugfs_rename() became
 * debugfs_change_name() in 6.14: this way needs neither).  Called by the
 * ib_client's rename, which neither add nor remove of the device can run
 * beside.
 */
void xscore_debugfs_rename_device(struct xscore_device *xdev)
{
	xscore_debugfs_remove_device(xdev);
	xscore_debugfs_add_device(xdev);
}
