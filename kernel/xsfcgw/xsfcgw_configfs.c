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
 *   initiators  "RID WWPN" (hex) names a vHBA for the node ACLs; "-RID"
 *               forgets it; reading lists them
 *   stats       what hosts sent that was refused, and commands run
 *   vhbas       the vHBAs connected: resource id, enabled, commands held
 * target/xsfcgw/<port>/<target wwpn>/
 *   loop_id; the faults on its READs and WRITEs: delay_ms, drop (held
 *   until aborted), stuck (not even then), stale_ms (moved that late
 *   with the keys they came with, never ended)
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
	flush_work(&port->report_work);
	return count;
}

static ssize_t xsfcgw_wwn_restart_store(struct config_item *item,
					const char *page, size_t count)
{
	xsfcgw_port_close_all(xsfcgw_item_port(item), "card restart");
	return count;
}

static ssize_t xsfcgw_wwn_initiators_show(struct config_item *item,
					  char *page)
{
	struct xsfcgw_port *port = xsfcgw_item_port(item);
	ssize_t len = 0;
	unsigned int i;

	BUILD_BUG_ON(XSFCGW_MAX_INITIATORS *
		     (sizeof(XSFCGW_INITIATOR_LINE) - 1) >= PAGE_SIZE);
	mutex_lock(&port->mutex);
	for (i = 0; i < port->n_initiators; i++)
		len += sysfs_emit_at(page, len, "%llx %016llx\n",
				     port->initiators[i].resource_id,
				     port->initiators[i].wwpn);
	mutex_unlock(&port->mutex);
	return len;
}

static ssize_t xsfcgw_wwn_initiators_store(struct config_item *item,
					   const char *page, size_t count)
{
	struct xsfcgw_port *port = xsfcgw_item_port(item);
	u64 rid, wwpn = 0;
	bool forget;
	unsigned int i;
	int ret = 0;

	forget = page[0] == '-';
	if (forget) {
		if (sscanf(page + 1, "%llx", &rid) != 1)
			return -EINVAL;
	} else if (sscanf(page, "%llx %llx", &rid, &wwpn) != 2 || !wwpn) {
		return -EINVAL;
	}
	mutex_lock(&port->mutex);
	for (i = 0; i < port->n_initiators; i++)
		if (port->initiators[i].resource_id == rid)
			break;
	if (forget) {
		if (i < port->n_initiators)
			port->initiators[i] =
				port->initiators[--port->n_initiators];
	} else if (i < port->n_initiators) {
		port->initiators[i].wwpn = wwpn;
	} else if (i < XSFCGW_MAX_INITIATORS) {
		port->initiators[i].resource_id = rid;
		port->initiators[i].wwpn = wwpn;
		port->n_initiators++;
	} else {
		ret = -ENOSPC;
	}
	mutex_unlock(&port->mutex);
	return ret ? ret : count;
}

static ssize_t xsfcgw_wwn_stats_show(struct config_item *item, char *page)
{
	struct xsfcgw_stats *s = &xsfcgw_item_port(item)->stats;

	return sysfs_emit(page,
			  "commands %d\nmalformed %d\nring_index %d\nbad_handle %d\ndup_handle %d\nbad_length %d\nbad_sg %d\nbad_lun %d\nlength_mismatch %d\nno_target %d\ntoo_many %d\n",
			  atomic_read(&s->commands), atomic_read(&s->malformed),
			  atomic_read(&s->ring_index),
			  atomic_read(&s->bad_handle),
			  atomic_read(&s->dup_handle),
			  atomic_read(&s->bad_length), atomic_read(&s->bad_sg),
			  atomic_read(&s->bad_lun),
			  atomic_read(&s->length_mismatch),
			  atomic_read(&s->no_target),
			  atomic_read(&s->too_many));
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
CONFIGFS_ATTR(xsfcgw_wwn_, initiators);
CONFIGFS_ATTR_RO(xsfcgw_wwn_, stats);
CONFIGFS_ATTR_RO(xsfcgw_wwn_, vhbas);

static struct configfs_attribute *xsfcgw_wwn_attrs[] = {
	&xsfcgw_wwn_attr_listen,
	&xsfcgw_wwn_attr_link,
	&xsfcgw_wwn_attr_rescan,
	&xsfcgw_wwn_attr_restart,
	&xsfcgw_wwn_attr_initiators,
	&xsfcgw_wwn_attr_stats,
	&xsfcgw_wwn_attr_vhbas,
	NULL,
};

const struct config_item_type xsfcgw_card_cit = {
	.ct_attrs	= xsfcgw_wwn_attrs,
	.ct_owner	= THIS_MODULE,
};

static ssize_t xsfcgw_tpg_loop_id_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%#x\n", xsfcgw_item_tpg(item)->loop_id);
}

