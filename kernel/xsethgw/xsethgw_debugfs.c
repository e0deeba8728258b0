// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * debugfs, for tests: <debugfs>/xsethgw/<port>/send, where a test writes
 * "<resource id, hex> ctrl|data <message, hex>" to have the card send a
 * connected vNIC's host those bytes as they are.  It is how the fuzz
 * campaign plays a hostile card to a host's xsvnic (xsfuzz,
 * tests/vm/test_xsvnic.py).  Nothing here is read by the card itself.
 */
#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "xsethgw.h"

/* A hex message of a whole send buffer, and the words before it. */
#define XSETHGW_SEND_TEXT	(2 * XSETHGW_FRAME_BUF + 64)

static struct dentry *xsethgw_debugfs_root;

static int xsethgw_debug_send(struct xsethgw_port *port, u64 rid, bool ctrl,
			      const char *hex)
{
	struct xsethgw_vnic *vnic = xsethgw_port_find_vnic(port, rid);
	struct xscore_conn *conn;
	int ret = -ENOTCONN;

	if (!vnic)
		return -ENOENT;
	mutex_lock(&vnic->lock);
	conn = ctrl ? vnic->ctrl :
	       rcu_dereference_protected(vnic->data,
					 lockdep_is_held(&vnic->lock));
	if (conn)
		ret = xscore_conn_send_hex(conn, hex);
	mutex_unlock(&vnic->lock);
	xsethgw_vnic_put(vnic);
	return ret;
}

static ssize_t xsethgw_send_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct xsethgw_port *port = file->private_data;
	char kind[5], *text;
	int off = 0, ret = -EINVAL;
	u64 rid;

	if (count > XSETHGW_SEND_TEXT)
		return -EMSGSIZE;
	text = memdup_user_nul(ubuf, count);
	if (IS_ERR(text))
		return PTR_ERR(text);
	if (sscanf(text, "%llx %4s %n", &rid, kind, &off) == 2 && off &&
	    (!strcmp(kind, "ctrl") || !strcmp(kind, "data")))
		ret = xsethgw_debug_send(port, rid, !strcmp(kind, "ctrl"),
					 strim(text + off));
	kfree(text);
	return ret ? ret : count;
}

static const struct file_operations xsethgw_send_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= xsethgw_send_write,
	.llseek	= noop_llseek,
};

void xsethgw_debugfs_add(struct xsethgw_port *port, const char *name)
{
	port->debugfs = debugfs_create_dir(name, xsethgw_debugfs_root);
	debugfs_create_file("send", 0200, port->debugfs, port,
			    &xsethgw_send_fops);
}

void xsethgw_debugfs_remove(struct xsethgw_port *port)
{
	debugfs_remove_recursive(port->debugfs);
	port->debugfs = NULL;
}

void xsethgw_debugfs_init(void)
{
	xsethgw_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void xsethgw_debugfs_exit(void)
{
	debugfs_remove_recursive(xsethgw_debugfs_root);
}
