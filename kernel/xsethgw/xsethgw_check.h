/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The checks the Ethernet gateway makes on what a host sends it, as pure
 * functions: they read only the bytes and lengths they are given, so that
 * the module and its KUnit suite (xsethgw_check_test.c, built without
 * ib_core or a network stack) compile the same code.  Each returns
 * XSETHGW_CHECK_OK or the reason the frame or message is refused.
 */
#ifndef _XSETHGW_CHECK_H
#define _XSETHGW_CHECK_H

#include <linux/types.h>

enum xsethgw_check {
	XSETHGW_CHECK_OK,
	XSETHGW_CHECK_RUNT,		/* frame shorter than the padded minimum */
	XSETHGW_CHECK_VLAN,		/* tagged with a VLAN the host did not assign */
	XSETHGW_CHECK_SRC_MAC,		/* sent from a MAC not the vNIC's */
	XSETHGW_CHECK_OVERSIZE,		/* payload above the MTU */
	XSETHGW_CHECK_CTRL_SHORT,	/* shorter than the control header */
	XSETHGW_CHECK_CTRL_LENGTH,	/* says more follows than arrived */
	XSETHGW_CHECK_LIST_LENGTH,	/* a VLAN or multicast list of a bad size */
};

enum xsethgw_check xsethgw_check_host_frame(const void *frame, u32 len,
					    const u8 *mac,
					    const unsigned long *vlans,
					    unsigned int mtu);
enum xsethgw_check xsethgw_check_ctrl_length(const void *msg, u32 len);
enum xsethgw_check xsethgw_check_vlan_list(u16 len);
enum xsethgw_check xsethgw_check_mcast_list(u16 len);

#endif /* _XSETHGW_CHECK_H */
