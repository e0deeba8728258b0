// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ethernet frames on the data connection: one frame per SEND, gathered
 * from the skb or, when short, copied and padded to the minimum frame
 * size; received frames are polled by NAPI.  With TSO negotiated each
 * frame goes after a TSO prefix, and a TCP segment of up to 64 KiB goes
 * whole (specs/xsvnic_card.yaml).
 */
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/checksum.h>

#include "xsvnic.h"

static void xsvnic_fill_frame(void *dst, const void *src, u32 len)
{
	const struct sk_buff *skb = src;

	/* Cannot fail: len covers the whole skb, checked by the caller. */
	skb_copy_bits(skb, 0, dst, skb->len);
	if (len > skb->len)
		memset(dst + skb->len, 0, len - skb->len);
}

static void xsvnic_unmap_skb(struct ib_device *ibdev,
			     const struct sk_buff *skb,
			     const struct ib_sge *sg, unsigned int num_sg)
{
	unsigned int i = 0;

	if (num_sg && skb_headlen(skb)) {
		ib_dma_unmap_single(ibdev, sg[0].addr, sg[0].length,
				    DMA_TO_DEVICE);
		i = 1;
	}
	for (; i < num_sg; i++)
		ib_dma_unmap_page(ibdev, sg[i].addr, sg[i].length,
				  DMA_TO_DEVICE);
}

/* The skb's head and fragments, one gather entry each: their count. */
static int xsvnic_map_skb(struct ib_device *ibdev, const struct sk_buff *skb,
			  struct ib_sge *sg)
{
	unsigned int head = skb_headlen(skb);
	unsigned int n = 0, i;
	u64 addr;

	if (head) {
		addr = ib_dma_map_single(ibdev, skb->data, head, DMA_TO_DEVICE);
		if (ib_dma_mapping_error(ibdev, addr))
			return -ENOMEM;
		sg[n].addr = addr;
		sg[n++].length = head;
	}
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		addr = ib_dma_map_page(ibdev, skb_frag_page(frag),
				       skb_frag_off(frag), skb_frag_size(frag),
				       DMA_TO_DEVICE);
		if (ib_dma_mapping_error(ibdev, addr)) {
			xsvnic_unmap_skb(ibdev, skb, sg, n);
			return -ENOMEM;
		}
		sg[n].addr = addr;
		sg[n++].length = skb_frag_size(frag);
	}
	return n;
}

/* Once sent, the skb belongs to the connection until tx_release. */
static int xsvnic_send_gathered(struct xsvnic *vnic, struct sk_buff *skb)
{
	struct ib_device *ibdev = xscore_conn_ibdev(vnic->data);
	struct ib_sge sg[XSVNIC_TX_SGE];
	int num_sg, ret;

	num_sg = xsvnic_map_skb(ibdev, skb, sg);
	if (num_sg < 0)
		return num_sg;
	ret = xscore_conn_send_sg(vnic->data, sg, num_sg, skb);
	if (ret) {
		xsvnic_unmap_skb(ibdev, skb, sg, num_sg);
		return ret;
	}
	atomic64_inc(&vnic->tx_gathered);
	return 0;
}

static int xsvnic_send_copied(struct xsvnic *vnic, struct sk_buff *skb)
{
	/* The frame is padded, not the prefix before it. */
	unsigned int min = XSVNIC_MIN_FRAME +
			   (vnic->tso ? XSVNIC_TSO_PREFIX_LEN : 0);
	unsigned int len = max_t(unsigned int, skb->len, min);
	int ret;

	if (len > vnic->tx_buf_size)
		return -EMSGSIZE;
	ret = xscore_conn_send_fill(vnic->data, len, xsvnic_fill_frame, skb);
	if (!ret)
		dev_consume_skb_any(skb);
	return ret;
}

static bool xsvnic_tx_gathers(const struct xsvnic *vnic,
			      const struct sk_buff *skb)
{
	return skb->len >= XSVNIC_TX_COPYBREAK &&
	       skb->len <= vnic->tx_max_len &&
	       skb_shinfo(skb)->nr_frags < vnic->tx_max_sge;
}

/*
 * The TSO prefix in front of the frame: a TCP segment's header length and
 * MSS, or "not a segment" for a frame whose checksum is completed here.
 */
static int xsvnic_tso_prefix(struct sk_buff *skb)
{
	u32 info = XSVNIC_TSO_FLAG_VALID;
	__be32 prefix;
	int ret;

	if (skb_is_gso(skb)) {
		info |= skb_tcp_all_headers(skb) << XSVNIC_TSO_HDR_LEN_SHIFT |
			skb_shinfo(skb)->gso_size;
	} else {
		if (skb->ip_summed == CHECKSUM_PARTIAL) {
			ret = skb_checksum_help(skb);
			if (ret)
				return ret;
		}
		info |= XSVNIC_TSO_FLAG_NOT_GSO;
	}
	ret = skb_cow_head(skb, XSVNIC_TSO_PREFIX_LEN);
	if (ret)
		return ret;
	prefix = cpu_to_be32(info);
	memcpy(__skb_push(skb, XSVNIC_TSO_PREFIX_LEN), &prefix, sizeof(prefix));
	return 0;
}