static int xsfcgw_fault_uint(struct xsfcgw_tpg *tpg, const char *page,
			     unsigned int *field)
{
	unsigned int value;
	int ret;

	ret = kstrtouint(page, 0, &value);
	if (ret)
		return ret;
	mutex_lock(&tpg->port->mutex);
	WRITE_ONCE(*field, value);
	mutex_unlock(&tpg->port->mutex);
	return 0;
}

static int xsfcgw_fault_bool(struct xsfcgw_tpg *tpg, const char *page,
			     bool *flag)
{
	bool on;
	int ret;

	ret = kstrtobool(page, &on);
	if (ret)
		return ret;
	mutex_lock(&tpg->port->mutex);
	WRITE_ONCE(*flag, on);
	mutex_unlock(&tpg->port->mutex);
	return 0;
}

static ssize_t xsfcgw_tpg_delay_ms_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n",
			  READ_ONCE(xsfcgw_item_tpg(item)->fault.delay_ms));
}

static ssize_t xsfcgw_tpg_delay_ms_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct xsfcgw_tpg *tpg = xsfcgw_item_tpg(item);

	return xsfcgw_fault_uint(tpg, page, &tpg->fault.delay_ms) ?: count;
}

static ssize_t xsfcgw_tpg_stale_ms_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n",
			  READ_ONCE(xsfcgw_item_tpg(item)->fault.stale_ms));
}

static ssize_t xsfcgw_tpg_stale_ms_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct xsfcgw_tpg *tpg = xsfcgw_item_tpg(item);

	return xsfcgw_fault_uint(tpg, page, &tpg->fault.stale_ms) ?: count;
}

static ssize_t xsfcgw_tpg_drop_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n",
			  READ_ONCE(xsfcgw_item_tpg(item)->fault.drop));
}

static ssize_t xsfcgw_tpg_drop_store(struct config_item *item,
				     const char *page, size_t count)
{
	struct xsfcgw_tpg *tpg = xsfcgw_item_tpg(item);

	return xsfcgw_fault_bool(tpg, page, &tpg->fault.drop) ?: count;
}

static ssize_t xsfcgw_tpg_stuck_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n",
			  READ_ONCE(xsfcgw_item_tpg(item)->fault.stuck));
}

static ssize_t xsfcgw_tpg_stuck_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct xsfcgw_tpg *tpg = xsfcgw_item_tpg(item);

	return xsfcgw_fault_bool(tpg, page, &tpg->fault.stuck) ?: count;
}

CONFIGFS_ATTR(xsfcgw_tpg_, delay_ms);
CONFIGFS_ATTR(xsfcgw_tpg_, stale_ms);
CONFIGFS_ATTR(xsfcgw_tpg_, drop);
CONFIGFS_ATTR(xsfcgw_tpg_, stuck);
CONFIGFS_ATTR_RO(xsfcgw_tpg_, loop_id);

struct configfs_attribute *xsfcgw_tpg_attrs[] = {
	&xsfcgw_tpg_attr_loop_id,
	&xsfcgw_tpg_attr_delay_ms,
	&xsfcgw_tpg_attr_stale_ms,
	&xsfcgw_tpg_attr_drop,
	&xsfcgw_tpg_attr_stuck,
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
