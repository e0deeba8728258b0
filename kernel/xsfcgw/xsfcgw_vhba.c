// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One host vHBA as the card sees it: its control channel (enable, task
 * management), what it is told of the FC link and of the targets it may
 * see, its LIO sessions, and its end.
 *
 * A target is visible to a vHBA when the port's link is up, the target
 * port (TPG) is enabled and LIO lets the vHBA's initiator name log in to
 * it (a node ACL named by its WWPN, or the TPG's demo mode); its LUNs are
 * those LIO maps for that node.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "xsfcgw.h"

static atomic_t xsfcgw_next_vp = ATOMIC_INIT(0);

static void xsfcgw_vhba_release(struct kref *kref)
{
	kfree(container_of(kref, struct xsfcgw_vhba, kref));
}

void xsfcgw_vhba_put(struct xsfcgw_vhba *vhba)
{
	kref_put(&vhba->kref, xsfcgw_vhba_release);
}

/* The vHBA of @resource_id as configured; caller holds port->mutex. */
struct xsfcgw_initiator *xsfcgw_initiator_find(struct xsfcgw_port *port,
					       u64 resource_id)
{
	struct xsfcgw_initiator *initiator;

	lockdep_assert_held(&port->mutex);
	list_for_each_entry(initiator, &port->initiators, node)
		if (initiator->resource_id == resource_id)
			return initiator;
	return NULL;
}

u64 xsfcgw_initiator_wwpn(struct xsfcgw_port *port, u64 resource_id)
{
	struct xsfcgw_initiator *initiator;

	initiator = xsfcgw_initiator_find(port, resource_id);
	return initiator ? initiator->wwpn : 0;
}

/* Close the vHBA of @resource_id, if connected; caller holds port->mutex. */
void xsfcgw_port_close_rid(struct xsfcgw_port *port, u64 resource_id,
			   const char *why)
{
	struct xsfcgw_vhba *vhba;

	lockdep_assert_held(&port->mutex);
	list_for_each_entry(vhba, &port->vhbas, node)
		if (vhba->resource_id == resource_id)
			xsfcgw_vhba_close(vhba, why);
}

static void xsfcgw_nexus_remove(struct xsfcgw_vhba *vhba,
				struct xsfcgw_nexus *nexus)
{
	xsfcgw_held_end_all(vhba, true, XSVHBA_COMP_STATUS_PORT_UNAVAILABLE);
	/* The held work may have taken some due ones with this nexus. */
	flush_delayed_work(&vhba->held_work);
	/* No submission may be between its lookup and the session's count. */
	wait_event(vhba->idle, !READ_ONCE(nexus->users));
	target_stop_session(nexus->sess);
	target_wait_for_sess_cmds(nexus->sess);
	target_remove_session(nexus->sess);
	kfree(nexus);
}

/* Stop taking commands for a nexus; its caller removes it. */
static bool xsfcgw_nexus_unlink(struct xsfcgw_vhba *vhba,
				struct xsfcgw_nexus *nexus)
{
	unsigned long flags;
	bool was;

	spin_lock_irqsave(&vhba->lock, flags);
	was = !nexus->gone;
	if (was) {
		nexus->gone = true;
		list_del(&nexus->node);
	}
	spin_unlock_irqrestore(&vhba->lock, flags);
	return was;
}

static void xsfcgw_close_work(struct work_struct *work)
{
	struct xsfcgw_vhba *vhba = container_of(work, struct xsfcgw_vhba,
						close_work);
	struct xsfcgw_port *port = vhba->port;
	struct xsfcgw_nexus *nexus, *next;
	unsigned long flags;
	LIST_HEAD(nexuses);

	pr_info("%s: vHBA %#llx: connections closed (%s)\n", port->name,
		vhba->resource_id, vhba->why);
	/* It runs no more: closing is set. */
	cancel_delayed_work_sync(&vhba->conn_work);
	/* Every request posted, ours and rdma_rw's, completes (flushed). */
	if (vhba->data)
		xscore_conn_drain(vhba->data);
	if (vhba->ctrl)
		xscore_conn_drain(vhba->ctrl);
	cancel_delayed_work_sync(&vhba->held_work);
	xsfcgw_held_end_all(vhba, true, XSVHBA_COMP_STATUS_RESET);

	spin_lock_irqsave(&vhba->lock, flags);
	list_for_each_entry_safe(nexus, next, &vhba->nexuses, node) {
		nexus->gone = true;
		list_move_tail(&nexus->node, &nexuses);
	}
	spin_unlock_irqrestore(&vhba->lock, flags);
	list_for_each_entry_safe(nexus, next, &nexuses, node)
		xsfcgw_nexus_remove(vhba, nexus);
	wait_event(vhba->idle, !READ_ONCE(vhba->in_use));

	mutex_lock(&port->mutex);
	list_del(&vhba->node);
	port->n_vhbas--;
	mutex_unlock(&port->mutex);

	/* Their handlers end here; none runs, nor kicks, afterwards. */
	if (vhba->data)
		xscore_conn_close(vhba->data);
	if (vhba->ctrl)
		xscore_conn_close(vhba->ctrl);
	/* What the drain kicked. */
	cancel_delayed_work_sync(&vhba->conn_work);
	xscore_conn_destroy(vhba->data);
	xscore_conn_destroy(vhba->ctrl);
	xsfcgw_cmds_free(vhba);
	xsfcgw_vhba_put(vhba);	/* the close's */
	xsfcgw_vhba_put(vhba);	/* the port list's */
}

/**
 * xsfcgw_vhba_create() - a vHBA that has no connection yet
 * @port: the card port it came in on
 * @resource_id: its resource id (the connection's private data)
 *
 * Return: the vHBA with one reference, or an ERR_PTR.
 */
struct xsfcgw_vhba *xsfcgw_vhba_create(struct xsfcgw_port *port,
				       u64 resource_id)
{
	struct xsfcgw_vhba *vhba;

	vhba = kzalloc(sizeof(*vhba), GFP_KERNEL);
	if (!vhba)
		return ERR_PTR(-ENOMEM);
	vhba->port = port;
	vhba->resource_id = resource_id;
	vhba->vp_index = atomic_inc_return(&xsfcgw_next_vp) % 255 + 1;
	vhba->last_heard = jiffies;
	vhba->heartbeat_due = jiffies;
	kref_init(&vhba->kref);
	mutex_init(&vhba->mutex);
	spin_lock_init(&vhba->lock);
	INIT_LIST_HEAD(&vhba->node);
	INIT_LIST_HEAD(&vhba->held);
	INIT_LIST_HEAD(&vhba->nexuses);
	init_waitqueue_head(&vhba->idle);
	INIT_WORK(&vhba->close_work, xsfcgw_close_work);
	INIT_DELAYED_WORK(&vhba->conn_work, xsfcgw_conn_work);
	INIT_DELAYED_WORK(&vhba->held_work, xsfcgw_held_work);
	return vhba;
}

/**
 * xsfcgw_vhba_close() - drop a vHBA and everything it owns
 * @vhba: the vHBA
 * @why: for the log
 *
 * From any context; the work does it.  Only the first call counts.
 */
void xsfcgw_vhba_close(struct xsfcgw_vhba *vhba, const char *why)
{
	unsigned long flags;
	bool first;

	spin_lock_irqsave(&vhba->lock, flags);
	first = !vhba->closing;
	if (first) {
		vhba->closing = true;
		vhba->dead = true;
		vhba->why = why;
	}
	spin_unlock_irqrestore(&vhba->lock, flags);
	if (!first)
		return;
	kref_get(&vhba->kref);
	queue_work(xsfcgw_wq, &vhba->close_work);
}

/* Close every vHBA of the port and wait until they are gone. */
void xsfcgw_port_close_all(struct xsfcgw_port *port, const char *why)
{
	struct xsfcgw_vhba *vhba;

	mutex_lock(&port->mutex);
	list_for_each_entry(vhba, &port->vhbas, node)
		xsfcgw_vhba_close(vhba, why);
	mutex_unlock(&port->mutex);
	flush_workqueue(xsfcgw_wq);
}

static int xsfcgw_ctrl_send(struct xsfcgw_vhba *vhba, const void *head,
			    u32 head_len, const void *body, u32 body_len)
{
	int ret = xsfcgw_conn_send(vhba, vhba->ctrl, head, head_len, body,
				   body_len);

	if (ret && ret != -ENOBUFS)
		xsfcgw_vhba_close(vhba, "control send failed");
	return ret;
}

/**
 * xsfcgw_vhba_heartbeat() - tell an enabled vHBA's host the card is there
 * @vhba: the vHBA
 *
 * Its host arms its own silence watch on the first one (a card that never
 * sends them is not watched).  Caller holds port->mutex.
 *
 * Return: 0 once sent, or when the vHBA is not enabled; -ENOBUFS while
 * the control ring is full; else a send error, which closes the vHBA.
 */
int xsfcgw_vhba_heartbeat(struct xsfcgw_vhba *vhba)
{
	struct xsvhba_enable msg = {
		.type		= XSVHBA_CTRL_TYPE_HEART_BEAT,
		.resource_id	= cpu_to_le64(vhba->resource_id),
	};
	int ret = 0;

	lockdep_assert_held(&vhba->port->mutex);
	mutex_lock(&vhba->mutex);
	if (vhba->enabled && !vhba->closing)
		ret = xsfcgw_ctrl_send(vhba, &msg, sizeof(msg), NULL, 0);
	mutex_unlock(&vhba->mutex);
	return ret;
}

/* The LUNs LIO maps for the vHBA's node on this target. */
static void xsfcgw_nexus_luns(struct xsfcgw_nexus *nexus, unsigned long *luns)
{
	struct se_node_acl *nacl = nexus->sess->se_node_acl;
	struct se_dev_entry *deve;

	bitmap_zero(luns, XSVHBA_MAX_LUNS);
	rcu_read_lock();
	hlist_for_each_entry_rcu(deve, &nacl->lun_entry_hlist, link)
		if (deve->mapped_lun < XSVHBA_MAX_LUNS)
			__set_bit(deve->mapped_lun, luns);
	rcu_read_unlock();
}

static struct xsfcgw_nexus *xsfcgw_nexus_find(struct xsfcgw_vhba *vhba,
					      struct xsfcgw_tpg *tpg)
{
	struct xsfcgw_nexus *nexus, *found = NULL;
	unsigned long flags;

	spin_lock_irqsave(&vhba->lock, flags);
	list_for_each_entry(nexus, &vhba->nexuses, node)
		if (nexus->tpg == tpg)
			found = nexus;
	spin_unlock_irqrestore(&vhba->lock, flags);
	return found;
}

/* The vHBA's session with a target, made on first need; NULL: masked. */
static struct xsfcgw_nexus *xsfcgw_nexus_get(struct xsfcgw_vhba *vhba,
					     struct xsfcgw_tpg *tpg)
{
	struct xsfcgw_port *port = vhba->port;
	struct xsfcgw_nexus *nexus;
	struct se_session *sess;
	unsigned long flags;
	char name[24];
	u64 wwpn;

	lockdep_assert_held(&port->mutex);
	lockdep_assert_held(&vhba->mutex);
	nexus = xsfcgw_nexus_find(vhba, tpg);
	if (nexus)
		return nexus;
	wwpn = xsfcgw_initiator_wwpn(port, vhba->resource_id);
	if (wwpn)
		snprintf(name, sizeof(name), "%016llx", wwpn);
	else
		snprintf(name, sizeof(name), "rid-%llx", vhba->resource_id);
	nexus = kzalloc(sizeof(*nexus), GFP_KERNEL);
	if (!nexus)
		return NULL;
	nexus->tpg = tpg;
	nexus->vhba = vhba;
	sess = target_setup_session(&tpg->tpg, 0, 0, TARGET_PROT_NORMAL, name,
				    nexus, NULL);
	if (IS_ERR(sess)) {
		kfree(nexus);
		return NULL;
	}
	nexus->sess = sess;
	spin_lock_irqsave(&vhba->lock, flags);
	list_add_tail(&nexus->node, &vhba->nexuses);
	spin_unlock_irqrestore(&vhba->lock, flags);
	return nexus;
}

static void xsfcgw_tgt_info(struct xsfcgw_tpg *tpg, const unsigned long *luns,
			    struct xsvhba_tgt_info *info)
{
	unsigned int n = 0, lun;

	memset(info, 0, sizeof(*info));
	for_each_set_bit(lun, luns, XSVHBA_MAX_LUNS) {
		info->lun_map[lun / 8] |= 1 << (lun % 8);
		info->lun_ids[n++] = cpu_to_le16(lun);
	}
	info->lun_count = cpu_to_be16(n);
	info->loop_id = cpu_to_be16(tpg->loop_id);
	info->persistent_binding = cpu_to_be32(XSVHBA_UNBOUND);
	info->port_id = cpu_to_be32(XSFCGW_FC_DOMAIN | tpg->loop_id);
	put_unaligned_be64(tpg->wwpn, info->wwpn);
	put_unaligned_be64(tpg->wwpn | 1ULL << 60, info->wwnn);
}

/* Each send returns -ENOBUFS while the control ring is full: told again later. */
static int xsfcgw_send_link(struct xsfcgw_vhba *vhba, bool up)
{
	struct xsvhba_plink_status msg = {
		.type			= XSVHBA_CTRL_TYPE_PLINK_STATUS_UPDATE,
		.phy_link_status	= cpu_to_be16(up ? XSVHBA_LINK_STATUS_UP :
						      XSVHBA_LINK_STATUS_DOWN),
		.conn_down_timeout	= cpu_to_be32(XSFCGW_DOWN_TIMEOUT),
	};

	int ret;

	ret = xsfcgw_ctrl_send(vhba, &msg, sizeof(msg), NULL, 0);
	if (ret)
		return ret;
	vhba->link_told = up;
	vhba->link_told_valid = true;
	pr_info("%s: vHBA %#llx: FC link %s\n", vhba->port->name,
		vhba->resource_id, up ? "up" : "down");
	return 0;
}

static int xsfcgw_send_tgt_status(struct xsfcgw_vhba *vhba, u16 loop_id,
				  u64 wwpn, const struct xsvhba_tgt_info *info,
				  bool found)
{
	struct xsvhba_tgt_status *msg;
	int ret;

	msg = kzalloc(sizeof(*msg), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	msg->type = XSVHBA_CTRL_TYPE_TGT_STATUS_UPDATE;
	msg->flag = found ? XSVHBA_TARGET_STATE_FOUND : XSVHBA_TARGET_STATE_LOST;
	msg->loop_id = cpu_to_be16(loop_id);
	put_unaligned_be64(wwpn, msg->wwpn);
	msg->port_id = cpu_to_be32(XSFCGW_FC_DOMAIN | loop_id);
	msg->persistent_binding = cpu_to_be32(XSVHBA_UNBOUND);
	msg->port_down_timeout = cpu_to_be32(XSFCGW_DOWN_TIMEOUT);
	if (info) {
		msg->lun_count = info->lun_count;
		memcpy(msg->lun_map, info->lun_map, sizeof(msg->lun_map));
		memcpy(msg->lun_ids, info->lun_ids, sizeof(msg->lun_ids));
		memcpy(msg->wwnn, info->wwnn, sizeof(msg->wwnn));
	}
	ret = xsfcgw_ctrl_send(vhba, msg, sizeof(*msg), NULL, 0);
	kfree(msg);
	if (ret)
		return ret;
	pr_info("%s: vHBA %#llx: target %016llx %s, %u LUNs\n",
		vhba->port->name, vhba->resource_id, wwpn,
		found ? "found" : "lost", info ? be16_to_cpu(info->lun_count) : 0);
	return 0;
}

/* The target as this vHBA may see it now; false: not at all. */
static bool xsfcgw_visible(struct xsfcgw_vhba *vhba, struct xsfcgw_tpg *tpg,
			   unsigned long *luns)
{
	struct xsfcgw_nexus *nexus;

	if (!vhba->port->link_up || !tpg->enabled)
		return false;
	nexus = xsfcgw_nexus_get(vhba, tpg);
	if (!nexus)
		return false;
	xsfcgw_nexus_luns(nexus, luns);
	return true;
}

/*
 * Tell an enabled vHBA what changed since it was last told: the link,
 * then each target found (or whose LUNs changed) and lost.  Return: 0,
 * or the error of the first message not sent (the rest wait with it).
 */
static int xsfcgw_report_one(struct xsfcgw_vhba *vhba)
{
	DECLARE_BITMAP(seen, XSVHBA_MAX_TARGETS);
	DECLARE_BITMAP(luns, XSVHBA_MAX_LUNS);
	struct xsfcgw_port *port = vhba->port;
	struct xsvhba_tgt_info *info;
	struct xsfcgw_tpg *tpg;
	struct xsfcgw_told *told;
	unsigned int i;
	int ret = 0;

	lockdep_assert_held(&port->mutex);
	lockdep_assert_held(&vhba->mutex);
	if (!vhba->enabled || vhba->closing)
		return 0;
	if (!vhba->link_told_valid || vhba->link_told != port->link_up) {
		ret = xsfcgw_send_link(vhba, port->link_up);
		if (ret)
			return ret;
	}
	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	bitmap_zero(seen, XSVHBA_MAX_TARGETS);
	list_for_each_entry(tpg, &port->tpgs, node) {
		i = tpg->loop_id - XSFCGW_FIRST_LOOP_ID;
		if (!xsfcgw_visible(vhba, tpg, luns))
			continue;
		__set_bit(i, seen);
		told = &vhba->told[i];
		if (told->found && told->wwpn == tpg->wwpn &&
		    bitmap_equal(told->luns, luns, XSVHBA_MAX_LUNS))
			continue;
		xsfcgw_tgt_info(tpg, luns, info);
		ret = xsfcgw_send_tgt_status(vhba, tpg->loop_id, tpg->wwpn, info,
					     true);
		if (ret)
			goto out;
		told->found = true;
		told->wwpn = tpg->wwpn;
		bitmap_copy(told->luns, luns, XSVHBA_MAX_LUNS);
	}
	for (i = 0; i < XSVHBA_MAX_TARGETS; i++) {
		told = &vhba->told[i];
		if (!told->found || test_bit(i, seen))
			continue;
		ret = xsfcgw_send_tgt_status(vhba, XSFCGW_FIRST_LOOP_ID + i,
					     told->wwpn, NULL, false);
		if (ret)
			break;
		told->found = false;
	}
out:
	kfree(info);
	return ret;
}

/* DISC_INFO_UPDATE with one target, then the vHBA's own FC id. */
struct xsfcgw_disc_first {
	struct xsvhba_disc_info	head;
	struct xsvhba_tgt_info	info;
	__be32			port_id;
} __packed;

/*
 * ENABLE_RSP, the link, and discovery: the first target in
 * DISC_INFO_UPDATE, each other in a continuation (a control buffer holds
 * one).
 */
static void xsfcgw_enable(struct xsfcgw_vhba *vhba)
{
	struct xsfcgw_port *port = vhba->port;
	struct xsvhba_enable_rsp rsp = {
		.type		= XSVHBA_CTRL_TYPE_ENABLE_RSP,
		.vp_index	= vhba->vp_index,
		.resource_id	= cpu_to_le64(vhba->resource_id),
	};
	struct xsfcgw_disc_first *first;
	struct xsvhba_disc_cont cont = {
		.type		= XSVHBA_CTRL_TYPE_DISC_INFO_CONT_UPDATE,
		.target_count	= cpu_to_be16(1),
	};
	DECLARE_BITMAP(luns, XSVHBA_MAX_LUNS);
	struct xsfcgw_tpg *tpg;
	unsigned int n = 0, total = 0, i;
	int ret, unsent;

	lockdep_assert_held(&port->mutex);
	lockdep_assert_held(&vhba->mutex);
	first = kzalloc(sizeof(*first), GFP_KERNEL);
	if (!first) {
		xsfcgw_vhba_close(vhba, "no memory");
		return;
	}
	vhba->enabled = true;
	memset(vhba->told, 0, sizeof(vhba->told));
	xsfcgw_ctrl_send(vhba, &rsp, sizeof(rsp), NULL, 0);
	unsent = xsfcgw_send_link(vhba, port->link_up);
	list_for_each_entry(tpg, &port->tpgs, node)
		if (xsfcgw_visible(vhba, tpg, luns))
			total++;
	first->head.type = XSVHBA_CTRL_TYPE_DISC_INFO_UPDATE;
	first->head.cont_count = cpu_to_be16(total ? total - 1 : 0);
	first->port_id = cpu_to_be32(XSFCGW_FC_DOMAIN);
	list_for_each_entry(tpg, &port->tpgs, node) {
		if (n == total || !xsfcgw_visible(vhba, tpg, luns))
			continue;
		i = tpg->loop_id - XSFCGW_FIRST_LOOP_ID;
		xsfcgw_tgt_info(tpg, luns, &first->info);
		if (!n) {
			first->head.target_count = cpu_to_be16(1);
			ret = xsfcgw_ctrl_send(vhba, first, sizeof(*first),
					       NULL, 0);
		} else {
			cont.seg_num = n;
			ret = xsfcgw_ctrl_send(vhba, &cont, sizeof(cont),
					       &first->info,
					       sizeof(first->info));
		}
		n++;
		/* A target not told now is found by a report later. */
		if (ret) {
			unsent = ret;
			continue;
		}
		vhba->told[i].found = true;
		vhba->told[i].wwpn = tpg->wwpn;
		bitmap_copy(vhba->told[i].luns, luns, XSVHBA_MAX_LUNS);
	}
	if (!total) {
		xsfcgw_ctrl_send(vhba, &first->head, sizeof(first->head),
				 &first->port_id, sizeof(first->port_id));
	}
	pr_info("%s: vHBA %#llx enabled (vp index %u), %u targets\n",
		port->name, vhba->resource_id, vhba->vp_index, total);
	kfree(first);
	if (unsent)
		queue_delayed_work(xsfcgw_wq, &port->report_work,
				   XSFCGW_REPORT_RETRY);
}

static void xsfcgw_try_enable(struct xsfcgw_vhba *vhba)
{
	struct xsfcgw_port *port = vhba->port;

	mutex_lock(&port->mutex);
	mutex_lock(&vhba->mutex);
	if (vhba->enable_asked && !vhba->enabled && vhba->ring_known &&
	    vhba->ctrl && !vhba->closing)
		xsfcgw_enable(vhba);
	mutex_unlock(&vhba->mutex);
	mutex_unlock(&port->mutex);
}

/* INIT_BLOCK came (data connection's completion work). */
void xsfcgw_vhba_ring_known(struct xsfcgw_vhba *vhba)
{
	xsfcgw_try_enable(vhba);
}

/* Tell every enabled vHBA of the port what changed. */
void xsfcgw_port_report(struct xsfcgw_port *port)
{
	mod_delayed_work(xsfcgw_wq, &port->report_work, 0);
}

void xsfcgw_report_work(struct work_struct *work)
{
	struct xsfcgw_port *port = container_of(to_delayed_work(work),
						struct xsfcgw_port,
						report_work);
	struct xsfcgw_vhba *vhba;
	bool unsent = false;

	mutex_lock(&port->mutex);
	list_for_each_entry(vhba, &port->vhbas, node) {
		mutex_lock(&vhba->mutex);
		if (xsfcgw_report_one(vhba))
			unsent = true;
		mutex_unlock(&vhba->mutex);
	}
	mutex_unlock(&port->mutex);
	/* A full control ring empties as the host takes its messages. */
	if (unsent)
		queue_delayed_work(xsfcgw_wq, &port->report_work,
				   XSFCGW_REPORT_RETRY);
}

/*
 * A target port goes (configfs rmdir): each vHBA's session with it ends
 * once its commands have.  Caller holds no lock.
 */
void xsfcgw_tpg_unlink_nexuses(struct xsfcgw_tpg *tpg)
{
	struct xsfcgw_port *port = tpg->port;
	struct xsfcgw_nexus *nexus;
	struct xsfcgw_vhba *vhba;

	for (;;) {
		nexus = NULL;
		mutex_lock(&port->mutex);
		list_for_each_entry(vhba, &port->vhbas, node) {
			nexus = xsfcgw_nexus_find(vhba, tpg);
			if (nexus && xsfcgw_nexus_unlink(vhba, nexus)) {
				kref_get(&vhba->kref);
				break;
			}
			nexus = NULL;
		}
		mutex_unlock(&port->mutex);
		if (!nexus)
			return;
		xsfcgw_nexus_remove(vhba, nexus);
		xsfcgw_vhba_put(vhba);
	}
}

static void xsfcgw_tmf(struct xsfcgw_vhba *vhba, const void *msg, u32 len)
{
	const struct xsvhba_tgt_reset *reset = msg;

	if (len < sizeof(*reset)) {
		atomic_inc(&vhba->port->stats.malformed);
		return;
	}
	xsfcgw_held_end_all(vhba, false, XSVHBA_COMP_STATUS_RESET);
	pr_info("%s: vHBA %#llx: %s of %016llx\n", vhba->port->name,
		vhba->resource_id,
		reset->type == XSVHBA_CTRL_TYPE_LUN_RESET ? "LUN_RESET" :
		"TGT_RESET", get_unaligned_be64(reset->wwpn));
}

static void xsfcgw_abort_msg(struct xsfcgw_vhba *vhba, const void *msg,
			     u32 len)
{
	const struct xsvhba_abort_cmd *abort = msg;
	const char *outcome;
	bool done;

	if (len < sizeof(*abort)) {
		atomic_inc(&vhba->port->stats.malformed);
		return;
	}
	done = xsfcgw_abort(vhba, le32_to_cpu(abort->handle_to_abort),
			    &outcome);
	xsfcgw_send_abort_iocb(vhba, abort, done);
	pr_info("%s: vHBA %#llx: abort of %#x: %s\n", vhba->port->name,
		vhba->resource_id, le32_to_cpu(abort->handle_to_abort),
		outcome);
}

/**
 * xsfcgw_vhba_control() - one message from the vHBA's control connection
 * @vhba: the vHBA
 * @msg: the message
 * @len: its length as it arrived
 *
 * Runs in the control connection's completion work.
 */
void xsfcgw_vhba_control(struct xsfcgw_vhba *vhba, const void *msg, u32 len)
{
	const u8 *type = msg;

	if (!len) {
		atomic_inc(&vhba->port->stats.malformed);
		return;
	}
	switch (*type) {
	case XSVHBA_CTRL_TYPE_ENABLE_VHBA_Q:
		mutex_lock(&vhba->mutex);
		vhba->enable_asked = true;
		mutex_unlock(&vhba->mutex);
		xsfcgw_try_enable(vhba);
		break;
	case XSVHBA_CTRL_TYPE_ABORT_CMD:
		xsfcgw_abort_msg(vhba, msg, len);
		break;
	case XSVHBA_CTRL_TYPE_TGT_RESET:
	case XSVHBA_CTRL_TYPE_LUN_RESET:
		xsfcgw_tmf(vhba, msg, len);
		break;
	case XSVHBA_CTRL_TYPE_HEART_BEAT:
	case XSVHBA_CTRL_TYPE_DISABLE_VHBA_Q:
	case XSVHBA_CTRL_TYPE_LINK_RESET:
		break;
	default:
		atomic_inc(&vhba->port->stats.malformed);
		break;
	}
}
