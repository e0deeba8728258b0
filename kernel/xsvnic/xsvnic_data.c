// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Ethernet frames on the data connection: one frame per SEND, padded to
 * the minimum frame size; received frames are polled by NAPI.
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

netdev_tx_t xsvnic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct xsvnic *vnic = netdev_priv(dev);
	unsigned int len = max_t(unsigned int, skb->len, XSVNIC_MIN_FRAME);
	unsigned int bytes = skb->len;
	int ret;

	if (len > vnic->data.params.buf_size) {
		atomic64_inc(&vnic->tx_dropped);
		goto free;
	}
	ret = xscore_conn_send_fill(&vnic->data, len, xsvnic_fill_frame, skb);
	if (ret == -ENOBUFS) {
		/* The queue is stopped before this can happen; be safe. */
		netif_stop_queue(dev);
		return NETDEV_TX_BUSY;
	}
	if (ret) {
		atomic64_inc(&vnic->tx_dropped);
		goto free;
	}
	dev_sw_netstats_tx_add(dev, 1, bytes);
	if (!xscore_conn_tx_space(&vnic->data)) {
		netif_stop_queue(dev);
		/* A completion may have come between the check and the stop. */
		smp_mb__after_atomic();
		if (xscore_conn_tx_space(&vnic->data))
			netif_wake_queue(dev);
	}
free:
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
}

void xsvnic_data_tx_done(struct xscore_conn *conn)
{
	struct xsvnic *vnic = container_of(conn, struct xsvnic, data);

	if (netif_queue_stopped(vnic->netdev) &&
	    xscore_conn_tx_space(conn) >= conn->params.ring / 4)
		netif_wake_queue(vnic->netdev);
}

void xsvnic_data_rx_notify(struct xscore_conn *conn)
{
	struct xsvnic *vnic = container_of(conn, struct xsvnic, data);

	napi_schedule(&vnic->napi);
}

static void xsvnic_deliver_frame(struct xscore_conn *conn, void *data, u32 len)
{
	struct xsvnic *vnic = container_of(conn, struct xsvnic, data);
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

	done = xscore_conn_poll_rx(&vnic->data, budget, xsvnic_deliver_frame);
	if (done < budget && napi_complete_done(napi, done) &&
	    xscore_conn_rx_rearm(&vnic->data))
		napi_schedule(napi);
	return done;
}
