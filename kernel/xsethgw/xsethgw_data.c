// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frames both ways.  From a host: one frame per SEND on its data
 * connection (with TSO negotiated, after a prefix that may make it a TCP
 * segment of up to 64 KiB), checked (length, MTU, source MAC, VLAN, the
 * segment's headers) and transmitted on the port's uplink.  From the
 * uplink: its rx_handler takes every frame and copies it to each vNIC it
 * is for (its MAC, broadcast, its multicast
 * list or all multicast, on an untagged or assigned VLAN), with the VLAN
 * tag back in the frame as the wire carries it.
 */
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>

#include "xsethgw.h"
#include "xsethgw_check.h"

/*
 * A GSO segment's offload state: the uplink, or the stack before it, cuts
 * it into frames of the MSS and completes each checksum.  DODGY: the host
 * is not trusted, so the stack checks the headers again and counts the
 * segments itself.
 */
static int xsethgw_gso_skb(struct sk_buff *skb, const struct xsethgw_gso *gso)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	skb_set_network_header(skb, gso->l3);
	if (!skb_partial_csum_set(skb, gso->l4, offsetof(struct tcphdr, check)))
		return -EINVAL;
	shinfo->gso_size = gso->mss;
	shinfo->gso_type = (gso->ipv6 ? SKB_GSO_TCPV6 : SKB_GSO_TCPV4) |
			   SKB_GSO_DODGY;
	shinfo->gso_segs = DIV_ROUND_UP(skb->len - skb_tcp_all_headers(skb),
					gso->mss);
	return 0;
}

/*
 * The frame in an skb for the uplink: its headers in the linear part (a
 * GSO segment's checksum offsets must be there), the rest in pages, so
 * that a 64 KiB segment needs no high-order allocation in softirq.
 */
static struct sk_buff *xsethgw_frame_skb(const void *frame, u32 len)
{
	u32 head = min_t(u32, len, XSETHGW_SKB_HEAD);
	struct sk_buff *skb;
	int err;

	skb = alloc_skb_with_frags(head, len - head, 0, &err, GFP_ATOMIC);
	if (!skb)
		return NULL;
	/* The pages it filled in are the caller's to count. */
	skb_put(skb, head);
	skb->data_len = len - head;
	skb->len += len - head;
	if (skb_store_bits(skb, 0, frame, len)) {
		kfree_skb(skb);
		return NULL;
	}
	skb_reset_mac_header(skb);
	skb->protocol = eth_hdr(skb)->h_proto;
	return skb;
}

/*
 * A frame a host sent, behind its TSO prefix when @tso: checked against
 * one MTU (the vNIC's and the uplink's, for a frame and for each frame a
 * segment is cut into), then transmitted on the port's uplink.  What the
 * vNIC may not send is counted and dropped.
 */