/* Ready for one SEND: prefixed, and gatherable when too big to copy. */
static int xsvnic_tx_prepare(struct xsvnic *vnic, struct sk_buff *skb)
{
	int ret;

	if (vnic->tso) {
		ret = xsvnic_tso_prefix(skb);
		if (ret)
			return ret;
	}
	if (skb->len > vnic->tx_buf_size &&
	    skb_shinfo(skb)->nr_frags >= vnic->tx_max_sge)
		return skb_linearize(skb);
	return 0;
}

netdev_tx_t xsvnic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct xsvnic *vnic = netdev_priv(dev);
	unsigned int bytes = skb->len;
	unsigned int packets = skb_is_gso(skb) ? skb_shinfo(skb)->gso_segs : 1;
	bool gso = skb_is_gso(skb);
	int ret;

	ret = xsvnic_tx_prepare(vnic, skb);
	if (!ret && xsvnic_tx_gathers(vnic, skb))
		ret = xsvnic_send_gathered(vnic, skb);
	else if (!ret)
		ret = xsvnic_send_copied(vnic, skb);
	if (ret == -ENOBUFS) {
		/* The queue is stopped before this can happen; be safe. */
		netif_stop_queue(dev);
		/* The stack sends the skb again: as it gave it. */
		if (vnic->tso)
			__skb_pull(skb, XSVNIC_TSO_PREFIX_LEN);
		return NETDEV_TX_BUSY;
	}
	if (ret) {
		atomic64_inc(&vnic->tx_dropped);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	/* The skb may be gone already: a gathered send completes anywhere. */
	dev_sw_netstats_tx_add(dev, packets, bytes);
	if (gso)
		atomic64_inc(&vnic->tx_gso);
	if (!xscore_conn_tx_space(vnic->data)) {
		netif_stop_queue(dev);
		/* A completion may have come between the check and the stop. */
		smp_mb__after_atomic();
		if (xscore_conn_tx_space(vnic->data))
			netif_wake_queue(dev);
	}
	return NETDEV_TX_OK;
}

void xsvnic_data_tx_release(struct xscore_conn *conn, void *cookie,
			    const struct ib_sge *sg, unsigned int num_sg)
{
	struct sk_buff *skb = cookie;

	xsvnic_unmap_skb(xscore_conn_ibdev(conn), skb, sg, num_sg);
	dev_consume_skb_any(skb);
}

void xsvnic_data_tx_done(struct xscore_conn *conn)
{
	struct xsvnic *vnic = xscore_conn_context(conn);

	if (netif_queue_stopped(vnic->netdev) &&
	    xscore_conn_tx_space(conn) >= xscore_conn_ring(conn) / 4)
		netif_wake_queue(vnic->netdev);
}

void xsvnic_data_rx_notify(struct xscore_conn *conn)
{
	struct xsvnic *vnic = xscore_conn_context(conn);

	napi_schedule(&vnic->napi);
}

static void xsvnic_deliver_frame(struct xscore_conn *conn, void *data, u32 len)
{
	struct xsvnic *vnic = xscore_conn_context(conn);
	struct net_device *dev = vnic->netdev;
	struct sk_buff *skb;

	if (len < ETH_HLEN) {
		atomic64_inc(&vnic->rx_errors);
		return;
	}
	skb = napi_alloc_skb(&vnic->napi, len);
	if (!skb) {
		atomic64_inc(&vnic->rx_dropped);
		return;
	}
	/*
	 * The copy out of the receive buffer sums what follows the Ethernet
	 * header as it goes (CHECKSUM_COMPLETE): the stack makes no second
	 * pass over the frame to check it.
	 */
	skb_put_data(skb, data, ETH_HLEN);
	skb->csum = csum_partial_copy_nocheck(data + ETH_HLEN,
					      skb_put(skb, len - ETH_HLEN),
					      len - ETH_HLEN);
	skb->ip_summed = CHECKSUM_COMPLETE;
	skb->protocol = eth_type_trans(skb, dev);
	dev_sw_netstats_rx_add(dev, len);
	napi_gro_receive(&vnic->napi, skb);
}

int xsvnic_napi_poll(struct napi_struct *napi, int budget)
{
	struct xsvnic *vnic = container_of(napi, struct xsvnic, napi);
	int done;

	done = xscore_conn_poll_rx(vnic->data, budget, xsvnic_deliver_frame);
	if (done < budget && napi_complete_done(napi, done) &&
	    xscore_conn_rx_rearm(vnic->data))
		napi_schedule(napi);
	return done;
}
