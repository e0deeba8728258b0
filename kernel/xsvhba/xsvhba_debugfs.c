// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * debugfs view of a vHBA's internals, for developers and tests:
 * <debugfs>/xsvhba/<vHBA name>/dma_mapped, the commands whose data is
 * mapped for the card (zero once none is in flight: every mapping is
 * undone exactly once); inject, where a test writes "<kind> <loop id>" to
 * send the card one kind of bad input (xsvhba_inject()); refusals, what
 * the card sent that was refused, "<reason> <count>" per line, every
 * reason xsvhba_check.h names (the fuzz campaign reads it).
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "xsvhba.h"

static struct dentry *xsvhba_debugfs_root;

static ssize_t xsvhba_inject_write(struct file *file, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	struct xsvhba *vhba = file->private_data;
	char text[32], kind[20];
	unsigned int loop_id = 0;
	int ret;

	if (count >= sizeof(text))
		return -EINVAL;
	if (copy_from_user(text, buf, count))
		return -EFAULT;
	text[count] = '\0';
	if (sscanf(text, "%19s %i", kind, &loop_id) < 1 || loop_id > U16_MAX)
		return -EINVAL;
	ret = xsvhba_inject(vhba, kind, loop_id);
	return ret ? ret : count;
}

static const struct file_operations xsvhba_inject_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= xsvhba_inject_write,
	.llseek	= noop_llseek,
};

static int xsvhba_refusals_show(struct seq_file *m, void *unused)
{
	struct xsvhba *vhba = m->private;
	u64 refused[XSVHBA_CHECK_REASONS];
	unsigned int i;

	spin_lock_bh(&vhba->lock);
	memcpy(refused, vhba->refused, sizeof(refused));
	spin_unlock_bh(&vhba->lock);
	for (i = XSVHBA_CHECK_OK + 1; i < XSVHBA_CHECK_REASONS; i++)
		seq_printf(m, "%s %llu\n", xsvhba_check_name(i), refused[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(xsvhba_refusals);

void xsvhba_debugfs_add(struct xsvhba *vhba)
{
	vhba->debugfs = debugfs_create_dir(vhba->vdev->name,
					   xsvhba_debugfs_root);
	debugfs_create_atomic_t("dma_mapped", 0444, vhba->debugfs,
				&vhba->dma_mapped);
	debugfs_create_file("inject", 0200, vhba->debugfs, vhba,
			    &xsvhba_inject_fops);
	debugfs_create_file("refusals", 0444, vhba->debugfs, vhba,
			    &xsvhba_refusals_fops);
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
