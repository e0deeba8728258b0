// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The vHBA as the SCSI midlayer and the FC transport class see it: the
 * host template and its error handlers, the fc_host attributes, and one
 * remote port per target the card reports.  Targets that go away are
 * deleted from the transport, which holds their I/O for dev_loss_tmo (by
 * default the install's link-down timeout) and fails it after.
 */
#include <linux/sysfs.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_eh.h>
#include <scsi/scsi_transport_fc.h>

#include "compat.h"
#include "xsvhba.h"
#include "xsvhba_trace.h"

#define XSVHBA_SPEED		FC_PORTSPEED_4GBIT	/* as the original */
#define XSVHBA_NODE_NAME_BIT	BIT_ULL(32)

struct scsi_transport_template *xsvhba_transport;

static void xsvhba_set_dev_loss_tmo(struct fc_rport *rport, u32 timeout)
{
	rport->dev_loss_tmo = timeout ? timeout : 1;
}

/*
 * The transport ends a blocked port's I/O (fast_io_fail_tmo, dev_loss_tmo,
 * the port's deletion at removal): it calls this on its own work queue
 * before it fails the commands it holds and unblocks the target.  The
 * target's commands are taken back from the card first.
 */
static void xsvhba_terminate_rport_io(struct fc_rport *rport)
{
	struct xsvhba *vhba = shost_to_vhba(rport_to_shost(rport));
	struct xsvhba_scope scope = { .target = rport->scsi_target_id };

	if (rport->scsi_target_id != -1)
		xsvhba_take_back(vhba, &scope);
}

static struct fc_function_template xsvhba_fc_functions = {
	.show_host_node_name		= 1,
	.show_host_port_name		= 1,
	.show_host_port_id		= 1,
	.show_host_port_type		= 1,
	.show_host_port_state		= 1,
	.show_host_speed		= 1,
	.show_host_supported_classes	= 1,
	.show_host_supported_speeds	= 1,
	.dd_fcrport_size		= sizeof(struct xsvhba_rport),
	.show_rport_supported_classes	= 1,
	.show_rport_dev_loss_tmo	= 1,
	.set_rport_dev_loss_tmo		= xsvhba_set_dev_loss_tmo,
	.terminate_rport_io		= xsvhba_terminate_rport_io,
	.show_starget_node_name		= 1,
	.show_starget_port_name		= 1,
	.show_starget_port_id		= 1,
};

int xsvhba_transport_init(void)
{
	xsvhba_transport = fc_attach_transport(&xsvhba_fc_functions);
	return xsvhba_transport ? 0 : -ENOMEM;
}

void xsvhba_transport_exit(void)
{
	fc_release_transport(xsvhba_transport);
}

void xsvhba_set_port_state(struct xsvhba *vhba)
{
	struct Scsi_Host *shost = vhba->shost;

	fc_host_port_state(shost) = xsvhba_enabled_on_card(vhba) &&
				    vhba->fc_link_up ? FC_PORTSTATE_ONLINE :
				    FC_PORTSTATE_LINKDOWN;
	fc_host_port_id(shost) = vhba->port_id;
}

/* Every target goes to the transport's loss timer. */
void xsvhba_targets_lost(struct xsvhba *vhba)
{
	unsigned int i;

	lockdep_assert_held(&vhba->session.mutex);
	for (i = 0; i < XSVHBA_MAX_TARGETS; i++) {
		if (vhba->targets[i].rport)
			fc_remote_port_delete(vhba->targets[i].rport);
		vhba->targets[i].rport = NULL;
		if (vhba->targets[i].present)
			vhba->targets[i].lost_at = jiffies;
		vhba->targets[i].present = false;
	}
}

/* Lost for longer than a remote port is held: its slot may take another. */
static bool xsvhba_target_gone(struct xsvhba *vhba,
			       const struct xsvhba_target *target)
{
	unsigned long held = fc_host_dev_loss_tmo(vhba->shost) * HZ;

	return target->wwpn && !target->present && !target->rport &&
	       time_after(jiffies, target->lost_at + held);
}

/*
 * The target's slot, a never used one, or else the slot of a target gone
 * for good (its remote port's loss timeout over), made new: a card that
 * lists more than XSVHBA_MAX_TARGETS WWPNs over time is not refused for
 * ever.  NULL when every slot holds a target that may still return.
 */
static struct xsvhba_target *xsvhba_target_slot(struct xsvhba *vhba, u64 wwpn)
{
	struct xsvhba_target *unused = NULL, *gone = NULL;
	unsigned int i;

	for (i = 0; i < XSVHBA_MAX_TARGETS; i++) {
		if (vhba->targets[i].wwpn == wwpn)
			return &vhba->targets[i];
		if (!unused && !vhba->targets[i].wwpn)
			unused = &vhba->targets[i];
		if (!gone && xsvhba_target_gone(vhba, &vhba->targets[i]))
			gone = &vhba->targets[i];
	}
	if (unused || !gone)
		return unused;
	memset(gone, 0, sizeof(*gone));
	return gone;
}

/*
 * A target the card found (present) or lost; from the work only.  A lost
 * one is deleted here; a new one is added by targets_work, since adding
 * may wait for I/O (see xsvhba_target_attach()).
 */
void xsvhba_target_update(struct xsvhba *vhba, u64 wwpn, u64 wwnn,
			  u32 port_id, u16 loop_id, const u8 *lun_map,
			  bool present)
{
	struct xsvhba_target *target;
	struct xsvhba_rport *rp;

	lockdep_assert_held(&vhba->session.mutex);
	if (!wwpn)
		return;
	target = xsvhba_target_slot(vhba, wwpn);
	if (!target) {
		shost_printk(KERN_WARNING, vhba->shost,
			     "all %u target slots in use: %016llx ignored\n",
			     XSVHBA_MAX_TARGETS, wwpn);
		return;
	}
	if (!present) {
		if (target->present) {
			xsvhba_count(vhba, &vhba->counters.targets_lost);
			target->lost_at = jiffies;
		}
		if (target->rport)
			fc_remote_port_delete(target->rport);
		target->rport = NULL;
		target->present = false;
		return;
	}
	if (!target->present)
		xsvhba_count(vhba, &vhba->counters.targets_found);
	target->wwpn = wwpn;
	target->wwnn = wwnn;
	target->port_id = port_id;
	target->loop_id = loop_id;
	target->present = true;
	if (target->rport) {
		/* Known and online: its handles and LUNs may have changed. */
		rp = target->rport->dd_data;
		WRITE_ONCE(rp->loop_id, loop_id);
		WRITE_ONCE(rp->port_id, port_id);
		if (!memcmp(target->lun_map, lun_map, sizeof(target->lun_map)))
			return;
		target->rescan = true;
	}
	memcpy(target->lun_map, lun_map, sizeof(target->lun_map));
	queue_work(system_long_wq, &vhba->targets_work);
}

/*
 * The XCM's queue depth: how many commands each LUN may have with the
 * card, at most what the vHBA was installed with (its tags, keys and ring
 * are sized by that).  New LUNs start with it too.
 */
void xsvhba_set_lun_depth(struct xsvhba *vhba, unsigned int depth)
{
	struct scsi_device *sdev;

	vhba->shost->cmd_per_lun = depth;
	/*
	 * The new depth is also the most the midlayer ramps a LUN up to again
	 * after a QUEUE FULL (track_queue_depth), as a write to its queue_depth
	 * does.  That ceiling comes down first: a command completing while the
	 * depth is already lowered but the old ceiling still stands would ramp
	 * the LUN up one above what the XCM asked for.
	 */
	shost_for_each_device(sdev, vhba->shost) {
		sdev->max_queue_depth = min_t(int, depth, sdev->max_queue_depth);
		sdev->max_queue_depth = scsi_change_queue_depth(sdev, depth);
	}
}

/*
 * The XCM's link-down timeout: how long a target the card lost may stay
 * away before its LUNs fail, for the remote ports there are and the ones
 * to come.  A loss already counting keeps the timeout it started with.
 */
void xsvhba_set_loss_timeout(struct xsvhba *vhba, unsigned int seconds)
{
	unsigned int i;

	mutex_lock(&vhba->session.mutex);
	vhba->link_down_timeout = seconds;
	fc_host_dev_loss_tmo(vhba->shost) = seconds;
	for (i = 0; i < XSVHBA_MAX_TARGETS; i++)
		if (vhba->targets[i].rport)
			vhba->targets[i].rport->dev_loss_tmo = seconds;
	mutex_unlock(&vhba->session.mutex);
}

static bool xsvhba_lun_listed(const u8 *map, u64 lun)
{
	return lun < 256 && map[lun / 8] & BIT(lun % 8);
}

/*
 * The LUNs of one target that the card no longer lists are removed.  Runs
 * outside the mutex, as removal waits for commands that the error handler
 * may need the mutex to end.
 */
static void xsvhba_remove_unlisted(struct xsvhba *vhba, struct fc_rport *rport,
				   const u8 *map)
{
	struct scsi_device *sdev;

	shost_for_each_device(sdev, vhba->shost) {
		if (sdev->channel == rport->channel &&
		    sdev->id == rport->scsi_target_id &&
		    !xsvhba_lun_listed(map, sdev->lun))
			scsi_remove_device(sdev);
	}
}

/*
 * Give a present target its remote port.  fc_remote_port_add() runs
 * outside the mutex: it flushes the transport's work, whose scans wait
 * for commands that the error handler (a host reset takes the mutex) may
 * have to end first.  The target may be lost again meanwhile.
 */
static void xsvhba_target_attach(struct xsvhba *vhba,
				 struct xsvhba_target *target)
{
	struct fc_rport_identifiers ids = {
		.roles		= FC_RPORT_ROLE_FCP_TARGET,
	};
	struct xsvhba_rport *rp;
	struct fc_rport *rport;
	bool attached = false;
	u8 map[32];

	mutex_lock(&vhba->session.mutex);
	if (!target->present || target->rport) {
		mutex_unlock(&vhba->session.mutex);
		return;
	}
	ids.node_name = target->wwnn;
	ids.port_name = target->wwpn;
	ids.port_id = target->port_id;
	mutex_unlock(&vhba->session.mutex);

	rport = fc_remote_port_add(vhba->shost, 0, &ids);

	mutex_lock(&vhba->session.mutex);
	if (!rport) {
		shost_printk(KERN_WARNING, vhba->shost,
			     "target %016llx: no remote port\n", ids.port_name);
	} else if (!target->present || target->wwpn != ids.port_name) {
		/* Lost meanwhile, or its slot went to another target since. */
		fc_remote_port_delete(rport);
	} else {
		rp = rport->dd_data;
		WRITE_ONCE(rp->loop_id, target->loop_id);
		WRITE_ONCE(rp->port_id, target->port_id);
		rport->supported_classes = FC_COS_CLASS3;
		target->rport = rport;
		/* The transport scans a port it adds. */
		target->rescan = false;
		memcpy(map, target->lun_map, sizeof(map));
		get_device(&rport->dev);
		attached = true;
		shost_printk(KERN_INFO, vhba->shost,
			     "target %016llx (FC id %06x) online\n",
			     target->wwpn, target->port_id);
	}
	mutex_unlock(&vhba->session.mutex);
	if (!attached)
		return;
	/*
	 * A port back within its loss timeout is the one the transport kept,
	 * with its LUNs: those the card no longer lists (masked or removed
	 * while it was away) go, as a scan never removes a LUN.
	 */
	xsvhba_remove_unlisted(vhba, rport, map);
	put_device(&rport->dev);
}

/*
 * The LUNs of one target as the card lists them: the ones gone are
 * removed, new ones are found by a scan (REPORT LUNS).
 */
static void xsvhba_sync_luns(struct xsvhba *vhba, struct fc_rport *rport,
			     const u8 *map)
{
	xsvhba_remove_unlisted(vhba, rport, map);
	scsi_scan_target(&rport->dev, rport->channel, rport->scsi_target_id,
			 SCAN_WILD_CARD, SCSI_SCAN_RESCAN);
}

static void xsvhba_target_rescan(struct xsvhba *vhba,
				 struct xsvhba_target *target)
{
	struct fc_rport *rport;
	u8 map[32];

	mutex_lock(&vhba->session.mutex);
	rport = target->rport;
	if (!rport || !target->rescan) {
		mutex_unlock(&vhba->session.mutex);
		return;
	}
	target->rescan = false;
	memcpy(map, target->lun_map, sizeof(map));
	get_device(&rport->dev);
	mutex_unlock(&vhba->session.mutex);
	xsvhba_sync_luns(vhba, rport, map);
	put_device(&rport->dev);
}

/* What the card reported of its targets reaches the transport. */
void xsvhba_targets_work(struct work_struct *work)
{
	struct xsvhba *vhba = container_of(work, struct xsvhba, targets_work);
	unsigned int i;

	for (i = 0; i < XSVHBA_MAX_TARGETS; i++) {
		xsvhba_target_attach(vhba, &vhba->targets[i]);
		xsvhba_target_rescan(vhba, &vhba->targets[i]);
	}
}

static int xsvhba_sdev_init(struct scsi_device *sdev)
{
	struct fc_rport *rport = starget_to_rport(scsi_target(sdev));

	if (!rport || fc_remote_port_chkready(rport))
		return -ENXIO;
	return 0;
}

static const char *const xsvhba_state_names[] = {
	[XSCORE_SESSION_DOWN]		= "down",
	[XSCORE_SESSION_CONNECTING]	= "connecting",
	[XSCORE_SESSION_OPENING]	= "enabling",
	[XSCORE_SESSION_UP]		= "ready",
	[XSCORE_SESSION_STOPPED]	= "stopped",
};

static ssize_t vhba_state_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	struct xsvhba *vhba = shost_to_vhba(class_to_shost(dev));
	enum xscore_session_state state = xscore_session_state(&vhba->session);

	if (state == XSCORE_SESSION_DOWN && READ_ONCE(vhba->admin_down))
		return sysfs_emit(buf, "admin-down\n");
	return sysfs_emit(buf, "%s\n", xsvhba_state_names[state]);
}
static DEVICE_ATTR_RO(vhba_state);

