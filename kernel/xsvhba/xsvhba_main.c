// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xsvhba: Xsigo virtual HBA driver.
 *
 * Binds to the "xscore.vhba" auxiliary devices that xscore creates for each
 * virtual HBA an XCM installs on this server and makes each a SCSI host
 * with FC transport attributes, whose targets and LUNs are those behind the
 * FC card port the INSTALL object names.  Here: the auxiliary driver and
 * the XCM's messages about the vHBA.
 */
#include <linux/auxiliary_bus.h>
#include <linux/module.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_transport_fc.h>

#include "compat.h"
#include "xsvhba.h"
#include "xsvhba_check.h"

void xsvhba_count(struct xsvhba *vhba, u64 *counter)
{
	spin_lock_bh(&vhba->lock);
	(*counter)++;
	spin_unlock_bh(&vhba->lock);
}

/* What the card sent, refused: counted by @why, and in @counter if any. */
void xsvhba_refused(struct xsvhba *vhba, enum xsvhba_check why, u64 *counter)
{
	spin_lock_bh(&vhba->lock);
	if (why < XSVHBA_CHECK_REASONS)
		vhba->refused[why]++;
	if (counter)
		(*counter)++;
	spin_unlock_bh(&vhba->lock);
}

/* OPER_UP or OPER_DOWN: the object with only type, length and id set. */
void xsvhba_report_oper(struct xsvhba *vhba, bool up)
{
	struct xsvhba_msg msg = {
		.type		= up ? XSMP_VDEV_MSG_TYPE_OPER_UP :
				  XSMP_VDEV_MSG_TYPE_OPER_DOWN,
		.length		= cpu_to_be16(sizeof(msg)),
		.resource_id	= cpu_to_be64(vhba->resource_id),
	};

	/* Lost with the link; the XCM asks again with OPER_REQ. */
	if (!xscore_vdev_send(vhba->vdev, &msg))
		vhba->oper_up = up;
}

static void xsvhba_report_state(struct xsvhba *vhba)
{
	mutex_lock(&vhba->session.mutex);
	xsvhba_report_oper(vhba, xsvhba_enabled_on_card(vhba));
	mutex_unlock(&vhba->session.mutex);
}

/*
 * An UPDATE in place: queue depth, link-down timeout and admin state.  A
 * new card port is not taken over in place (the XCM deletes and installs);
 * rate, throttle and the like are the card's business.  Nothing changes
 * unless every field asked for is acceptable.
 */
static u8 xsvhba_update(struct xsvhba *vhba, const struct xsvhba_msg *msg)
{
	u32 bits = be32_to_cpu(msg->bit_mask);
	unsigned int depth = be32_to_cpu(msg->scsiqueuedepth);
	unsigned int down = be32_to_cpu(msg->linkdowntimeout);

	if (bits & XSVHBA_UPDATE_XT_STATE_DOWN)
		xsvhba_count(vhba, &vhba->counters.xt_downs);
	if (bits & XSVHBA_UPDATE_XT_CHANGE)
		return XSMP_VDEV_CODE_NACK | XSVHBA_NACK_INVALID;
	if ((bits & XSVHBA_UPDATE_QUEUE_DEPTH) &&
	    (!depth || depth > vhba->queue_depth))
		return XSMP_VDEV_CODE_NACK | XSVHBA_NACK_INVALID;
	if ((bits & XSVHBA_UPDATE_LINK_DOWN_TIMEOUT) &&
	    down > XSVHBA_LINK_DOWN_MAX)
		return XSMP_VDEV_CODE_NACK | XSVHBA_NACK_INVALID;

	if (bits & XSVHBA_UPDATE_QUEUE_DEPTH) {
		xsvhba_set_lun_depth(vhba, depth);
		shost_printk(KERN_INFO, vhba->shost,
			     "queue depth %u per LUN\n", depth);
	}
	if (bits & XSVHBA_UPDATE_LINK_DOWN_TIMEOUT) {
		down = down ? down : XSVHBA_LINK_DOWN_DEF;
		xsvhba_set_loss_timeout(vhba, down);
		shost_printk(KERN_INFO, vhba->shost,
			     "link-down timeout %u s\n", down);
	}
	if (bits & XSVHBA_UPDATE_ADMIN_STATE)
		xsvhba_set_admin(vhba, be32_to_cpu(msg->adminstate) != 0);
	return XSMP_VDEV_CODE_ACK;
}

