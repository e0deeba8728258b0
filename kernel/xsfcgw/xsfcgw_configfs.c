// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The gateway's own configfs attributes, beside LIO's:
 *
 * target/xsfcgw/<port>/card/ (LIO gives a fabric no attributes of its own
 * on the WWN directory itself)
 *   listen      "ADDR PORT": take hosts' connections there ("" stops,
 *               and drops every vHBA)
 *   link        1 or 0: the card port's FC link
 *   rescan      write anything: tell each vHBA what changed (LUNs, ACLs)
 *   restart     write anything: drop every vHBA's connections
 *   initiators/<resource id, hex>/ a vHBA the director configured; none
 *               other may connect
 *     wwpn      its initiator name for the node ACLs (hex)
 *     host      the IPv6 address (GID) of the host it may connect from
 *   stats       what hosts sent that was refused, and commands run
 *   vhbas       the vHBAs connected: resource id, enabled, commands held
 * target/xsfcgw/<port>/<target wwpn>/
 *   loop_id
 *   fault       what its READs and WRITEs suffer: "none", "delay MS",
 *               "drop" (held until aborted), "stuck" (not even then),
 *               "stale MS" (moved that late with the keys they came
 *               with, never ended)
 * target/xsfcgw/<port>/<target wwpn>/attrib/generate_node_acls
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/inet.h>
#include <linux/slab.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "xsfcgw.h"

static struct xsfcgw_port *xsfcgw_item_port(struct config_item *item)
{
	return container_of(to_config_group(item), struct xsfcgw_port,
			    card_group);
}

static struct xsfcgw_tpg *xsfcgw_item_tpg(struct config_item *item)
{
	return xsfcgw_tpg_of(container_of(to_config_group(item),
					  struct se_portal_group, tpg_group));
}

static struct xsfcgw_tpg *xsfcgw_attrib_tpg(struct config_item *item)
{
	return xsfcgw_tpg_of(container_of(to_config_group(item),
					  struct se_portal_group,
					  tpg_attrib_group));
}

static ssize_t xsfcgw_wwn_listen_show(struct config_item *item, char *page)
{
	struct xsfcgw_port *port = xsfcgw_item_port(item);
	ssize_t len = 0;

	mutex_lock(&port->mutex);
	if (port->listener)
		len = sysfs_emit(page, "%pI6c %u\n", &port->addr.sin6_addr,
				 ntohs(port->addr.sin6_port));
	mutex_unlock(&port->mutex);
	return len;
}

static ssize_t xsfcgw_wwn_listen_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct xsfcgw_port *port = xsfcgw_item_port(item);
	struct sockaddr_in6 addr = { .sin6_family = AF_INET6 };
	char text[INET6_ADDRSTRLEN + 8];
	unsigned int service;
	const char *end;
	char *space;
	int ret;

	if (count >= sizeof(text))
		return -EINVAL;
	memcpy(text, page, count);
	text[count] = '\0';
	strim(text);
	if (!*text) {
		mutex_lock(&port->mutex);
		xsfcgw_unlisten(port);
		mutex_unlock(&port->mutex);
		xsfcgw_port_close_all(port, "the card port stopped listening");
		return count;
	}
	space = strchr(text, ' ');
	if (!space)
		return -EINVAL;
	*space = '\0';
	if (kstrtouint(space + 1, 0, &service) || !service || service > 0xffff)
		return -EINVAL;
	if (!in6_pton(text, -1, addr.sin6_addr.s6_addr, '\0', &end))
		return -EINVAL;
	addr.sin6_port = htons(service);
	mutex_lock(&port->mutex);
	ret = xsfcgw_listen(port, &addr);
	mutex_unlock(&port->mutex);
	return ret ? ret : count;
}

static ssize_t xsfcgw_wwn_link_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", READ_ONCE(xsfcgw_item_port(item)->link_up));
}

static ssize_t xsfcgw_wwn_link_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct xsfcgw_port *port = xsfcgw_item_port(item);
	bool up;
	int ret;

	ret = kstrtobool(page, &up);
	if (ret)
		return ret;
	mutex_lock(&port->mutex);
	WRITE_ONCE(port->link_up, up);
	mutex_unlock(&port->mutex);
	pr_info("%s: FC link %s\n", port->name, up ? "up" : "down");
	xsfcgw_port_report(port);
	return count;
}

