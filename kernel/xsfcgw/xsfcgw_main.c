// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The FC gateway's LIO fabric: card ports as WWNs, FC target ports as
 * TPGs (named by their port WWN), node ACLs named by vHBAs' port WWNs,
 * and the module's life.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "compat.h"
#include "xsfcgw.h"

struct workqueue_struct *xsfcgw_wq;

static char *xsfcgw_tpg_get_wwn(struct se_portal_group *se_tpg)
{
	return xsfcgw_tpg_of(se_tpg)->port->name;
}

static u16 xsfcgw_tpg_get_tag(struct se_portal_group *se_tpg)
{
	return xsfcgw_tpg_of(se_tpg)->loop_id;
}

static u32 xsfcgw_tpg_default_depth(struct se_portal_group *se_tpg)
{
	return XSFCGW_DEPTH;
}

static int xsfcgw_tpg_demo_mode(struct se_portal_group *se_tpg)
{
	return READ_ONCE(xsfcgw_tpg_of(se_tpg)->demo_mode);
}

static int xsfcgw_tpg_yes(struct se_portal_group *se_tpg)
{
	return 1;
}

static int xsfcgw_tpg_no(struct se_portal_group *se_tpg)
{
	return 0;
}

static u32 xsfcgw_tpg_inst_index(struct se_portal_group *se_tpg)
{
	return 1;
}

static int xsfcgw_check_stop_free(struct se_cmd *se_cmd)
{
	return target_put_sess_cmd(se_cmd);
}

/* LIO ends a session (its node ACL goes): the vHBA starts over. */
static void xsfcgw_close_session(struct se_session *se_sess)
{
	struct xsfcgw_nexus *nexus = se_sess->fabric_sess_ptr;

	xsfcgw_vhba_close(nexus->vhba, "its node ACL went");
}

static u32 xsfcgw_sess_get_index(struct se_session *se_sess)
{
	return 0;
}

static void xsfcgw_set_default_node_attrs(struct se_node_acl *nacl)
{
}

static int xsfcgw_get_cmd_state(struct se_cmd *se_cmd)
{
	return xsfcgw_cmd_of(se_cmd)->state;
}

static void xsfcgw_queue_tm_rsp(struct se_cmd *se_cmd)
{
}

static void xsfcgw_aborted_task(struct se_cmd *se_cmd)
{
}

/* A name the fabric takes: 16 hex digits, a port WWN. */
static int xsfcgw_parse_wwpn(const char *name, u64 *wwpn)
{
	if (strlen(name) != 16)
		return -EINVAL;
	return kstrtou64(name, 16, wwpn);
}

static struct se_wwn *xsfcgw_make_wwn(struct target_fabric_configfs *tf,
				      struct config_group *group,
				      const char *name)
{
	struct xsfcgw_port *port;
	const char *c;

	if (!*name || strlen(name) >= sizeof(port->name))
		return ERR_PTR(-EINVAL);
	for (c = name; *c; c++)
		if (!isalnum(*c) && *c != '-' && *c != '_')
			return ERR_PTR(-EINVAL);
	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return ERR_PTR(-ENOMEM);
	strscpy(port->name, name, sizeof(port->name));
	port->link_up = true;
	mutex_init(&port->mutex);
	INIT_LIST_HEAD(&port->tpgs);
	INIT_LIST_HEAD(&port->vhbas);
	INIT_LIST_HEAD(&port->initiators);
	ida_init(&port->loop_ids);
	INIT_DELAYED_WORK(&port->report_work, xsfcgw_report_work);
	xsfcgw_debugfs_add(port);
	return &port->wwn;
}

/* The card port's own attributes, in <wwn>/card/. */
static void xsfcgw_add_wwn_groups(struct se_wwn *wwn)
{
	struct xsfcgw_port *port = xsfcgw_port_of(wwn);

	config_group_init_type_name(&port->card_group, "card",
				    &xsfcgw_card_cit);
	config_group_init_type_name(&port->initiators_group, "initiators",
				    &xsfcgw_initiators_cit);
	configfs_add_default_group(&port->initiators_group, &port->card_group);
	configfs_add_default_group(&port->card_group, &wwn->wwn_group);
}

static void xsfcgw_drop_wwn(struct se_wwn *wwn)
{
	struct xsfcgw_port *port = xsfcgw_port_of(wwn);

	xsfcgw_debugfs_remove(port);
	mutex_lock(&port->mutex);
	xsfcgw_unlisten(port);
	mutex_unlock(&port->mutex);
	xsfcgw_port_close_all(port, "card port removed");
	cancel_delayed_work_sync(&port->report_work);
	ida_destroy(&port->loop_ids);
	kfree(port);
}