static void xsethgw_host_frame(struct xsethgw_vnic *vnic, const void *buf,
			       u32 len, bool tso)
{
	static const enum xsethgw_drop drop_for[] = {
		[XSETHGW_CHECK_RUNT]		= XSETHGW_DROP_RUNT,
		[XSETHGW_CHECK_VLAN]		= XSETHGW_DROP_VLAN,
		[XSETHGW_CHECK_SRC_MAC]		= XSETHGW_DROP_SRC_MAC,
		[XSETHGW_CHECK_OVERSIZE]	= XSETHGW_DROP_OVERSIZE,
		[XSETHGW_CHECK_TSO_PREFIX]	= XSETHGW_DROP_TSO_PREFIX,
		[XSETHGW_CHECK_GSO]		= XSETHGW_DROP_GSO,
	};
	struct xsethgw_port *port = vnic->port;
	struct xsethgw_gso gso = {};
	enum xsethgw_check verdict;
	const void *frame = buf;
	struct net_device *uplink;
	struct sk_buff *skb;
	unsigned int mtu;

	rcu_read_lock();
	uplink = rcu_dereference(port->uplink);
	if (!uplink || !READ_ONCE(port->link_up)) {
		xsethgw_count(vnic, XSETHGW_DROP_LINK_DOWN);
		goto unlock;
	}
	mtu = min(READ_ONCE(vnic->mtu), READ_ONCE(uplink->mtu));
	if (tso) {
		verdict = xsethgw_check_tso(buf, len, mtu, &gso);
		if (verdict != XSETHGW_CHECK_OK)
			goto refused;
		frame += XSVNIC_TSO_PREFIX_LEN;
		len -= XSVNIC_TSO_PREFIX_LEN;
	}
	/* A segment's frames were held to the MTU by xsethgw_check_tso(). */
	verdict = xsethgw_check_host_frame(frame, len, vnic->mac, vnic->vlans,
					   gso.mss ? UINT_MAX : mtu);
	if (verdict != XSETHGW_CHECK_OK)
		goto refused;
	skb = xsethgw_frame_skb(frame, len);
	if (!skb) {
		xsethgw_count(vnic, XSETHGW_DROP_NO_MEM);
		goto unlock;
	}
	skb->dev = uplink;
	if (gso.mss) {
		if (xsethgw_gso_skb(skb, &gso)) {
			xsethgw_count(vnic, XSETHGW_DROP_GSO);
			kfree_skb(skb);
			goto unlock;
		}
		atomic64_inc(&vnic->gso_from_host);
	}
	atomic64_inc(&vnic->frames_from_host);
	dev_queue_xmit(skb);
	goto unlock;
refused:
	if (verdict < ARRAY_SIZE(drop_for))
		xsethgw_count(vnic, drop_for[verdict]);
unlock:
	rcu_read_unlock();
}

/**
 * xsethgw_data_from_host() - a frame the host sent on its data connection
 * @conn: the data connection
 * @frame: the frame as received
 * @len: its length
 *
 * Runs in the connection's completion softirq (its params' recv).
 */
void xsethgw_data_from_host(struct xscore_conn *conn, void *frame, u32 len)
{
	xsethgw_host_frame(xscore_conn_context(conn), frame, len, false);
}

/**
 * xsethgw_data_from_host_tso() - a frame behind a TSO prefix
 * @conn: the data connection, TSO negotiated
 * @buf: the prefix and the frame as received
 * @len: their length
 *
 * Runs in the connection's completion softirq (its params' recv).
 */
void xsethgw_data_from_host_tso(struct xscore_conn *conn, void *buf, u32 len)
{
	xsethgw_host_frame(xscore_conn_context(conn), buf, len, true);
}

/* A frame from the uplink: its Ethernet header (tag put back) and the rest. */
struct xsethgw_frame {
	const struct sk_buff *skb;
	u8 hdr[VLAN_ETH_HLEN];
	unsigned int hdr_len;
	unsigned int len;
};

static void xsethgw_fill_frame(void *dst, const void *src, u32 len)
{
	const struct xsethgw_frame *f = src;

	memcpy(dst, f->hdr, f->hdr_len);
	/* Cannot fail: the lengths come from the skb itself. */
	skb_copy_bits(f->skb, 0, dst + f->hdr_len, f->skb->len);
	if (len > f->len)
		memset(dst + f->len, 0, len - f->len);
}

static bool xsethgw_vnic_wants(struct xsethgw_vnic *vnic, const u8 *dst,
			       bool tagged, u16 vid)
{
	const struct xsethgw_mcast *mc;
	unsigned int i;

	if (tagged && !test_bit(vid, vnic->vlans))
		return false;
	if (is_broadcast_ether_addr(dst))
		return true;
	if (!is_multicast_ether_addr(dst))
		return ether_addr_equal(dst, vnic->mac);
	mc = rcu_dereference(vnic->mcast);
	if (!mc)
		return false;
	if (mc->all)
		return true;
	for (i = 0; i < mc->count; i++)
		if (ether_addr_equal(dst, mc->addr[i]))
			return true;
	return false;
}

static void xsethgw_to_vnic(struct xsethgw_vnic *vnic,
			    const struct xsethgw_frame *f)
{
	struct xscore_conn *conn;
	int ret;

	if (!READ_ONCE(vnic->rx_started))
		return;
	conn = rcu_dereference(vnic->data);
	if (!conn)
		return;
	if (f->skb->len > READ_ONCE(vnic->mtu)) {
		xsethgw_count(vnic, XSETHGW_DROP_TOO_BIG_FOR_HOST);
		return;
	}
	ret = xscore_conn_send_fill(conn, max_t(u32, f->len, XSVNIC_MIN_FRAME),
				    xsethgw_fill_frame, f);
	if (ret)
		xsethgw_count(vnic, XSETHGW_DROP_RING_FULL);
	else
		atomic64_inc(&vnic->frames_to_host);
}