static ssize_t xsfcgw_wwn_rescan_store(struct config_item *item,
				       const char *page, size_t count)
{
	struct xsfcgw_port *port = xsfcgw_item_port(item);

	xsfcgw_port_report(port);
	flush_delayed_work(&port->report_work);
	return count;
}

static ssize_t xsfcgw_wwn_restart_store(struct config_item *item,
					const char *page, size_t count)
{
	xsfcgw_port_close_all(xsfcgw_item_port(item), "card restart");
	return count;
}

static ssize_t xsfcgw_wwn_stats_show(struct config_item *item, char *page)
{
	struct xsfcgw_stats *s = &xsfcgw_item_port(item)->stats;

	return sysfs_emit(page,
			  "commands %d\nmalformed %d\nring_index %d\nbad_handle %d\ndup_handle %d\nbad_length %d\nbad_sg %d\nbad_lun %d\nlength_mismatch %d\nno_target %d\ntoo_many %d\nunknown_vhba %d\nunbound %d\nwrong_host %d\nhost_silent %d\n",
			  atomic_read(&s->commands), atomic_read(&s->malformed),
			  atomic_read(&s->ring_index),
			  atomic_read(&s->bad_handle),
			  atomic_read(&s->dup_handle),
			  atomic_read(&s->bad_length), atomic_read(&s->bad_sg),
			  atomic_read(&s->bad_lun),
			  atomic_read(&s->length_mismatch),
			  atomic_read(&s->no_target),
			  atomic_read(&s->too_many),
			  atomic_read(&s->unknown_vhba),
			  atomic_read(&s->unbound),
			  atomic_read(&s->wrong_host),
			  atomic_read(&s->host_silent));
}

static ssize_t xsfcgw_wwn_vhbas_show(struct config_item *item, char *page)
{
	struct xsfcgw_port *port = xsfcgw_item_port(item);
	struct xsfcgw_vhba *vhba;
	ssize_t len = 0;

	BUILD_BUG_ON(XSFCGW_MAX_VHBAS * (sizeof(XSFCGW_VHBA_LINE) - 1) >=
		     PAGE_SIZE);
	mutex_lock(&port->mutex);
	list_for_each_entry(vhba, &port->vhbas, node)
		len += sysfs_emit_at(page, len, "%llx %s %u\n",
				     vhba->resource_id,
				     vhba->closing ? "closing" :
				     vhba->enabled ? "enabled" : "connecting",
				     READ_ONCE(vhba->in_use));
	mutex_unlock(&port->mutex);
	return len;
}

CONFIGFS_ATTR(xsfcgw_wwn_, listen);
CONFIGFS_ATTR(xsfcgw_wwn_, link);
CONFIGFS_ATTR_WO(xsfcgw_wwn_, rescan);
CONFIGFS_ATTR_WO(xsfcgw_wwn_, restart);
CONFIGFS_ATTR_RO(xsfcgw_wwn_, stats);
CONFIGFS_ATTR_RO(xsfcgw_wwn_, vhbas);

static struct configfs_attribute *xsfcgw_wwn_attrs[] = {
	&xsfcgw_wwn_attr_listen,
	&xsfcgw_wwn_attr_link,
	&xsfcgw_wwn_attr_rescan,
	&xsfcgw_wwn_attr_restart,
	&xsfcgw_wwn_attr_stats,
	&xsfcgw_wwn_attr_vhbas,
	NULL,
};

const struct config_item_type xsfcgw_card_cit = {
	.ct_attrs	= xsfcgw_wwn_attrs,
	.ct_owner	= THIS_MODULE,
};

/* card/initiators/<resource id>/: a vHBA the director configured. */

static struct xsfcgw_initiator *xsfcgw_item_initiator(struct config_item *item)
{
	return container_of(to_config_group(item), struct xsfcgw_initiator,
			    group);
}

static ssize_t xsfcgw_initiator_wwpn_show(struct config_item *item,
					  char *page)
{
	struct xsfcgw_initiator *initiator = xsfcgw_item_initiator(item);
	u64 wwpn;

	mutex_lock(&initiator->port->mutex);
	wwpn = initiator->wwpn;
	mutex_unlock(&initiator->port->mutex);
	return sysfs_emit(page, "%016llx\n", wwpn);
}

