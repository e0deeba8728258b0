// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ethtool: driver and card, the speed the card reports, ring sizes and the
 * control channel's counters.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "xsvnic.h"

static const char xsvnic_stat_names[][ETH_GSTRING_LEN] = {
	"ctrl_msgs_in",
	"ctrl_msgs_out",
	"ctrl_malformed",
	"card_reconnects",
	"link_changes",
	"tx_gathered",
	"tx_gso",
	"ctrl_refused_short",
	"ctrl_refused_length",
	"ctrl_refused_type",
};

static void xsvnic_get_drvinfo(struct net_device *dev,
			       struct ethtool_drvinfo *info)
{
	struct xsvnic *vnic = netdev_priv(dev);

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	snprintf(info->fw_version, sizeof(info->fw_version), "card %016llx",
		 vnic->card_guid);
	strscpy(info->bus_info, dev_name(&vnic->vdev->adev.dev),
		sizeof(info->bus_info));
}

static int xsvnic_get_link_ksettings(struct net_device *dev,
				     struct ethtool_link_ksettings *cmd)
{
	struct xsvnic *vnic = netdev_priv(dev);
	u32 mbps;

	spin_lock_bh(&vnic->lock);
	mbps = xsvnic_speed_mbps(vnic->speed);
	spin_unlock_bh(&vnic->lock);

	ethtool_link_ksettings_zero_link_mode(cmd, supported);
	ethtool_link_ksettings_zero_link_mode(cmd, advertising);
	cmd->base.port = PORT_OTHER;
	cmd->base.autoneg = AUTONEG_DISABLE;
	if (netif_carrier_ok(dev) && mbps) {
		cmd->base.speed = mbps;
		cmd->base.duplex = DUPLEX_FULL;
	} else {
		cmd->base.speed = SPEED_UNKNOWN;
		cmd->base.duplex = DUPLEX_UNKNOWN;
	}
	return 0;
}

static void xsvnic_get_ringparam(struct net_device *dev,
				 struct ethtool_ringparam *ring,
				 struct kernel_ethtool_ringparam *kernel_ring,
				 struct netlink_ext_ack *extack)
{
	struct xsvnic *vnic = netdev_priv(dev);

	ring->rx_max_pending = vnic->data_ring;
	ring->tx_max_pending = vnic->data_ring;
	ring->rx_pending = vnic->data_ring;
	ring->tx_pending = vnic->data_ring;
}

static int xsvnic_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? ARRAY_SIZE(xsvnic_stat_names) :
	       -EOPNOTSUPP;
}

static void xsvnic_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, xsvnic_stat_names, sizeof(xsvnic_stat_names));
}

static void xsvnic_get_ethtool_stats(struct net_device *dev,
				     struct ethtool_stats *stats, u64 *data)
{
	struct xsvnic *vnic = netdev_priv(dev);
	struct xsvnic_counters *c = &vnic->counters;

	spin_lock_bh(&vnic->lock);
	data[0] = c->ctrl_in;
	data[1] = c->ctrl_out;
	data[2] = c->ctrl_malformed;
	data[3] = c->reconnects;
	data[4] = c->link_changes;
	data[7] = c->ctrl_short;
	data[8] = c->ctrl_length;
	data[9] = c->ctrl_type;
	spin_unlock_bh(&vnic->lock);
	data[5] = atomic64_read(&vnic->tx_gathered);
	data[6] = atomic64_read(&vnic->tx_gso);
}

const struct ethtool_ops xsvnic_ethtool_ops = {
	.get_drvinfo		= xsvnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= xsvnic_get_link_ksettings,
	.get_ringparam		= xsvnic_get_ringparam,
	.get_sset_count		= xsvnic_get_sset_count,
	.get_strings		= xsvnic_get_strings,
	.get_ethtool_stats	= xsvnic_get_ethtool_stats,
};