static void xsvhba_message(struct xscore_vdev *vdev, const void *obj)
{
	struct xsvhba *vhba = dev_get_drvdata(&vdev->adev.dev);
	const struct xsvhba_msg *msg = obj;

	switch (msg->type) {
	case XSMP_VDEV_MSG_TYPE_INSTALL:
		/* After a reconnect the XCM installs what exists again. */
		xscore_vdev_answer(vdev, obj, XSMP_VDEV_CODE_ACK);
		fallthrough;
	case XSVHBA_MSG_TYPE_OPER_REQ:
		if (msg->type == XSVHBA_MSG_TYPE_OPER_REQ)
			xsvhba_count(vhba, &vhba->counters.oper_reqs);
		xsvhba_report_state(vhba);
		break;
	case XSVHBA_MSG_TYPE_STATS:
		xsvhba_stats(vhba, obj);
		break;
	case XSMP_VDEV_MSG_TYPE_UPDATE:
		xscore_vdev_answer(vdev, obj, xsvhba_update(vhba, msg));
		break;
	default:
		dev_dbg(&vdev->adev.dev, "message type %u ignored\n",
			msg->type);
		break;
	}
}

static void xsvhba_link_event(struct xscore_vdev *vdev,
			      enum xscore_link_event event)
{
	struct xsvhba *vhba = dev_get_drvdata(&vdev->adev.dev);

	/* The data path does not depend on the XCM; tell it the state. */
	if (event == XSCORE_LINK_EVENT_UP)
		xsvhba_report_state(vhba);
}

/*
 * A vHBA with any LUN is busy: a resync keeps it (xscore_vdev_ops).  Its
 * disks may hold a mounted filesystem, even the root, and which are open
 * is not the HBA's to know; the operator deletes the orphan.
 */
static bool xsvhba_busy(struct xscore_vdev *vdev)
{
	struct xsvhba *vhba = dev_get_drvdata(&vdev->adev.dev);
	struct scsi_device *sdev;

	shost_for_each_device(sdev, vhba->shost) {
		scsi_device_put(sdev);
		return true;
	}
	return false;
}

static const struct xscore_vdev_ops xsvhba_vdev_ops = {
	.message	= xsvhba_message,
	.link_event	= xsvhba_link_event,
	.busy		= xsvhba_busy,
};

/* The install's limits, with the original's defaults for zero. */
static int xsvhba_read_install(struct xsvhba *vhba,
			       const struct xsvhba_msg *msg)
{
	unsigned int depth = be32_to_cpu(msg->scsiqueuedepth);
	unsigned int xfer = be32_to_cpu(msg->mtu);
	unsigned int down = be32_to_cpu(msg->linkdowntimeout);

	vhba->wwn = be64_to_cpu(msg->wwn);
	vhba->card_guid = be64_to_cpu(msg->tca_guid);
	if (!vhba->wwn || !vhba->card_guid)
		return -EINVAL;
	vhba->queue_depth = clamp(depth ? depth : XSVHBA_QUEUE_DEPTH_DEF, 1U,
				  (unsigned int)XSVHBA_QUEUE_DEPTH_MAX);
	vhba->xfer_kb = clamp(xfer ? xfer : XSVHBA_XFER_KB_DEF,
			      (unsigned int)(PAGE_SIZE / SZ_1K),
			      (unsigned int)XSVHBA_XFER_KB_MAX);
	vhba->link_down_timeout = min(down ? down : XSVHBA_LINK_DOWN_DEF,
				      (unsigned int)XSVHBA_LINK_DOWN_MAX);
	vhba->admin_down = !be32_to_cpu(msg->adminstate);
	return 0;
}

/* Where a VHBA object keeps what xscore reads of it (struct xscore_service). */
static const char *xsvhba_install_name(const void *install)
{
	const struct xsvhba_msg *msg = install;

	static_assert(sizeof(msg->vh_name) == XSMP_VDEV_NAME_LEN);
	return msg->vh_name;
}

static u64 xsvhba_card_guid(const void *install)
{
	const struct xsvhba_msg *msg = install;

	return be64_to_cpu(msg->tca_guid);
}

static bool xsvhba_same_device(const void *installed, const void *install)
{
	return xsvhba_check_reinstall(installed, install) == XSVHBA_CHECK_OK;
}

static const struct xscore_service xsvhba_service = {
	.msg_class	= XSMP_CLASS_VHBA,
	.resource	= XSMP_RESOURCE_VHBA,
	.nack_invalid	= XSVHBA_NACK_INVALID,
	.nack_limit	= XSVHBA_NACK_LIMIT,
	.nack_alloc	= XSVHBA_NACK_ALLOC,
	.install_name	= xsvhba_install_name,
	.card_guid	= xsvhba_card_guid,
	.same_device	= xsvhba_same_device,
};

