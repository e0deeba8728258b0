// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The gateway's configuration, as the director's control plane writes it:
 *
 *   /sys/kernel/config/xsethgw/<port>/uplink    interface name
 *                                    /address   IPv6 address to listen at
 *                                    /link      1 up, 0 down (port-link)
 *                                    /enable    1 serves hosts, 0 stops
 *                                    /stats     refused connections
 *   /sys/kernel/config/xsethgw/<port>/vnics/<resource id, hex>/mac
 *                                                             /mtu
 *                                                             /host
 *                                                             /stats
 *
 * uplink and address are written before enable; a vNIC's directory and
 * its host (the GID of the session that installed it) are what let its
 * host connect.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/inet.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "xsethgw.h"

/* Serialises configfs writes: ports' settings, enable and link. */
DEFINE_MUTEX(xsethgw_cfg_mutex);

static const char *const xsethgw_drop_names[XSETHGW_DROP_COUNT] = {
	[XSETHGW_DROP_RUNT]		= "runt",
	[XSETHGW_DROP_OVERSIZE]		= "oversize",
	[XSETHGW_DROP_SRC_MAC]		= "foreign_src_mac",
	[XSETHGW_DROP_VLAN]		= "vlan_not_assigned",
	[XSETHGW_DROP_LINK_DOWN]	= "link_down",
	[XSETHGW_DROP_NO_MEM]		= "no_mem",
	[XSETHGW_DROP_RING_FULL]	= "ring_full",
	[XSETHGW_DROP_TOO_BIG_FOR_HOST]	= "too_big_for_host",
	[XSETHGW_DROP_CTRL_MALFORMED]	= "ctrl_malformed",
	[XSETHGW_DROP_TSO_PREFIX]	= "tso_prefix",
	[XSETHGW_DROP_GSO]		= "gso_malformed",
};

static struct xsethgw_vnic *to_vnic(struct config_item *item)
{
	return container_of(to_config_group(item), struct xsethgw_vnic, group);
}

static struct xsethgw_port *to_port(struct config_item *item)
{
	return container_of(to_config_group(item), struct xsethgw_port, group);
}

/* A vNIC's attributes. */

static ssize_t xsethgw_vnic_mac_show(struct config_item *item, char *page)
{
	return sprintf(page, "%pM\n", to_vnic(item)->mac);
}

static ssize_t xsethgw_vnic_mac_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct xsethgw_vnic *vnic = to_vnic(item);
	u8 mac[ETH_ALEN];

	if (!mac_pton(page, mac) || !is_valid_ether_addr(mac))
		return -EINVAL;
	mutex_lock(&xsethgw_cfg_mutex);
	rtnl_lock();
	if (vnic->uc_added && vnic->filtered_on) {
		dev_uc_del(vnic->filtered_on, vnic->mac);
		vnic->uc_added = false;
	}
	ether_addr_copy(vnic->mac, mac);
	xsethgw_vnic_sync_uplink(vnic);
	rtnl_unlock();
	mutex_unlock(&xsethgw_cfg_mutex);
	return count;
}

static ssize_t xsethgw_vnic_mtu_show(struct config_item *item, char *page)
{
	return sprintf(page, "%u\n", READ_ONCE(to_vnic(item)->mtu));
}

static ssize_t xsethgw_vnic_mtu_store(struct config_item *item,
				      const char *page, size_t count)
{
	unsigned int mtu;

	if (kstrtouint(page, 0, &mtu) || mtu < ETH_MIN_MTU ||
	    mtu > XSETHGW_MAX_MTU)
		return -EINVAL;
	WRITE_ONCE(to_vnic(item)->mtu, mtu);
	return count;
}

static ssize_t xsethgw_vnic_host_show(struct config_item *item, char *page)
{
	struct xsethgw_vnic *vnic = to_vnic(item);
	union ib_gid host;

	mutex_lock(&vnic->lock);
	host = vnic->host;
	mutex_unlock(&vnic->lock);
	return xscore_conn_host_show(page, &host);
}

/*
 * A new host for the vNIC: the connections of the one before go.  None
 * (an empty line) refuses new connections and leaves the ones there.
 */
static ssize_t xsethgw_vnic_host_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct xsethgw_vnic *vnic = to_vnic(item);
	union ib_gid host;
	bool moved;
	int ret;

	ret = xscore_conn_host_parse(page, &host);
	if (ret)
		return ret;
	mutex_lock(&vnic->lock);
	moved = xscore_conn_host_bound(&host) &&
		memcmp(&vnic->host, &host, sizeof(host));
	vnic->host = host;
	mutex_unlock(&vnic->lock);
	if (moved)
		xsethgw_vnic_drop(vnic, "its host changed");
	return count;
}