static ssize_t card_guid_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct xsvhba *vhba = shost_to_vhba(class_to_shost(dev));

	return sysfs_emit(buf, "%016llx\n", vhba->card_guid);
}
static DEVICE_ATTR_RO(card_guid);

/* One read-only file per counter; the attribute knows where its counter is. */
struct xsvhba_counter_attr {
	struct device_attribute attr;
	size_t offset;
};

static ssize_t xsvhba_counter_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct xsvhba *vhba = shost_to_vhba(class_to_shost(dev));
	size_t offset = container_of(attr, struct xsvhba_counter_attr,
				     attr)->offset;
	u64 value;

	spin_lock_bh(&vhba->lock);
	value = *(u64 *)((u8 *)&vhba->counters + offset);
	spin_unlock_bh(&vhba->lock);
	return sysfs_emit(buf, "%llu\n", value);
}

static struct xsvhba_counter_attr xsvhba_counter_attrs[] = {
	{ __ATTR(ctrl_in, 0444, xsvhba_counter_show, NULL),
	  offsetof(struct xsvhba_counters, ctrl_in) },
	{ __ATTR(ctrl_malformed, 0444, xsvhba_counter_show, NULL),
	  offsetof(struct xsvhba_counters, ctrl_malformed) },
	{ __ATTR(status_malformed, 0444, xsvhba_counter_show, NULL),
	  offsetof(struct xsvhba_counters, status_malformed) },
	{ __ATTR(status_stale, 0444, xsvhba_counter_show, NULL),
	  offsetof(struct xsvhba_counters, status_stale) },
	{ __ATTR(reconnects, 0444, xsvhba_counter_show, NULL),
	  offsetof(struct xsvhba_counters, reconnects) },
	{ __ATTR(aborts, 0444, xsvhba_counter_show, NULL),
	  offsetof(struct xsvhba_counters, aborts) },
	{ __ATTR(resets, 0444, xsvhba_counter_show, NULL),
	  offsetof(struct xsvhba_counters, resets) },
};

