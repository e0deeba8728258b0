// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsconn: the RC connections (xscore_conn.c) and the reconnecting sessions
 * (xscore_session.c) that the Xsigo host drivers and the director's card
 * gateways share.  A library, no discovery: loading it makes the queue
 * that every session's work runs on, and an ib_client that keeps the CM ids
 * of connections closed while their port was down until it is active again
 * (xscore_conn_park()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <xsigo/xscore_session.h>

#include "xscore_conn_priv.h"

static int __init xsconn_init(void)
{
	int ret;

	ret = xscore_session_wq_init();
	if (ret)
		return ret;
	ret = xscore_conn_client_register();
	if (ret)
		xscore_session_wq_exit();
	return ret;
}

static void __exit xsconn_exit(void)
{
	xscore_conn_client_unregister();
	xscore_session_wq_exit();
}

module_init(xsconn_init);
module_exit(xsconn_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo RC connection and session library over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
