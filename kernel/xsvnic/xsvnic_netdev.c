// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The vNIC as a net_device: up and down, MTU, statistics, and the VLAN and
 * multicast filters that the state machine pushes to the I/O card.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>

#include "xsvnic.h"

static int xsvnic_open(struct net_device *dev)
{
	struct xsvnic *vnic = netdev_priv(dev);

	mutex_lock(&vnic->session.mutex);
	napi_enable(&vnic->napi);
	vnic->napi_enabled = true;
	/* Frames that came while the interface was down wait in the CQ. */
	napi_schedule(&vnic->napi);
	/* The state machine sends START_RX. */
	xsvnic_kick(vnic);
	mutex_unlock(&vnic->session.mutex);
	netif_start_queue(dev);
	return 0;
}

static int xsvnic_close(struct net_device *dev)
{
	struct xsvnic *vnic = netdev_priv(dev);

	netif_stop_queue(dev);
	mutex_lock(&vnic->session.mutex);
	napi_disable(&vnic->napi);
	vnic->napi_enabled = false;
	netif_carrier_off(dev);
	/* The state machine sends STOP_RX. */
	xsvnic_kick(vnic);
	mutex_unlock(&vnic->session.mutex);
	return 0;
}

static void xsvnic_set_rx_mode(struct net_device *dev)
{
	struct xsvnic *vnic = netdev_priv(dev);
	struct netdev_hw_addr *ha;
	unsigned int n = 0;

	spin_lock_bh(&vnic->filter_lock);
	vnic->mcast_all = (dev->flags & (IFF_PROMISC | IFF_ALLMULTI)) ||
			  netdev_mc_count(dev) > XSVNIC_MCAST_MAX;
	if (!vnic->mcast_all) {
		netdev_for_each_mc_addr(ha, dev)
			ether_addr_copy(vnic->mcast[n++], ha->addr);
	}
	vnic->mcast_count = n;
	vnic->mcast_dirty = true;
	spin_unlock_bh(&vnic->filter_lock);
	xsvnic_kick(vnic);
}

static void xsvnic_filter_vid(struct net_device *dev, u16 vid, bool on)
{
	struct xsvnic *vnic = netdev_priv(dev);

	spin_lock_bh(&vnic->filter_lock);
	if (on)
		set_bit(vid, vnic->vlans);
	else
		clear_bit(vid, vnic->vlans);
	spin_unlock_bh(&vnic->filter_lock);
	xsvnic_kick(vnic);
}

static int xsvnic_vlan_rx_add_vid(struct net_device *dev, __be16 proto,
				  u16 vid)
{
	xsvnic_filter_vid(dev, vid, true);
	return 0;
}

static int xsvnic_vlan_rx_kill_vid(struct net_device *dev, __be16 proto,
				   u16 vid)
{
	xsvnic_filter_vid(dev, vid, false);
	return 0;
}

static void xsvnic_get_stats64(struct net_device *dev,
			       struct rtnl_link_stats64 *stats)
{
	struct xsvnic *vnic = netdev_priv(dev);

	dev_fetch_sw_netstats(stats, dev->tstats);
	stats->rx_dropped = atomic64_read(&vnic->rx_dropped);
	stats->tx_dropped = atomic64_read(&vnic->tx_dropped);
	stats->rx_errors = atomic64_read(&vnic->rx_errors);
}

static int xsvnic_init(struct net_device *dev)
{
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	return dev->tstats ? 0 : -ENOMEM;
}

static void xsvnic_uninit(struct net_device *dev)
{
	free_percpu(dev->tstats);
	dev->tstats = NULL;
}

/*
 * What the card cuts up (xsethgw_check_tso()): a TCP segment right after an
 * untagged IPv4 or IPv6 header.  Any other the stack segments first.
 */
static netdev_features_t xsvnic_features_check(struct sk_buff *skb,
					       struct net_device *dev,
					       netdev_features_t features)
{
	unsigned int gso_type = skb_shinfo(skb)->gso_type;

	features = vlan_features_check(skb, features);
	if (!skb_is_gso(skb))
		return features;
	if ((gso_type & ~(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_DODGY)) ||
	    skb->encapsulation ||
	    (skb->protocol == htons(ETH_P_IPV6) &&
	     ipv6_hdr(skb)->nexthdr != IPPROTO_TCP) ||
	    (skb->protocol != htons(ETH_P_IP) &&
	     skb->protocol != htons(ETH_P_IPV6)))
		features &= ~NETIF_F_GSO_MASK;
	return features;
}

const struct net_device_ops xsvnic_netdev_ops = {
	.ndo_features_check	= xsvnic_features_check,
	.ndo_init		= xsvnic_init,
	.ndo_uninit		= xsvnic_uninit,
	.ndo_open		= xsvnic_open,
	.ndo_stop		= xsvnic_close,
	.ndo_start_xmit		= xsvnic_start_xmit,
	.ndo_set_rx_mode	= xsvnic_set_rx_mode,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_vlan_rx_add_vid	= xsvnic_vlan_rx_add_vid,
	.ndo_vlan_rx_kill_vid	= xsvnic_vlan_rx_kill_vid,
	.ndo_get_stats64	= xsvnic_get_stats64,
};

/*
 * The card cuts TCP segments up and completes their checksums.  A frame
 * that is not a segment is checksummed here (the prefix has no room for
 * the offsets), so checksum offload is offered only with TSO, which needs
 * it.  VLAN devices above segment in software: a segment's tag would
 * count in the card's header checks for no gain here.
 */
void xsvnic_netdev_offer_tso(struct xsvnic *vnic)
{
	struct net_device *dev = vnic->netdev;
	netdev_features_t tso = NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM |
				NETIF_F_TSO | NETIF_F_TSO6;

	vnic->tso = true;
	dev->hw_features |= tso;
	dev->features |= tso;
	dev->vlan_features |= NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM;
	dev->needed_headroom = XSVNIC_TSO_PREFIX_LEN;
	netif_set_tso_max_size(dev, XSVNIC_TSO_BUF_SIZE - XSVNIC_TSO_PREFIX_LEN);
}

void xsvnic_netdev_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->netdev_ops = &xsvnic_netdev_ops;
	dev->ethtool_ops = &xsvnic_ethtool_ops;
	dev->features |= NETIF_F_HW_VLAN_CTAG_FILTER | NETIF_F_SG;
	dev->hw_features |= NETIF_F_HW_VLAN_CTAG_FILTER | NETIF_F_SG;
	dev->min_mtu = ETH_MIN_MTU;
}