static struct attribute *xsvhba_sysfs_attrs[] = {
	&dev_attr_vhba_state.attr,
	&dev_attr_card_guid.attr,
	&xsvhba_counter_attrs[0].attr.attr,
	&xsvhba_counter_attrs[1].attr.attr,
	&xsvhba_counter_attrs[2].attr.attr,
	&xsvhba_counter_attrs[3].attr.attr,
	&xsvhba_counter_attrs[4].attr.attr,
	&xsvhba_counter_attrs[5].attr.attr,
	&xsvhba_counter_attrs[6].attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(xsvhba_sysfs);

static int xsvhba_wait_idle(struct xsvhba *vhba,
			    const struct xsvhba_scope *scope)
{
	return wait_event_timeout(vhba->cmd_wait, xsvhba_idle(vhba, scope),
				  XSVHBA_TMF_WAIT) ? SUCCESS : FAILED;
}

static int xsvhba_eh_result(struct scsi_device *sdev, const char *what,
			    int ret)
{
	sdev_printk(KERN_INFO, sdev, "%s: %s\n", what,
		    ret == SUCCESS ? "done" :
		    ret == FAST_IO_FAIL ? "target gone" : "failed");
	return ret;
}

/*
 * Each handler first waits while the target's remote port is blocked (the
 * card reconnecting, the FC link down), as FC drivers do.  FAST_IO_FAIL
 * gives the midlayer its commands back, and the transport sets it before
 * it calls xsvhba_terminate_rport_io(): the target's commands are taken
 * back from the card here too, so none goes back while the card can still
 * reach its memory.
 */
static int xsvhba_eh_block(struct scsi_cmnd *scmnd)
{
	struct xsvhba *vhba = shost_to_vhba(scmnd->device->host);
	struct xsvhba_scope scope = { .target = scmnd->device->id };
	int ret;

	ret = fc_block_scsi_eh(scmnd);
	if (ret == FAST_IO_FAIL)
		xsvhba_take_back(vhba, &scope);
	return ret;
}

/*
 * The card answers an abort by ending the command (status ABORTED); the
 * command's key is invalidated by then, so the midlayer may reuse it.
 */
static int xsvhba_eh_abort(struct scsi_cmnd *scmnd)
{
	struct xsvhba *vhba = shost_to_vhba(scmnd->device->host);
	struct xsvhba_cmd *cmd = scsi_cmd_priv(scmnd);
	struct xsvhba_scope scope = { .scmnd = scmnd };
	char what[40];
	int ret;

	snprintf(what, sizeof(what), "abort of command %#x (%#x)",
		 cmd->handle, scmnd->cmnd[0]);
	ret = xsvhba_eh_block(scmnd);
	if (ret)
		return xsvhba_eh_result(scmnd->device, what, ret);
	if (atomic_read(&cmd->state) == XSVHBA_CMD_IDLE)
		return SUCCESS;
	ret = xsvhba_send_abort(vhba, cmd) ? FAILED :
	      xsvhba_wait_idle(vhba, &scope);
	ret = xsvhba_eh_result(scmnd->device, what, ret);
	trace_xsvhba_cmd_abort(scmnd, cmd->handle, ret);
	return ret;
}

static int xsvhba_eh_device_reset(struct scsi_cmnd *scmnd)
{
	struct scsi_device *sdev = scmnd->device;
	struct xsvhba *vhba = shost_to_vhba(sdev->host);
	struct xsvhba_scope scope = { .sdev = sdev };
	int ret;

	ret = xsvhba_eh_block(scmnd);
	if (!ret)
		ret = xsvhba_send_tmf(vhba, XSVHBA_CTRL_TYPE_LUN_RESET, sdev) ?
		      FAILED : xsvhba_wait_idle(vhba, &scope);
	return xsvhba_eh_result(sdev, "LUN reset", ret);
}

static int xsvhba_eh_target_reset(struct scsi_cmnd *scmnd)
{
	struct scsi_device *sdev = scmnd->device;
	struct xsvhba *vhba = shost_to_vhba(sdev->host);
	struct xsvhba_scope scope = { .target = sdev->id };
	int ret;

	ret = xsvhba_eh_block(scmnd);
	if (!ret)
		ret = xsvhba_send_tmf(vhba, XSVHBA_CTRL_TYPE_TGT_RESET, sdev) ?
		      FAILED : xsvhba_wait_idle(vhba, &scope);
	return xsvhba_eh_result(sdev, "target reset", ret);
}

/*
 * Everything the card holds ends with the connections.  They come back,
 * and the targets with them, before the midlayer tests the devices; a
 * target that does not is failed by its remote port's loss timeout.
 */
static int xsvhba_eh_host_reset(struct scsi_cmnd *scmnd)
{
	struct xsvhba *vhba = shost_to_vhba(scmnd->device->host);
	int ret;

	xsvhba_count(vhba, &vhba->counters.resets);
	xsvhba_count(vhba, &vhba->counters.host_resets);
	xsvhba_reconnect(vhba, "host reset");
	ret = xsvhba_eh_block(scmnd);
	return xsvhba_eh_result(scmnd->device, "host reset",
				ret ? ret : SUCCESS);
}

/* Not const: older kernels take a mutable template. */
static struct scsi_host_template xsvhba_template = {
	.module				= THIS_MODULE,
	.name				= "xsvhba",
	.proc_name			= "xsvhba",
	.queuecommand			= xsvhba_queuecommand,
	.init_cmd_priv			= xsvhba_init_cmd_priv,
	.xsvhba_sdev_init_hook		= xsvhba_sdev_init,
	.eh_abort_handler		= xsvhba_eh_abort,
	.eh_device_reset_handler	= xsvhba_eh_device_reset,
	.eh_target_reset_handler	= xsvhba_eh_target_reset,
	.eh_host_reset_handler		= xsvhba_eh_host_reset,
	.this_id			= -1,
	.cmd_size			= sizeof(struct xsvhba_cmd),
	.max_segment_size		= PAGE_SIZE,
	.track_queue_depth		= 1,
	.shost_groups			= xsvhba_sysfs_groups,
};

struct Scsi_Host *xsvhba_host_alloc(void)
{
	return scsi_host_alloc(&xsvhba_template,
			       sizeof(struct xsvhba));
}

/* Limits from the install, before scsi_add_host(). */
void xsvhba_host_setup(struct xsvhba *vhba)
{
	struct Scsi_Host *shost = vhba->shost;

	shost->transportt = xsvhba_transport;
	shost->max_id = XSVHBA_MAX_TARGETS;
	shost->max_lun = 0xfffe;
	shost->max_channel = 0;
	shost->max_cmd_len = 16;
	shost->can_queue = vhba->queue_depth;
	shost->cmd_per_lun = vhba->queue_depth;
	shost->nr_hw_queues = 1;
	/* One key maps a command's pages: no gaps between them. */
	shost->virt_boundary_mask = PAGE_SIZE - 1;
	shost->sg_tablesize = vhba->xfer_kb * SZ_1K / PAGE_SIZE;
	shost->max_sectors = vhba->xfer_kb * 2;
}

/* FC attributes from the install; the transport's data exists once added. */
void xsvhba_host_attrs(struct xsvhba *vhba)
{
	struct Scsi_Host *shost = vhba->shost;

	fc_host_port_name(shost) = vhba->wwn;
	fc_host_node_name(shost) = vhba->wwn | XSVHBA_NODE_NAME_BIT;
	fc_host_port_type(shost) = FC_PORTTYPE_NPORT;
	fc_host_supported_classes(shost) = FC_COS_CLASS3;
	fc_host_supported_speeds(shost) = XSVHBA_SPEED;
	fc_host_speed(shost) = XSVHBA_SPEED;
	fc_host_port_state(shost) = FC_PORTSTATE_LINKDOWN;
	/*
	 * The transport gives this to each new remote port; one it keeps
	 * across an outage keeps the value it had, which an operator may
	 * have changed (rport or fc_host dev_loss_tmo).
	 */
	fc_host_dev_loss_tmo(shost) = vhba->link_down_timeout;
}
