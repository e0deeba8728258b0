// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * debugfs, for tests: <debugfs>/xsfcgw/<port>/send, where a test writes
 * "<resource id, hex> ctrl|data <message, hex>" to have the card send a
 * connected vHBA's host those bytes as they are, on its control or data
 * connection.  It is how the fuzz campaign plays a hostile card to a
 * host's xsvhba (xsfuzz, tests/vm/test_fuzz.py); "-" sends an empty
 * message.  Nothing here is read by the card itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "xsfcgw.h"

/* A hex message of a whole send buffer, and the words before it. */
#define XSFCGW_SEND_TEXT	(2 * XSFCGW_RX_SIZE + 64)

static struct dentry *xsfcgw_debugfs_root;

/* Send the vHBA of @rid @hex; caller holds port->mutex. */
static int xsfcgw_debug_send(struct xsfcgw_port *port, u64 rid, bool ctrl,
			     const char *hex)
{
	struct xsfcgw_vhba *vhba;

	lockdep_assert_held(&port->mutex);
	list_for_each_entry(vhba, &port->vhbas, node) {
		struct xscore_conn *conn = ctrl ? vhba->ctrl : vhba->data;

		if (vhba->resource_id != rid || vhba->closing || !conn)
			continue;
		return xscore_conn_send_hex(conn, hex);
	}
	return -ENOENT;
}

static ssize_t xsfcgw_send_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct xsfcgw_port *port = file->private_data;
	char kind[5], *text;
	int off = 0, ret;
	u64 rid;

	if (count > XSFCGW_SEND_TEXT)
		return -EMSGSIZE;
	text = memdup_user_nul(ubuf, count);
	if (IS_ERR(text))
		return PTR_ERR(text);
	ret = -EINVAL;
	if (sscanf(text, "%llx %4s %n", &rid, kind, &off) == 2 && off &&
	    (!strcmp(kind, "ctrl") || !strcmp(kind, "data"))) {
		mutex_lock(&port->mutex);
		ret = xsfcgw_debug_send(port, rid, !strcmp(kind, "ctrl"),
					strim(text + off));
		mutex_unlock(&port->mutex);
	}
	kfree(text);
	return ret ? ret : count;
}

static const struct file_operations xsfcgw_send_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= xsfcgw_send_write,
	.llseek	= noop_llseek,
};

void xsfcgw_debugfs_add(struct xsfcgw_port *port)
{
	port->debugfs = debugfs_create_dir(port->name, xsfcgw_debugfs_root);
	debugfs_create_file("send", 0200, port->debugfs, port,
			    &xsfcgw_send_fops);
}

void xsfcgw_debugfs_remove(struct xsfcgw_port *port)
{
	debugfs_remove_recursive(port->debugfs);
	port->debugfs = NULL;
}

void xsfcgw_debugfs_init(void)
{
	xsfcgw_debugfs_root = debugfs_create_dir(XSFCGW_NAME, NULL);
}

void xsfcgw_debugfs_exit(void)
{
	debugfs_remove_recursive(xsfcgw_debugfs_root);
}