static int xsvhba_probe(struct auxiliary_device *adev,
			const struct auxiliary_device_id *id)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);
	struct Scsi_Host *shost;
	struct xsvhba_msg *msg;
	struct xsvhba *vhba;
	u8 nack = XSVHBA_NACK_ALLOC;
	int ret = -ENOMEM;

	msg = kmalloc(sizeof(*msg), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	xscore_vdev_read_install(vdev, msg);
	if (!vdev->name[0]) {
		dev_warn(&adev->dev, "refused: no valid name\n");
		nack = XSVHBA_NACK_INVALID;
		ret = -EINVAL;
		goto nack;
	}

	shost = xsvhba_host_alloc();
	if (!shost)
		goto nack;
	vhba = shost_to_vhba(shost);
	vhba->shost = shost;
	vhba->vdev = vdev;
	vhba->resource_id = vdev->resource_id;
	ret = xsvhba_read_install(vhba, msg);
	if (ret) {
		nack = XSVHBA_NACK_INVALID;
		dev_warn(&adev->dev, "%s: refused: no WWN or FC card\n",
			 vdev->name);
		goto put_host;
	}
	spin_lock_init(&vhba->ring_lock);
	spin_lock_init(&vhba->lock);
	init_waitqueue_head(&vhba->cmd_wait);
	INIT_WORK(&vhba->targets_work, xsvhba_targets_work);
	irq_poll_init(&vhba->iop, XSVHBA_POLL_BUDGET, xsvhba_poll);
	ret = xsvhba_conns_init(vhba);
	if (ret)
		goto put_host;
	xsvhba_host_setup(vhba);
	ret = scsi_add_host(shost, &adev->dev);
	if (ret)
		goto cleanup;
	xsvhba_host_attrs(vhba);
	xsvhba_debugfs_add(vhba);

	dev_set_drvdata(&adev->dev, vhba);
	xscore_vdev_set_ops(vdev, &xsvhba_vdev_ops);
	/* Lost with a full send ring or a link down: the XCM installs again. */
	xscore_vdev_answer(vdev, msg, XSMP_VDEV_CODE_ACK);
	shost_printk(KERN_INFO, shost,
		     "vHBA %s (%llx), WWPN %016llx, FC card %016llx, queue depth %u, %u KB transfers\n",
		     vdev->name, vhba->resource_id, vhba->wwn, vhba->card_guid,
		     vhba->queue_depth, vhba->xfer_kb);
	xsvhba_kick(vhba);
	kfree(msg);
	return 0;

cleanup:
	xsvhba_conns_cleanup(vhba);
put_host:
	irq_poll_disable(&vhba->iop);
	scsi_host_put(shost);
nack:
	xscore_vdev_answer(vdev, msg, XSMP_VDEV_CODE_NACK | nack);
	kfree(msg);
	return ret;
}

static void xsvhba_remove(struct auxiliary_device *adev)
{
	struct xscore_vdev *vdev = to_xscore_vdev(adev);
	struct xsvhba *vhba = dev_get_drvdata(&adev->dev);
	struct Scsi_Host *shost = vhba->shost;

	xscore_vdev_set_ops(vdev, NULL);
	xsvhba_stop(vhba);
	cancel_work_sync(&vhba->targets_work);
	fc_remove_host(shost);
	scsi_remove_host(shost);
	irq_poll_disable(&vhba->iop);
	xsvhba_debugfs_remove(vhba);
	xsvhba_conns_cleanup(vhba);
	/*
	 * Commands and their completions kicked the work until now; it did
	 * nothing, stopped.  None is left to kick it again.
	 */
	cancel_delayed_work_sync(&vhba->session.work);
	dev_info(&adev->dev, "%s removed\n", vdev->name);
	scsi_host_put(shost);
}

static const struct auxiliary_device_id xsvhba_id_table[] = {
	{ .name = XSCORE_AUXDEV_ID(XSCORE_AUXDEV_VHBA) },
	{}
};
MODULE_DEVICE_TABLE(auxiliary, xsvhba_id_table);

static struct auxiliary_driver xsvhba_driver = {
	.probe		= xsvhba_probe,
	.remove		= xsvhba_remove,
	.id_table	= xsvhba_id_table,
};

static int __init xsvhba_init(void)
{
	int ret;

	ret = xsvhba_transport_init();
	if (ret)
		return ret;
	xsvhba_debugfs_init();
	/* The service first: a device's name is known before it is probed. */
	ret = xscore_service_register(&xsvhba_service);
	if (ret)
		goto debugfs_exit;
	ret = auxiliary_driver_register(&xsvhba_driver);
	if (ret)
		goto service_unregister;
	return 0;

service_unregister:
	xscore_service_unregister(&xsvhba_service);
debugfs_exit:
	xsvhba_debugfs_exit();
	xsvhba_transport_exit();
	return ret;
}

static void __exit xsvhba_exit(void)
{
	auxiliary_driver_unregister(&xsvhba_driver);
	xscore_service_unregister(&xsvhba_service);
	xsvhba_debugfs_exit();
	xsvhba_transport_exit();
}

module_init(xsvhba_init);
module_exit(xsvhba_exit);

MODULE_AUTHOR("xsigo-linux developers");
MODULE_DESCRIPTION("Xsigo virtual HBA over RDMA");
MODULE_LICENSE("Dual BSD/GPL");
