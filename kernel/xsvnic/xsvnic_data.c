// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ethernet frames on the data connection: one frame per SEND, gathered
 * from the skb or, when short, copied and padded to the minimum frame
 * size; received frames are polled by NAPI.
 */
#include <linux/etherdevice.h>
#include <linux/skbuff.h>

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
	unsigned int len = max_t(unsigned int, skb->len, XSVNIC_MIN_FRAME);
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
	       skb->len <= vnic->tx_buf_size &&
	       skb_shinfo(skb)->nr_frags < vnic->tx_max_sge;
}

netdev_tx_t xsvnic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct xsvnic *vnic = netdev_priv(dev);
	unsigned int bytes = skb->len;
	int ret;

	if (xsvnic_tx_gathers(vnic, skb))
		ret = xsvnic_send_gathered(vnic, skb);
	else
		ret = xsvnic_send_copied(vnic, skb);
	if (ret == -ENOBUFS) {
		/* The queue is stopped before this can happen; be safe. */
		netif_stop_queue(dev);
		return NETDEV_TX_BUSY;
	}
	if (ret) {
		atomic64_inc(&vnic->tx_dropped);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	/* The skb may be gone already: a gathered send completes anywhere. */
	dev_sw_netstats_tx_add(dev, 1, bytes);
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
	skb_put_data(skb, data, len);
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