/* The name of its node ACLs: the sessions it makes from now on. */
static ssize_t xsfcgw_initiator_wwpn_store(struct config_item *item,
					   const char *page, size_t count)
{
	struct xsfcgw_initiator *initiator = xsfcgw_item_initiator(item);
	u64 wwpn;
	int ret;

	ret = kstrtou64(page, 16, &wwpn);
	if (ret)
		return ret;
	if (!wwpn)
		return -EINVAL;
	mutex_lock(&initiator->port->mutex);
	initiator->wwpn = wwpn;
	mutex_unlock(&initiator->port->mutex);
	return count;
}

static ssize_t xsfcgw_initiator_host_show(struct config_item *item,
					  char *page)
{
	struct xsfcgw_initiator *initiator = xsfcgw_item_initiator(item);
	union ib_gid host;

	mutex_lock(&initiator->port->mutex);
	host = initiator->host;
	mutex_unlock(&initiator->port->mutex);
	return xscore_conn_host_show(page, &host);
}

/*
 * A new host for the vHBA: the connections of the one before go.  None
 * (an empty line) refuses new connections and leaves the ones there.
 */
static ssize_t xsfcgw_initiator_host_store(struct config_item *item,
					   const char *page, size_t count)
{
	struct xsfcgw_initiator *initiator = xsfcgw_item_initiator(item);
	struct xsfcgw_port *port = initiator->port;
	union ib_gid host;
	int ret;

	ret = xscore_conn_host_parse(page, &host);
	if (ret)
		return ret;
	mutex_lock(&port->mutex);
	if (xscore_conn_host_bound(&host) &&
	    memcmp(&initiator->host, &host, sizeof(host)))
		xsfcgw_port_close_rid(port, initiator->resource_id,
				      "its host changed");
	initiator->host = host;
	mutex_unlock(&port->mutex);
	return count;
}

CONFIGFS_ATTR(xsfcgw_initiator_, wwpn);
CONFIGFS_ATTR(xsfcgw_initiator_, host);

static struct configfs_attribute *xsfcgw_initiator_attrs[] = {
	&xsfcgw_initiator_attr_wwpn,
	&xsfcgw_initiator_attr_host,
	NULL,
};

static void xsfcgw_initiator_release(struct config_item *item)
{
	kfree(xsfcgw_item_initiator(item));
}

static struct configfs_item_operations xsfcgw_initiator_item_ops = {
	.release	= xsfcgw_initiator_release,
};

static const struct config_item_type xsfcgw_initiator_cit = {
	.ct_item_ops	= &xsfcgw_initiator_item_ops,
	.ct_attrs	= xsfcgw_initiator_attrs,
	.ct_owner	= THIS_MODULE,
};

static struct xsfcgw_port *xsfcgw_initiators_port(struct config_group *group)
{
	return container_of(group, struct xsfcgw_port, initiators_group);
}

static struct config_group *xsfcgw_initiator_make(struct config_group *group,
						  const char *name)
{
	struct xsfcgw_port *port = xsfcgw_initiators_port(group);
	struct xsfcgw_initiator *initiator;
	u64 rid;
	int ret;

	ret = kstrtou64(name, 16, &rid);
	if (ret)
		return ERR_PTR(ret);
	initiator = kzalloc(sizeof(*initiator), GFP_KERNEL);
	if (!initiator)
		return ERR_PTR(-ENOMEM);
	initiator->port = port;
	initiator->resource_id = rid;
	mutex_lock(&port->mutex);
	if (xsfcgw_initiator_find(port, rid))
		ret = -EEXIST;
	else if (port->n_initiators >= XSFCGW_MAX_INITIATORS)
		ret = -ENOSPC;
	if (!ret) {
		list_add_tail(&initiator->node, &port->initiators);
		port->n_initiators++;
	}
	mutex_unlock(&port->mutex);
	if (ret) {
		kfree(initiator);
		return ERR_PTR(ret);
	}
	config_group_init_type_name(&initiator->group, name,
				    &xsfcgw_initiator_cit);
	return &initiator->group;
}

/* The vHBA is no longer configured: its connections go too. */
static void xsfcgw_initiator_drop(struct config_group *group,
				  struct config_item *item)
{
	struct xsfcgw_initiator *initiator = xsfcgw_item_initiator(item);
	struct xsfcgw_port *port = initiator->port;

