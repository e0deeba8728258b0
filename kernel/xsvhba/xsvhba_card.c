// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The vHBA's two connections to its FC card and the control channel:
 * connect both, register the ring and tell the card where it is
 * (INIT_BLOCK), enable the queue, then follow the FC link and the targets
 * the card reports.  Any failure tears both down, ends what the card held
 * so that the midlayer retries it once the targets are back, reports
 * OPER_DOWN and retries with a backoff.
 */
#include <linux/jiffies.h>
#include <linux/sched/mm.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_transport_fc.h>

#include "compat.h"
#include "xsvhba.h"
#include "xsvhba_check.h"

void xsvhba_kick(struct xsvhba *vhba)
{
	xscore_session_kick(&vhba->session);
}

static struct xsvhba *xsvhba_of_session(struct xscore_session *session)
{
	return container_of(session, struct xsvhba, session);
}

static void xsvhba_ctrl_kick(struct xscore_conn *conn)
{
	xsvhba_kick(xscore_conn_context(conn));
}

static void xsvhba_data_kick(struct xscore_conn *conn)
{
	xsvhba_kick(xscore_conn_context(conn));
}

/* Every control message goes here: the heartbeat waits for quiet. */
static int xsvhba_ctrl_send(struct xsvhba *vhba, const void *msg, u32 len)
{
	int ret = xscore_conn_send(vhba->ctrl, msg, len, NULL, 0);

	if (!ret)
		WRITE_ONCE(vhba->last_ctrl_sent, jiffies);
	return ret;
}

static u64 xsvhba_wwn(const u8 *wwn)
{
	return get_unaligned_be64(wwn);
}

static void xsvhba_tgt_info(struct xsvhba *vhba,
			    const struct xsvhba_tgt_info *info)
{
	xsvhba_target_update(vhba, xsvhba_wwn(info->wwpn),
			     xsvhba_wwn(info->wwnn),
			     be32_to_cpu(info->port_id) & 0xffffff,
			     be16_to_cpu(info->loop_id), info->lun_map, true);
}

/*
 * DISC_INFO_UPDATE or DISC_INFO_CONT_UPDATE: header, target_count targets,
 * (first segment only) our own FC id.  The count is checked against the
 * length before any target is read.
 */
static enum xsvhba_check xsvhba_disc_info(struct xsvhba *vhba,
					  const void *data, u32 len, bool first)
{
	u32 head = first ? sizeof(struct xsvhba_disc_info) :
		   sizeof(struct xsvhba_disc_cont);
	const struct xsvhba_tgt_info *info;
	enum xsvhba_check why;
	unsigned int count, i;

	why = xsvhba_check_disc_info(data, len, first, &count);
	if (why)
		return why;
	xsvhba_count(vhba, &vhba->counters.disc_updates);
	info = data + head;
	for (i = 0; i < count; i++)
		xsvhba_tgt_info(vhba, &info[i]);
	if (first && len - head - count * sizeof(*info) >= sizeof(__be32))
		vhba->port_id = get_unaligned_be32(&info[count]) & 0xffffff;
	return XSVHBA_CHECK_OK;
}

static enum xsvhba_check xsvhba_tgt_status(struct xsvhba *vhba,
					   const void *data, u32 len)
{
	const struct xsvhba_tgt_status *msg = data;
	enum xsvhba_check why = xsvhba_check_tgt_status(len);

	if (why)
		return why;
	xsvhba_target_update(vhba, xsvhba_wwn(msg->wwpn),
			     xsvhba_wwn(msg->wwnn),
			     be32_to_cpu(msg->port_id) & 0xffffff,
			     be16_to_cpu(msg->loop_id), msg->lun_map,
			     msg->flag == XSVHBA_TARGET_STATE_FOUND);
	return XSVHBA_CHECK_OK;
}