static ssize_t xsethgw_vnic_stats_show(struct config_item *item, char *page)
{
	struct xsethgw_vnic *vnic = to_vnic(item);
	ssize_t n;
	int i;

	n = sysfs_emit(page,
		       "frames_to_host %lld\nframes_from_host %lld\ngso_from_host %lld\n",
		       atomic64_read(&vnic->frames_to_host),
		       atomic64_read(&vnic->frames_from_host),
		       atomic64_read(&vnic->gso_from_host));
	for (i = 0; i < XSETHGW_DROP_COUNT; i++)
		n += sysfs_emit_at(page, n, "%s %lld\n", xsethgw_drop_names[i],
				   atomic64_read(&vnic->drops[i]));
	return n;
}

CONFIGFS_ATTR(xsethgw_vnic_, mac);
CONFIGFS_ATTR(xsethgw_vnic_, mtu);
CONFIGFS_ATTR(xsethgw_vnic_, host);
CONFIGFS_ATTR_RO(xsethgw_vnic_, stats);

static struct configfs_attribute *xsethgw_vnic_attrs[] = {
	&xsethgw_vnic_attr_mac,
	&xsethgw_vnic_attr_mtu,
	&xsethgw_vnic_attr_host,
	&xsethgw_vnic_attr_stats,
	NULL,
};

static void xsethgw_vnic_item_release(struct config_item *item)
{
	xsethgw_vnic_put(to_vnic(item));
}

static struct configfs_item_operations xsethgw_vnic_item_ops = {
	.release	= xsethgw_vnic_item_release,
};

static const struct config_item_type xsethgw_vnic_type = {
	.ct_item_ops	= &xsethgw_vnic_item_ops,
	.ct_attrs	= xsethgw_vnic_attrs,
	.ct_owner	= THIS_MODULE,
};

/* A port's vnics directory. */

static struct config_group *xsethgw_vnic_make(struct config_group *group,
					      const char *name)
{
	struct xsethgw_port *port =
		container_of(group, struct xsethgw_port, vnics_group);
	struct xsethgw_vnic *vnic;
	u64 resource_id;
	int ret;

	ret = kstrtou64(name, 16, &resource_id);
	if (ret)
		return ERR_PTR(ret);
	vnic = xsethgw_port_find_vnic(port, resource_id);
	if (vnic) {
		xsethgw_vnic_put(vnic);
		return ERR_PTR(-EEXIST);
	}
	vnic = xsethgw_vnic_alloc(port, resource_id);
	if (!vnic)
		return ERR_PTR(-ENOMEM);
	config_group_init_type_name(&vnic->group, name, &xsethgw_vnic_type);
	mutex_lock(&port->lock);
	list_add_tail_rcu(&vnic->node, &port->vnics);
	mutex_unlock(&port->lock);
	return &vnic->group;
}

static void xsethgw_vnic_drop_item(struct config_group *group,
				   struct config_item *item)
{
	xsethgw_vnic_remove(to_vnic(item));
	config_item_put(item);
}

static struct configfs_group_operations xsethgw_vnics_group_ops = {
	.make_group	= xsethgw_vnic_make,
	.drop_item	= xsethgw_vnic_drop_item,
};

static const struct config_item_type xsethgw_vnics_type = {
	.ct_group_ops	= &xsethgw_vnics_group_ops,
	.ct_owner	= THIS_MODULE,
};

/* A port's attributes. */

static ssize_t xsethgw_port_uplink_show(struct config_item *item, char *page)
{
	return sprintf(page, "%s\n", to_port(item)->uplink_name);
}

static ssize_t xsethgw_port_uplink_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct xsethgw_port *port = to_port(item);
	char name[IFNAMSIZ];
	ssize_t ret = count;

	if (strscpy(name, page, sizeof(name)) < 0)
		return -EINVAL;
	strim(name);
	if (!dev_valid_name(name))
		return -EINVAL;
	mutex_lock(&xsethgw_cfg_mutex);
	if (port->enabled)
		ret = -EBUSY;
	else
		strscpy(port->uplink_name, name, sizeof(port->uplink_name));
	mutex_unlock(&xsethgw_cfg_mutex);
	return ret;
}

static ssize_t xsethgw_port_address_show(struct config_item *item,
					 char *page)
{
	struct xsethgw_port *port = to_port(item);

	if (port->addr.sin6_family != AF_INET6)
		return sprintf(page, "\n");
	return sprintf(page, "%pI6c\n", &port->addr.sin6_addr);
}

static ssize_t xsethgw_port_address_store(struct config_item *item,
					  const char *page, size_t count)
{
	struct xsethgw_port *port = to_port(item);
	struct in6_addr addr;
	const char *end;
	ssize_t ret = count;

	if (!in6_pton(page, count, addr.s6_addr, -1, &end) ||
	    (*end && *end != '\n'))
		return -EINVAL;
	mutex_lock(&xsethgw_cfg_mutex);
	if (port->enabled) {
		ret = -EBUSY;
	} else {
		port->addr.sin6_family = AF_INET6;
		port->addr.sin6_addr = addr;
		port->addr.sin6_port = htons(XSVNIC_CARD_RDMA_CM_PORT);
	}
	mutex_unlock(&xsethgw_cfg_mutex);
	return ret;
}

