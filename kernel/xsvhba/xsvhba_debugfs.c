// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * debugfs view of a vHBA's internals, for developers and tests:
 * <debugfs>/xsvhba/<vHBA name>/dma_mapped, the commands whose data is
 * mapped for the card (zero once none is in flight: every mapping is
 * undone exactly once).
 */
#include <linux/debugfs.h>

#include "xsvhba.h"

static struct dentry *xsvhba_debugfs_root;

void xsvhba_debugfs_add(struct xsvhba *vhba)
{
	vhba->debugfs = debugfs_create_dir(vhba->vdev->name,
					   xsvhba_debugfs_root);
	debugfs_create_atomic_t("dma_mapped", 0444, vhba->debugfs,
				&vhba->dma_mapped);
}

void xsvhba_debugfs_remove(struct xsvhba *vhba)
{
	debugfs_remove_recursive(vhba->debugfs);
	vhba->debugfs = NULL;
}

void xsvhba_debugfs_init(void)
{
	xsvhba_debugfs_root = debugfs_create_dir("xsvhba", NULL);
}

void xsvhba_debugfs_exit(void)
{
	debugfs_remove_recursive(xsvhba_debugfs_root);
}