static enum xsvhba_check xsvhba_plink(struct xsvhba *vhba, const void *data,
				      u32 len)
{
	const struct xsvhba_plink_status *msg = data;
	enum xsvhba_check why = xsvhba_check_plink(len);
	unsigned int noio;
	bool up;

	if (why)
		return why;
	up = be16_to_cpu(msg->phy_link_status) == XSVHBA_LINK_STATUS_UP;
	if (up == vhba->fc_link_up)
		return XSVHBA_CHECK_OK;
	vhba->fc_link_up = up;
	shost_printk(KERN_INFO, vhba->shost, "FC link %s\n",
		     up ? "up" : "down");
	/*
	 * The FC transport's netlink event for fcoemon-like listeners.  From
	 * the recovery work, which a root on this vHBA may wait on: its
	 * GFP_KERNEL allocation must not start I/O.
	 */
	noio = memalloc_noio_save();
	fc_host_post_event(vhba->shost, fc_get_event_number(),
			   up ? FCH_EVT_LINKUP : FCH_EVT_LINKDOWN, 0);
	memalloc_noio_restore(noio);
	/* Targets block until they come back or their loss timeout ends. */
	if (!up) {
		xsvhba_count(vhba, &vhba->counters.fc_link_downs);
		xsvhba_targets_lost(vhba);
	}
	xsvhba_set_port_state(vhba);
	return XSVHBA_CHECK_OK;
}

static enum xsvhba_check xsvhba_enabled(struct xsvhba *vhba, const void *data,
					u32 len)
{
	const struct xsvhba_enable_rsp *msg = data;
	enum xsvhba_check why;

	why = xsvhba_check_enable_rsp(len, vhba->session.state ==
				      XSCORE_SESSION_OPENING);
	if (why)
		return why;
	vhba->vp_index = msg->vp_index;
	xscore_session_opened(&vhba->session);
	spin_lock_bh(&vhba->ring_lock);
	vhba->ready = true;
	spin_unlock_bh(&vhba->ring_lock);
	shost_printk(KERN_INFO, vhba->shost, "enabled on FC card %016llx\n",
		     vhba->card_guid);
	xsvhba_report_oper(vhba, true);
	return XSVHBA_CHECK_OK;
}

/* One control message from the card; lengths are checked before use. */
static void xsvhba_ctrl_deliver(struct xscore_conn *conn, void *data, u32 len)
{
	struct xsvhba *vhba = xscore_conn_context(conn);
	const u8 *type = data;
	enum xsvhba_check why;

	lockdep_assert_held(&vhba->session.mutex);
	why = xsvhba_check_ctrl(data, len);
	if (why) {
		xsvhba_refused(vhba, why, &vhba->counters.ctrl_malformed);
		return;
	}
	switch (*type) {
	case XSVHBA_CTRL_TYPE_ENABLE_RSP:
		why = xsvhba_enabled(vhba, data, len);
		break;
	case XSVHBA_CTRL_TYPE_PLINK_STATUS_UPDATE:
		why = xsvhba_plink(vhba, data, len);
		break;
	case XSVHBA_CTRL_TYPE_DISC_INFO_UPDATE:
		why = xsvhba_disc_info(vhba, data, len, true);
		break;
	case XSVHBA_CTRL_TYPE_DISC_INFO_CONT_UPDATE:
		why = xsvhba_disc_info(vhba, data, len, false);
		break;
	case XSVHBA_CTRL_TYPE_TGT_STATUS_UPDATE:
		why = xsvhba_tgt_status(vhba, data, len);
		break;
	default:	/* HEART_BEAT: from here on, the card's silence ends it */
		xscore_session_alive(&vhba->session, XSVHBA_CARD_SILENCE);
		break;
	}
	if (why)
		xsvhba_refused(vhba, why, &vhba->counters.ctrl_malformed);
	else
		xsvhba_count(vhba, &vhba->counters.ctrl_in);
}

/* Both connections go; what the card held ends for a retry. */
static void xsvhba_teardown(struct xscore_session *session)
{
	struct xsvhba *vhba = xsvhba_of_session(session);

	lockdep_assert_held(&session->mutex);
	spin_lock_bh(&vhba->ring_lock);
	vhba->ready = false;
	spin_unlock_bh(&vhba->ring_lock);
	xsvhba_targets_lost(vhba);
	irq_poll_disable(&vhba->iop);
	xscore_conn_close(vhba->data);
	xscore_conn_close(vhba->ctrl);
	xsvhba_purge(vhba, DID_TRANSPORT_DISRUPTED);
	/* Every command has ended: a reset asked for is done. */
	clear_bit(XSVHBA_RESET_ASKED, &vhba->flags);
	xsvhba_keys_release(vhba);
	irq_poll_enable(&vhba->iop);
	vhba->fc_link_up = false;
	xsvhba_set_port_state(vhba);
}