static ssize_t xsethgw_port_link_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", to_port(item)->admin_up);
}

static ssize_t xsethgw_port_link_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct xsethgw_port *port = to_port(item);
	bool up;
	int ret;

	ret = kstrtobool(page, &up);
	if (ret)
		return ret;
	mutex_lock(&xsethgw_cfg_mutex);
	rtnl_lock();
	port->admin_up = up;
	xsethgw_port_update_link(port);
	rtnl_unlock();
	mutex_unlock(&xsethgw_cfg_mutex);
	return count;
}

static ssize_t xsethgw_port_enable_show(struct config_item *item, char *page)
{
	return sprintf(page, "%d\n", to_port(item)->enabled);
}

static ssize_t xsethgw_port_enable_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct xsethgw_port *port = to_port(item);
	bool enable;
	int ret;

	ret = kstrtobool(page, &enable);
	if (ret)
		return ret;
	mutex_lock(&xsethgw_cfg_mutex);
	if (enable)
		ret = xsethgw_port_enable(port);
	else
		xsethgw_port_disable(port);
	mutex_unlock(&xsethgw_cfg_mutex);
	return ret ? ret : count;
}

static ssize_t xsethgw_port_stats_show(struct config_item *item, char *page)
{
	struct xsethgw_port *port = to_port(item);

	return sysfs_emit(page, "refused %lld\nunfinished %lld\n",
			  atomic64_read(&port->refused),
			  atomic64_read(&port->unfinished));
}

CONFIGFS_ATTR(xsethgw_port_, uplink);
CONFIGFS_ATTR(xsethgw_port_, address);
CONFIGFS_ATTR(xsethgw_port_, link);
CONFIGFS_ATTR(xsethgw_port_, enable);
CONFIGFS_ATTR_RO(xsethgw_port_, stats);

static struct configfs_attribute *xsethgw_port_attrs[] = {
	&xsethgw_port_attr_uplink,
	&xsethgw_port_attr_address,
	&xsethgw_port_attr_link,
	&xsethgw_port_attr_enable,
	&xsethgw_port_attr_stats,
	NULL,
};

static void xsethgw_port_item_release(struct config_item *item)
{
	kfree(to_port(item));
}

static struct configfs_item_operations xsethgw_port_item_ops = {
	.release	= xsethgw_port_item_release,
};

static const struct config_item_type xsethgw_port_type = {
	.ct_item_ops	= &xsethgw_port_item_ops,
	.ct_attrs	= xsethgw_port_attrs,
	.ct_owner	= THIS_MODULE,
};

/* The subsystem: one directory per port. */

static struct config_group *xsethgw_port_make(struct config_group *group,
					      const char *name)
{
	struct xsethgw_port *port;

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return ERR_PTR(-ENOMEM);
	mutex_init(&port->lock);
	INIT_LIST_HEAD(&port->vnics);
	port->admin_up = true;
	atomic64_set(&port->refused, 0);
	atomic64_set(&port->unfinished, 0);
	config_group_init_type_name(&port->group, name, &xsethgw_port_type);
	config_group_init_type_name(&port->vnics_group, "vnics",
				    &xsethgw_vnics_type);
	configfs_add_default_group(&port->vnics_group, &port->group);
	xsethgw_debugfs_add(port, name);
	return &port->group;
}

static void xsethgw_port_drop_item(struct config_group *group,
				   struct config_item *item)
{
	xsethgw_debugfs_remove(to_port(item));
	mutex_lock(&xsethgw_cfg_mutex);
	xsethgw_port_disable(to_port(item));
	mutex_unlock(&xsethgw_cfg_mutex);
	config_item_put(item);
}

static struct configfs_group_operations xsethgw_ports_group_ops = {
	.make_group	= xsethgw_port_make,
	.drop_item	= xsethgw_port_drop_item,
};

static const struct config_item_type xsethgw_subsys_type = {
	.ct_group_ops	= &xsethgw_ports_group_ops,
	.ct_owner	= THIS_MODULE,
};

static struct configfs_subsystem xsethgw_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf	= "xsethgw",
			.ci_type	= &xsethgw_subsys_type,
		},
	},
};

/**
 * xsethgw_configfs_init() - register the configuration tree
 *
 * Return: 0, or configfs_register_subsystem()'s error.
 */
int xsethgw_configfs_init(void)
{
	config_group_init(&xsethgw_subsys.su_group);
	mutex_init(&xsethgw_subsys.su_mutex);
	return configfs_register_subsystem(&xsethgw_subsys);
}

/**
 * xsethgw_configfs_exit() - unregister it; configfs holds the module while
 * any port or vNIC directory exists
 */
void xsethgw_configfs_exit(void)
{
	configfs_unregister_subsystem(&xsethgw_subsys);
}