static struct se_portal_group *xsfcgw_make_tpg(struct se_wwn *wwn,
					       const char *name)
{
	struct xsfcgw_port *port = xsfcgw_port_of(wwn);
	struct xsfcgw_tpg *tpg;
	u64 wwpn;
	int ret;

	ret = xsfcgw_parse_wwpn(name, &wwpn);
	if (ret)
		return ERR_PTR(ret);
	tpg = kzalloc(sizeof(*tpg), GFP_KERNEL);
	if (!tpg)
		return ERR_PTR(-ENOMEM);
	tpg->port = port;
	tpg->wwpn = wwpn;
	tpg->demo_mode = true;
	ret = ida_alloc_max(&port->loop_ids, XSVHBA_MAX_TARGETS - 1,
			    GFP_KERNEL);
	if (ret < 0)
		goto free_tpg;
	tpg->loop_id = XSFCGW_FIRST_LOOP_ID + ret;
	ret = core_tpg_register(wwn, &tpg->tpg, SCSI_PROTOCOL_FCP);
	if (ret)
		goto free_loop_id;
	mutex_lock(&port->mutex);
	list_add_tail(&tpg->node, &port->tpgs);
	mutex_unlock(&port->mutex);
	return &tpg->tpg;

free_loop_id:
	ida_free(&port->loop_ids, tpg->loop_id - XSFCGW_FIRST_LOOP_ID);
free_tpg:
	kfree(tpg);
	return ERR_PTR(ret);
}

static int xsfcgw_enable_tpg(struct se_portal_group *se_tpg, bool enable)
{
	struct xsfcgw_tpg *tpg = xsfcgw_tpg_of(se_tpg);

	WRITE_ONCE(tpg->enabled, enable);
	xsfcgw_port_report(tpg->port);
	return 0;
}

static void xsfcgw_drop_tpg(struct se_portal_group *se_tpg)
{
	struct xsfcgw_tpg *tpg = xsfcgw_tpg_of(se_tpg);
	struct xsfcgw_port *port = tpg->port;

	mutex_lock(&port->mutex);
	list_del(&tpg->node);
	mutex_unlock(&port->mutex);
	xsfcgw_tpg_unlink_nexuses(tpg);
	xsfcgw_port_report(port);
	core_tpg_deregister(se_tpg);
	ida_free(&port->loop_ids, tpg->loop_id - XSFCGW_FIRST_LOOP_ID);
	kfree(tpg);
}

static int xsfcgw_init_nodeacl(struct se_node_acl *se_nacl, const char *name)
{
	u64 wwpn;

	return xsfcgw_parse_wwpn(name, &wwpn);
}

const struct target_core_fabric_ops xsfcgw_ops = {
	.module				= THIS_MODULE,
	.fabric_name			= XSFCGW_NAME,
	.node_acl_size			= sizeof(struct xsfcgw_nacl),
	.max_data_sg_nents		= XSFCGW_MAX_XFER / PAGE_SIZE,
	.tpg_get_wwn			= xsfcgw_tpg_get_wwn,
	.tpg_get_tag			= xsfcgw_tpg_get_tag,
	.tpg_get_default_depth		= xsfcgw_tpg_default_depth,
	.tpg_check_demo_mode		= xsfcgw_tpg_demo_mode,
	.tpg_check_demo_mode_cache	= xsfcgw_tpg_yes,
	.tpg_check_demo_mode_write_protect = xsfcgw_tpg_no,
	.tpg_check_prod_mode_write_protect = xsfcgw_tpg_no,
	.tpg_get_inst_index		= xsfcgw_tpg_inst_index,
	.check_stop_free		= xsfcgw_check_stop_free,
	.release_cmd			= xsfcgw_release_cmd,
	.close_session			= xsfcgw_close_session,
	.sess_get_index			= xsfcgw_sess_get_index,
	.write_pending			= xsfcgw_write_pending,
	.set_default_node_attributes	= xsfcgw_set_default_node_attrs,
	.get_cmd_state			= xsfcgw_get_cmd_state,
	.queue_data_in			= xsfcgw_queue_data_in,
	.queue_status			= xsfcgw_queue_status,
	.queue_tm_rsp			= xsfcgw_queue_tm_rsp,
	.aborted_task			= xsfcgw_aborted_task,
	.fabric_make_wwn		= xsfcgw_make_wwn,
	.fabric_drop_wwn		= xsfcgw_drop_wwn,
	.add_wwn_groups			= xsfcgw_add_wwn_groups,
	.fabric_make_tpg		= xsfcgw_make_tpg,
	.fabric_enable_tpg		= xsfcgw_enable_tpg,
	.fabric_drop_tpg		= xsfcgw_drop_tpg,
	.fabric_init_nodeacl		= xsfcgw_init_nodeacl,
	.tfc_tpg_base_attrs		= xsfcgw_tpg_attrs,
	.tfc_tpg_attrib_attrs		= xsfcgw_tpg_attrib_attrs,
	XSFCGW_FABRIC_SUBMIT_OPS
};

static int __init xsfcgw_init(void)
{
	int ret;

	xsfcgw_wq = alloc_workqueue("xsfcgw", WQ_UNBOUND, 0);
	if (!xsfcgw_wq)
		return -ENOMEM;
	xsfcgw_debugfs_init();
	ret = target_register_template(&xsfcgw_ops);
	if (ret) {
		xsfcgw_debugfs_exit();
		destroy_workqueue(xsfcgw_wq);
	}
	return ret;
}

static void __exit xsfcgw_exit(void)
{
	target_unregister_template(&xsfcgw_ops);
	xsfcgw_debugfs_exit();
	destroy_workqueue(xsfcgw_wq);
}

module_init(xsfcgw_init);
module_exit(xsfcgw_exit);

MODULE_DESCRIPTION("Xsigo I/O director FC gateway (LIO fabric)");
MODULE_LICENSE("Dual BSD/GPL");
