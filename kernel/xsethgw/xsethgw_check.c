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
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/ip.h>
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

/* A GSO frame's IP and TCP headers, from @gso->l3, end at @hdr_len. */
static enum xsethgw_check xsethgw_check_gso_headers(const u8 *frame,
						    __be16 proto, u32 hdr_len,
						    struct xsethgw_gso *gso)
{
	const struct tcphdr *th;

	if (proto != cpu_to_be16(ETH_P_IP) && proto != cpu_to_be16(ETH_P_IPV6))
		return XSETHGW_CHECK_GSO;
	if (proto == cpu_to_be16(ETH_P_IP)) {
		const struct iphdr *iph = (const void *)(frame + gso->l3);

		if (hdr_len < gso->l3 + sizeof(*iph) || iph->version != 4 ||
		    iph->ihl < 5 || iph->protocol != IPPROTO_TCP ||
		    (iph->frag_off & cpu_to_be16(IP_MF | IP_OFFSET)))
			return XSETHGW_CHECK_GSO;
		gso->l4 = gso->l3 + iph->ihl * 4;
	} else {
		const struct ipv6hdr *ip6 = (const void *)(frame + gso->l3);

		/* Extension headers are not cut up here: TCP right after. */
		if (hdr_len < gso->l3 + sizeof(*ip6) || ip6->version != 6 ||
		    ip6->nexthdr != IPPROTO_TCP)
			return XSETHGW_CHECK_GSO;
		gso->l4 = gso->l3 + sizeof(*ip6);
		gso->ipv6 = true;
	}
	if (hdr_len < gso->l4 + sizeof(*th))
		return XSETHGW_CHECK_GSO;
	th = (const void *)(frame + gso->l4);
	if (th->doff < 5 || gso->l4 + th->doff * 4 != hdr_len)
		return XSETHGW_CHECK_GSO;
	return XSETHGW_CHECK_OK;
}

/*
 * With TSO negotiated, a host's frame comes after a big-endian TSO prefix
 * (specs/xsvnic_card.yaml): a frame to send as it is, or a TCP segment for
 * the card to cut into frames of @mss payload bytes.  The segment's
 * headers are checked here, since they say where the card writes: IPv4
 * or IPv6 (no extension header) then TCP, ending at the prefix's header
 * length; each frame cut from it within @mtu, and more than one of them.
 * The frame itself (its MAC, VLAN) is xsethgw_check_host_frame()'s, after
 * the prefix.
 */
enum xsethgw_check xsethgw_check_tso(const void *buf, u32 len,
				     unsigned int mtu, struct xsethgw_gso *gso)
{
	const u8 *frame = buf + XSVNIC_TSO_PREFIX_LEN;
	const struct ethhdr *eth = (const void *)frame;
	u32 info, hdr_len, flen;
	__be16 proto;
	__be32 prefix;

	memset(gso, 0, sizeof(*gso));
	if (len < XSVNIC_TSO_PREFIX_LEN)
		return XSETHGW_CHECK_TSO_PREFIX;
	memcpy(&prefix, buf, sizeof(prefix));	/* aligned or not */
	info = be32_to_cpu(prefix);
	if (!(info & XSVNIC_TSO_FLAG_VALID))
		return XSETHGW_CHECK_TSO_PREFIX;
	if (info & XSVNIC_TSO_FLAG_NOT_GSO)
		return XSETHGW_CHECK_OK;
	hdr_len = (info >> XSVNIC_TSO_HDR_LEN_SHIFT) & XSVNIC_TSO_HDR_LEN_MASK;
	gso->mss = info & XSVNIC_TSO_MSS_MASK;
	flen = len - XSVNIC_TSO_PREFIX_LEN;
	if (!gso->mss || flen < VLAN_ETH_HLEN || hdr_len >= flen)
		return XSETHGW_CHECK_GSO;
	gso->l3 = ETH_HLEN;
	proto = eth->h_proto;
	if (proto == cpu_to_be16(ETH_P_8021Q)) {
		gso->l3 = VLAN_ETH_HLEN;
		proto = ((const struct vlan_ethhdr *)eth)->h_vlan_encapsulated_proto;
	}
	if (xsethgw_check_gso_headers(frame, proto, hdr_len, gso))
		return XSETHGW_CHECK_GSO;
	/* Each frame within the MTU; a segment of one frame is none. */
	if (hdr_len - gso->l3 + gso->mss > mtu || flen - hdr_len <= gso->mss)
		return XSETHGW_CHECK_GSO;
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