static void xsvhba_down(struct xscore_session *session,
			enum xscore_session_state old, const char *why, int err)
{
	struct xsvhba *vhba = xsvhba_of_session(session);

	lockdep_assert_held(&session->mutex);
	if (old == XSCORE_SESSION_UP) {
		shost_printk(KERN_WARNING, vhba->shost,
			     "FC card connection lost: %s (%d)\n", why, err);
		xsvhba_count(vhba, &vhba->counters.reconnects);
	} else {
		dev_dbg(&vhba->vdev->adev.dev, "connecting to the FC card: %s (%d)\n",
			why, err);
	}
	if (vhba->oper_up)
		xsvhba_report_oper(vhba, false);
}

static void xsvhba_fail(struct xsvhba *vhba, const char *why, int err)
{
	xscore_session_fail(&vhba->session, why, err);
}

/* Start again from nothing (host reset, a stuck card). */
void xsvhba_reconnect(struct xsvhba *vhba, const char *why)
{
	xscore_session_reset(&vhba->session, why);
}

/*
 * The XCM's admin state.  Down ends the session with the card as a lost
 * card would: the targets block, and are failed by their loss timeout if
 * the vHBA is not up again by then.  Up connects at once.
 */
void xsvhba_set_admin(struct xsvhba *vhba, bool up)
{
	bool changed;

	mutex_lock(&vhba->session.mutex);
	changed = vhba->admin_down == up;
	WRITE_ONCE(vhba->admin_down, !up);
	if (changed && !up &&
	    vhba->session.state != XSCORE_SESSION_DOWN)
		xsvhba_fail(vhba, "administratively down", -ENETDOWN);
	mutex_unlock(&vhba->session.mutex);
	if (changed) {
		shost_printk(KERN_INFO, vhba->shost, "administratively %s\n",
			     up ? "up" : "down");
		if (up)
			xsvhba_reconnect(vhba, "administratively up");
	}
}

/*
 * From any context: the work resets both connections, which ends every
 * command (the data QP is destroyed before they end).  For when the data
 * connection cannot take a command's key back.
 */
void xsvhba_ask_reset(struct xsvhba *vhba)
{
	set_bit(XSVHBA_RESET_ASKED, &vhba->flags);
	xsvhba_kick(vhba);
}

/* Both up: keys, INIT_BLOCK on data, ENABLE_VHBA_Q on control. */
static int xsvhba_enable(struct xsvhba *vhba)
{
	struct xsvhba_enable enable = {
		.type		= XSVHBA_CTRL_TYPE_ENABLE_VHBA_Q,
		.resource_id	= cpu_to_le64(vhba->resource_id),
	};
	struct xsvhba_init_block init = {
		.type		= XSVHBA_DATA_TYPE_INIT_BLOCK,
		.entry_size	= XSVHBA_IOCB_SIZE,
		.ring_size	= cpu_to_le16(XSVHBA_RING_SIZE),
	};
	int ret;

	ret = xsvhba_keys_setup(vhba);
	if (ret)
		return ret;
	init.read_index_rkey = cpu_to_le32(vhba->index_mr->rkey);
	init.base_addr_rkey = cpu_to_le32(vhba->ring_mr->rkey);
	init.read_index_addr = cpu_to_le64(vhba->index_mr->iova);
	init.base_addr = cpu_to_le64(vhba->ring_mr->iova);
	ret = xscore_conn_send(vhba->data, &init, sizeof(init), NULL, 0);
	if (!ret)
		ret = xsvhba_ctrl_send(vhba, &enable, sizeof(enable));
	return ret;
}

static int xsvhba_connect(struct xscore_session *session)
{
	struct xsvhba *vhba = xsvhba_of_session(session);
	struct xscore_card_route *route = &vhba->route;
	int ret;

	lockdep_assert_held(&session->mutex);
	if (vhba->admin_down)
		return -ENETDOWN;
	/* Data first, as the original: the card expects it. */
	ret = xscore_conn_connect(vhba->data, &route->src, &route->dst);
	if (!ret)
		ret = xscore_conn_connect(vhba->ctrl, &route->src, &route->dst);
	return ret;
}

