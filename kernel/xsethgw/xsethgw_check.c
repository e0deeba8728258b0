// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checks on what a host sends the Ethernet gateway: its frames and its
 * control messages.  Pure functions of the bytes given (xsethgw_check.h
 * says why); the caller counts and drops.
 */
#include <asm/byteorder.h>
#include <linux/bitops.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/string.h>
#include <xsigo/wire/xsvnic_card.h>

#include "xsethgw_check.h"

/*
 * Ethertypes that switches take for a VLAN tag: 802.1Q, 802.1ad and the
 * pre-standard QinQ TPIDs.  A frame with one where the card expects an
 * untagged frame's type, or inside a vNIC's 802.1Q tag, could reach a VLAN
 * the vNIC was not given.
 */
static bool xsethgw_is_vlan_tpid(__be16 proto)
{
	return eth_type_vlan(proto) || proto == cpu_to_be16(ETH_P_QINQ1) ||
	       proto == cpu_to_be16(ETH_P_QINQ2) ||
	       proto == cpu_to_be16(ETH_P_QINQ3);
}

/*
 * A frame a vNIC may send: padded to the minimum as hosts pad, untagged or
 * with one 802.1Q tag of a VLAN it assigned (no other or nested tag), from
 * its own MAC (the card learns none), with a payload within @mtu.
 */
enum xsethgw_check xsethgw_check_host_frame(const void *frame, u32 len,
					    const u8 *mac,
					    const unsigned long *vlans,
					    unsigned int mtu)
{
	const struct ethhdr *eth = frame;
	u32 payload;

	if (len < XSVNIC_MIN_FRAME)
		return XSETHGW_CHECK_RUNT;
	payload = len - ETH_HLEN;
	/* A tag of another kind than 802.1Q. */
	if (eth->h_proto != cpu_to_be16(ETH_P_8021Q) &&
	    xsethgw_is_vlan_tpid(eth->h_proto))
		return XSETHGW_CHECK_VLAN;
	if (eth->h_proto == cpu_to_be16(ETH_P_8021Q)) {
		const struct vlan_ethhdr *veth = frame;
		u16 vid = be16_to_cpu(veth->h_vlan_TCI) & VLAN_VID_MASK;

		if (!test_bit(vid, vlans))
			return XSETHGW_CHECK_VLAN;
		/* A tag inside the vNIC's own. */
		if (xsethgw_is_vlan_tpid(veth->h_vlan_encapsulated_proto))
			return XSETHGW_CHECK_VLAN;
		payload -= VLAN_HLEN;
	}
	if (memcmp(eth->h_source, mac, ETH_ALEN))
		return XSETHGW_CHECK_SRC_MAC;
	if (payload > mtu)
		return XSETHGW_CHECK_OVERSIZE;
	return XSETHGW_CHECK_OK;
}

/* A control header, and no more after it than the message holds. */
enum xsethgw_check xsethgw_check_ctrl_length(const void *msg, u32 len)
{
	const struct xsvnic_control_msg *hdr = msg;

	if (len < sizeof(*hdr))
		return XSETHGW_CHECK_CTRL_SHORT;
	if (le16_to_cpu(hdr->length) > len - sizeof(*hdr))
		return XSETHGW_CHECK_CTRL_LENGTH;
	return XSETHGW_CHECK_OK;
}

/* ASSIGN_VLAN, UNASSIGN_VLAN: whole big-endian IDs, at most XSVNIC_VLAN_MAX. */
enum xsethgw_check xsethgw_check_vlan_list(u16 len)
{
	if (len % sizeof(__be16) || len / sizeof(__be16) > XSVNIC_VLAN_MAX)
		return XSETHGW_CHECK_LIST_LENGTH;
	return XSETHGW_CHECK_OK;
}

/* MULTICAST_LIST_SEND: whole MACs, at most XSVNIC_MCAST_MAX. */
enum xsethgw_check xsethgw_check_mcast_list(u16 len)
{
	if (len % ETH_ALEN || len / ETH_ALEN > XSVNIC_MCAST_MAX)
		return XSETHGW_CHECK_LIST_LENGTH;
	return XSETHGW_CHECK_OK;
}