/* One frame as a wire carries it, its data at the network header: to each vNIC it is for. */
static void xsethgw_deliver(struct xsethgw_port *port, const struct sk_buff *skb)
{
	const struct ethhdr *eth = eth_hdr(skb);
	struct xsethgw_vnic *vnic;
	struct xsethgw_frame f = { .skb = skb };
	bool tagged = skb_vlan_tag_present(skb);
	u16 vid = 0;

	memcpy(f.hdr, eth, 2 * ETH_ALEN);
	f.hdr_len = 2 * ETH_ALEN;
	if (tagged) {
		__be16 tag[2] = { skb->vlan_proto, htons(skb_vlan_tag_get(skb)) };

		vid = skb_vlan_tag_get_id(skb);
		memcpy(f.hdr + f.hdr_len, tag, sizeof(tag));
		f.hdr_len += sizeof(tag);
	}
	memcpy(f.hdr + f.hdr_len, &eth->h_proto, sizeof(eth->h_proto));
	f.hdr_len += sizeof(eth->h_proto);
	f.len = f.hdr_len + skb->len;

	list_for_each_entry_rcu(vnic, &port->vnics, node)
		if (xsethgw_vnic_wants(vnic, eth->h_dest, tagged, vid))
			xsethgw_to_vnic(vnic, &f);
}

/*
 * A frame whose checksum a local sender left to offload (a veth peer with
 * tx checksumming on) gets it here: a host is sent frames as a wire
 * carries them.  Its data at the network header.
 */
static void xsethgw_deliver_whole(struct xsethgw_port *port,
				  struct sk_buff *skb)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)) {
		atomic64_inc(&port->unfinished);
		return;
	}
	xsethgw_deliver(port, skb);
}

/*
 * GRO or LRO on the uplink (or a local sender's GSO) made one skb of what
 * the wire carries as many frames; a host takes frames of at most its MTU,
 * so the skb is cut up again as the wire had it, each with its checksums.
 * Its data is at the network header, as an rx_handler gets it; segmenting
 * wants it at the MAC header, as openvswitch hands received packets over.
 */
static void xsethgw_deliver_segments(struct xsethgw_port *port,
				     struct sk_buff *skb)
{
	struct sk_buff *segs, *seg, *next;

	__skb_push(skb, skb->mac_len);
	segs = __skb_gso_segment(skb, 0, false);
	if (IS_ERR_OR_NULL(segs)) {
		atomic64_inc(&port->unfinished);
		return;
	}
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		__skb_pull(seg, skb_network_offset(seg));
		xsethgw_deliver_whole(port, seg);
		consume_skb(seg);
	}
}

/**
 * xsethgw_handle_frame() - the uplink's rx_handler
 * @pskb: the frame received on the uplink
 *
 * The uplink belongs to the card: every frame is consumed, delivered to
 * the vNICs it is for, or dropped.
 *
 * Return: RX_HANDLER_CONSUMED, or RX_HANDLER_PASS for looped-back frames.
 */
rx_handler_result_t xsethgw_handle_frame(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct xsethgw_port *port = rcu_dereference(skb->dev->rx_handler_data);

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK))
		return RX_HANDLER_PASS;
	if (!READ_ONCE(port->link_up) || !skb_mac_header_was_set(skb))
		goto done;
	if (skb_is_gso(skb) || skb->ip_summed == CHECKSUM_PARTIAL) {
		/* Both write to the skb: a shared one is cloned first. */
		skb = skb_share_check(skb, GFP_ATOMIC);
		if (!skb)
			return RX_HANDLER_CONSUMED;
	}
	if (skb_is_gso(skb))
		xsethgw_deliver_segments(port, skb);
	else
		xsethgw_deliver_whole(port, skb);
done:
	consume_skb(skb);
	return RX_HANDLER_CONSUMED;
}