	mutex_lock(&port->mutex);
	list_del(&initiator->node);
	port->n_initiators--;
	xsfcgw_port_close_rid(port, initiator->resource_id,
			      "no longer configured");
	mutex_unlock(&port->mutex);
	config_item_put(item);
}

static struct configfs_group_operations xsfcgw_initiators_group_ops = {
	.make_group	= xsfcgw_initiator_make,
	.drop_item	= xsfcgw_initiator_drop,
};

const struct config_item_type xsfcgw_initiators_cit = {
	.ct_group_ops	= &xsfcgw_initiators_group_ops,
	.ct_owner	= THIS_MODULE,
};

static ssize_t xsfcgw_tpg_loop_id_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%#x\n", xsfcgw_item_tpg(item)->loop_id);
}

static const char *const xsfcgw_fault_names[] = {
	[XSFCGW_FAULT_NONE]	= "none",
	[XSFCGW_FAULT_DELAY]	= "delay",
	[XSFCGW_FAULT_DROP]	= "drop",
	[XSFCGW_FAULT_STUCK]	= "stuck",
	[XSFCGW_FAULT_STALE]	= "stale",
};

static bool xsfcgw_fault_timed(enum xsfcgw_fault_kind kind)
{
	return kind == XSFCGW_FAULT_DELAY || kind == XSFCGW_FAULT_STALE;
}

static ssize_t xsfcgw_tpg_fault_show(struct config_item *item, char *page)
{
	struct xsfcgw_tpg *tpg = xsfcgw_item_tpg(item);
	enum xsfcgw_fault_kind kind = READ_ONCE(tpg->fault.kind);

	if (xsfcgw_fault_timed(kind))
		return sysfs_emit(page, "%s %u\n", xsfcgw_fault_names[kind],
				  READ_ONCE(tpg->fault.ms));
	return sysfs_emit(page, "%s\n", xsfcgw_fault_names[kind]);
}

/* "none", "drop", "stuck", or "delay" or "stale" with milliseconds. */
static ssize_t xsfcgw_tpg_fault_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct xsfcgw_tpg *tpg = xsfcgw_item_tpg(item);
	unsigned int ms = 0;
	char name[8], end;
	int kind, fields;
	bool timed;

	fields = sscanf(page, "%7s %u %c", name, &ms, &end);
	if (fields < 1 || fields > 2)
		return -EINVAL;
	timed = fields == 2;
	kind = match_string(xsfcgw_fault_names,
			    ARRAY_SIZE(xsfcgw_fault_names), name);
	if (kind < 0 || xsfcgw_fault_timed(kind) != timed)
		return -EINVAL;
	mutex_lock(&tpg->port->mutex);
	WRITE_ONCE(tpg->fault.kind, kind);
	WRITE_ONCE(tpg->fault.ms, ms);
	mutex_unlock(&tpg->port->mutex);
	return count;
}

CONFIGFS_ATTR(xsfcgw_tpg_, fault);
CONFIGFS_ATTR_RO(xsfcgw_tpg_, loop_id);

struct configfs_attribute *xsfcgw_tpg_attrs[] = {
	&xsfcgw_tpg_attr_loop_id,
	&xsfcgw_tpg_attr_fault,
	NULL,
};

static ssize_t xsfcgw_attrib_generate_node_acls_show(struct config_item *item,
						     char *page)
{
	return sysfs_emit(page, "%d\n",
			  READ_ONCE(xsfcgw_attrib_tpg(item)->demo_mode));
}

static ssize_t xsfcgw_attrib_generate_node_acls_store(struct config_item *item,
						      const char *page,
						      size_t count)
{
	struct xsfcgw_tpg *tpg = xsfcgw_attrib_tpg(item);
	bool on;
	int ret;

	ret = kstrtobool(page, &on);
	if (ret)
		return ret;
	WRITE_ONCE(tpg->demo_mode, on);
	return count;
}

CONFIGFS_ATTR(xsfcgw_attrib_, generate_node_acls);

struct configfs_attribute *xsfcgw_tpg_attrib_attrs[] = {
	&xsfcgw_attrib_attr_generate_node_acls,
	NULL,
};
