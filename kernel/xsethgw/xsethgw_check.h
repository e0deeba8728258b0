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
	XSETHGW_CHECK_TSO_PREFIX,	/* no valid TSO prefix, with TSO negotiated */
	XSETHGW_CHECK_GSO,		/* a GSO frame whose headers or MSS do not hold */
};

/**
 * struct xsethgw_gso - what a TSO prefix and the headers after it say
 * @mss: TCP payload bytes per frame the card cuts the segment into;
 *	0: the frame goes as it is
 * @l3: offset of the IP header in the frame (after the prefix)
 * @l4: offset of the TCP header
 * @ipv6: an IPv6 segment, else IPv4
 */
struct xsethgw_gso {
	u32 mss;
	u32 l3;
	u32 l4;
	bool ipv6;
};

enum xsethgw_check xsethgw_check_host_frame(const void *frame, u32 len,
					    const u8 *mac,
					    const unsigned long *vlans,
					    unsigned int mtu);
enum xsethgw_check xsethgw_check_tso(const void *buf, u32 len,
				     unsigned int mtu, struct xsethgw_gso *gso);
enum xsethgw_check xsethgw_check_ctrl_length(const void *msg, u32 len);
enum xsethgw_check xsethgw_check_vlan_list(u16 len);
enum xsethgw_check xsethgw_check_mcast_list(u16 len);

#endif /* _XSETHGW_CHECK_H */