/* HEART_BEAT when nothing else went on control (the original's message). */
static void xsvhba_heartbeat(struct xsvhba *vhba)
{
	struct xsvhba_enable msg = {
		.type		= XSVHBA_CTRL_TYPE_HEART_BEAT,
		.resource_id	= cpu_to_le64(vhba->resource_id),
	};
	unsigned long due;
	int ret;

	lockdep_assert_held(&vhba->session.mutex);
	due = READ_ONCE(vhba->last_ctrl_sent) + XSVHBA_HEARTBEAT;
	if (time_after_eq(jiffies, due)) {
		ret = xsvhba_ctrl_send(vhba, &msg, sizeof(msg));
		if (ret && ret != -ENOBUFS) {
			xsvhba_fail(vhba, "heartbeat", ret);
			return;
		}
		/* A full ring empties as the card takes it: soon again. */
		due = jiffies + (ret ? HZ / 10 : XSVHBA_HEARTBEAT);
	}
	xscore_session_wake_at(&vhba->session, due);
}

static void xsvhba_step(struct xscore_session *session)
{
	struct xsvhba *vhba = xsvhba_of_session(session);
	enum xscore_conn_progress ctrl, data;
	int ret;

	lockdep_assert_held(&session->mutex);
	if (test_and_clear_bit(XSVHBA_RESET_ASKED, &vhba->flags)) {
		xsvhba_fail(vhba, "keys not invalidated", -ETIMEDOUT);
		return;
	}
	ctrl = xscore_conn_step(vhba->ctrl);
	data = xscore_conn_step(vhba->data);
	if (ctrl == XSCORE_CONN_FAILED) {
		xsvhba_fail(vhba, "control", xscore_conn_error(vhba->ctrl));
		return;
	}
	if (data == XSCORE_CONN_FAILED) {
		xsvhba_fail(vhba, "data", xscore_conn_error(vhba->data));
		return;
	}
	if (session->state == XSCORE_SESSION_CONNECTING &&
	    xscore_conn_established(vhba->ctrl) &&
	    xscore_conn_established(vhba->data)) {
		ret = xsvhba_enable(vhba);
		if (ret) {
			xsvhba_fail(vhba, "enable", ret);
			return;
		}
		xscore_session_connected(session);
	}
	ret = xscore_conn_receive(vhba->ctrl, xsvhba_ctrl_deliver);
	if (ret) {
		xsvhba_fail(vhba, "control receive", ret);
		return;
	}
	if (session->state == XSCORE_SESSION_UP)
		xsvhba_heartbeat(vhba);
}

/* No callback and no work runs after this. */
void xsvhba_stop(struct xsvhba *vhba)
{
	xscore_session_stop(&vhba->session);
}

/* Whether commands may flow: ENABLE_RSP came. */
bool xsvhba_enabled_on_card(struct xsvhba *vhba)
{
	return xscore_session_state(&vhba->session) == XSCORE_SESSION_UP;
}

static const char *xsvhba_name(struct xscore_session *session)
{
	return dev_name(&xsvhba_of_session(session)->shost->shost_gendev);
}

static const struct xscore_session_ops xsvhba_session_ops = {
	.connect	= xsvhba_connect,
	.step		= xsvhba_step,
	.teardown	= xsvhba_teardown,
	.down		= xsvhba_down,
	.name		= xsvhba_name,
};

static const struct xscore_session_params xsvhba_session_params = {
	.ops			= &xsvhba_session_ops,
	.connect_timeout	= XSVHBA_CONNECT_TIMEOUT,
	.open_timeout		= XSVHBA_ENABLE_TIMEOUT,
	.backoff_max		= XSVHBA_RETRY_MAX,
	.open_timeout_why	= "no ENABLE_RSP",
	.alive_timeout_why	= "FC card silent",
};

