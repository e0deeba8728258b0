// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * debugfs, for tests: <debugfs>/xsvnic/<vNIC name>/send, where a test
 * writes "ctrl|data <message, hex>" to have the vNIC send its card those
 * bytes as they are (a data message with TSO negotiated begins with the
 * prefix).  It is how the fuzz campaign plays a hostile host to the
 * Ethernet card (xsfuzz, tests/vm/test_xsvnic.py).
 */
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "xsvnic.h"

/* A hex message of a whole jumbo frame, and the word before it. */
#define XSVNIC_SEND_TEXT	(2 * (XSVNIC_MAX_MTU + XSVNIC_FRAME_OVERHEAD) + 16)

static struct dentry *xsvnic_debugfs_root;

static ssize_t xsvnic_send_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct xsvnic *vnic = file->private_data;
	char kind[5], *text;
	int off = 0, ret = -EINVAL;

	if (count > XSVNIC_SEND_TEXT)
		return -EMSGSIZE;
	text = memdup_user_nul(ubuf, count);
	if (IS_ERR(text))
		return PTR_ERR(text);
	if (sscanf(text, "%4s %n", kind, &off) == 1 && off &&
	    (!strcmp(kind, "ctrl") || !strcmp(kind, "data")))
		ret = xscore_conn_send_hex(strcmp(kind, "ctrl") ? vnic->data :
					   vnic->ctrl, strim(text + off));
	kfree(text);
	return ret ? ret : count;
}

static const struct file_operations xsvnic_send_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= xsvnic_send_write,
	.llseek	= noop_llseek,
};

void xsvnic_debugfs_add(struct xsvnic *vnic)
{
	vnic->debugfs = debugfs_create_dir(vnic->vdev->name,
					   xsvnic_debugfs_root);
	debugfs_create_file("send", 0200, vnic->debugfs, vnic,
			    &xsvnic_send_fops);
}

void xsvnic_debugfs_remove(struct xsvnic *vnic)
{
	debugfs_remove_recursive(vnic->debugfs);
	vnic->debugfs = NULL;
}

void xsvnic_debugfs_init(void)
{
	xsvnic_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void xsvnic_debugfs_exit(void)
{
	debugfs_remove_recursive(xsvnic_debugfs_root);
}
