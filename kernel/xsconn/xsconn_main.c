// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsconn: the RC connections (xscore_conn.c) and the reconnecting sessions
 * (xscore_session.c) that the Xsigo host drivers and the director's card
 * gateways share.  A library: no ib_client, no discovery; loading it only
 * makes the queue that every session's work runs on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <xsigo/xscore_session.h>

static int __init xsconn_init(void)
{
	return xscore_session_wq_init();
}

static void __exit xsconn_exit(void)
{
	xscore_session_wq_exit();
}

module_init(xsconn_init);
module_exit(xsconn_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo RC connection and session library over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