/* TGT_RESET (sdev NULL) or LUN_RESET for the target of sdev. */
int xsvhba_send_tmf(struct xsvhba *vhba, u8 type, struct scsi_device *sdev)
{
	struct fc_rport *rport = starget_to_rport(scsi_target(sdev));
	struct xsvhba_tgt_reset msg = {
		.type		= type,
		.vhba_id	= cpu_to_le16(vhba->vp_index),
	};

	put_unaligned_be64(rport->port_name, msg.wwpn);
	if (type == XSVHBA_CTRL_TYPE_LUN_RESET)
		msg.lun = cpu_to_le16(sdev->lun);
	xsvhba_count(vhba, &vhba->counters.resets);
	xsvhba_count(vhba, type == XSVHBA_CTRL_TYPE_LUN_RESET ?
		     &vhba->counters.lun_resets :
		     &vhba->counters.target_resets);
	return xsvhba_ctrl_send(vhba, &msg, sizeof(msg));
}

int xsvhba_send_abort(struct xsvhba *vhba, struct xsvhba_cmd *cmd)
{
	struct fc_rport *rport =
		starget_to_rport(scsi_target(cmd->scmnd->device));
	struct xsvhba_rport *rp = rport->dd_data;
	struct xsvhba_abort_cmd msg = {
		.type			= XSVHBA_CTRL_TYPE_ABORT_CMD,
		.vhba_id		= cpu_to_le16(vhba->vp_index),
		.handle_to_abort	= cpu_to_le32(cmd->handle),
		.port_id		= { rp->port_id & 0xff,
					    (rp->port_id >> 8) & 0xff,
					    (rp->port_id >> 16) & 0xff },
	};

	xsvhba_count(vhba, &vhba->counters.aborts);
	return xsvhba_ctrl_send(vhba, &msg, sizeof(msg));
}

int xsvhba_conns_init(struct xsvhba *vhba)
{
	struct xscore_conn_params ctrl = {
		.ring			= XSVHBA_CTRL_RING,
		.buf_size		= XSVHBA_CTRL_BUF_SIZE,
		.private_data		= &vhba->ctrl_pdata,
		.private_data_len	= sizeof(vhba->ctrl_pdata),
		.kick			= xsvhba_ctrl_kick,
	};
	/*
	 * A status and a write index update per command in flight; a
	 * registration and an invalidation each, plus the ring's two; the
	 * card reads the ring and written data from here.
	 */
	struct xscore_conn_params data = {
		.ring			= 2 * vhba->queue_depth,
		.buf_size		= XSVHBA_STATUS_BUF_SIZE,
		.private_data		= &vhba->data_pdata,
		.private_data_len	= sizeof(vhba->data_pdata),
		.kick			= xsvhba_data_kick,
		.rx_notify		= xsvhba_data_rx_notify,
		.owner_wrs		= 2 * vhba->queue_depth + 2,
		.responder_resources	= 16,
	};
	int ret;

	xscore_session_init(&vhba->session, &xsvhba_session_params);
	xscore_vdev_card_route(vhba->vdev, vhba->card_guid,
			       XSVHBA_CARD_RDMA_CM_PORT, &vhba->route);
	vhba->ctrl_pdata.vid = cpu_to_be64(vhba->resource_id);
	vhba->ctrl_pdata.qp_type = cpu_to_be16(XSVHBA_QP_TYPE_CONTROL);
	vhba->data_pdata.vid = cpu_to_be64(vhba->resource_id);
	vhba->data_pdata.qp_type = cpu_to_be16(XSVHBA_QP_TYPE_DATA);

	vhba->ctrl = xscore_conn_create(vhba->route.ibdev, vhba->route.port_num,
					&ctrl, vhba);
	if (IS_ERR(vhba->ctrl))
		return PTR_ERR(vhba->ctrl);
	vhba->data = xscore_conn_create(vhba->route.ibdev, vhba->route.port_num,
					&data, vhba);
	if (IS_ERR(vhba->data)) {
		ret = PTR_ERR(vhba->data);
		goto cleanup_ctrl;
	}
	ret = xsvhba_ring_alloc(vhba);
	if (ret)
		goto cleanup_data;
	return 0;

cleanup_data:
	xscore_conn_destroy(vhba->data);
cleanup_ctrl:
	xscore_conn_destroy(vhba->ctrl);
	return ret;
}

void xsvhba_conns_cleanup(struct xsvhba *vhba)
{
	xsvhba_ring_free(vhba);
	xscore_conn_destroy(vhba->data);
	xscore_conn_destroy(vhba->ctrl);
}
