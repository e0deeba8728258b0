// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The command ring of a vHBA and its commands: the ring's new IOCBs are
 * read by RDMA READ when the host moves its write index, the read index
 * is written back, each IOCB is checked and goes to the target core
 * (target_init_cmd/target_submit_prep/target_submit); a write's data is
 * read from the host with the command's key when LIO asks for it, a
 * read's data written with it, chained with the status SEND.
 *
 * A command's slot is its handle's tag: a host has at most XSFCGW_DEPTH
 * in flight, so a tag past that or one in use is refused and counted.
 * An operator's fault may hold a READ or WRITE back (delayed, dropped
 * until aborted, stuck, or moved late with stale keys).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <scsi/scsi_proto.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

#include "xsfcgw.h"
#include "xsfcgw_check.h"

static const char xsfcgw_stale_pattern[] = "XS-STALE";

static void xsfcgw_cmd_put(struct xsfcgw_cmd *cmd)
{
	struct xsfcgw_vhba *vhba = cmd->vhba;
	unsigned long flags;

	spin_lock_irqsave(&vhba->lock, flags);
	cmd->state = XSFCGW_CMD_FREE;
	vhba->in_use--;
	spin_unlock_irqrestore(&vhba->lock, flags);
	wake_up(&vhba->idle);
}

/* The data connection's lkey, for our buffers sent or written on it. */
static u32 xsfcgw_data_lkey(struct xsfcgw_vhba *vhba)
{
	return xscore_conn_pd(vhba->data)->local_dma_lkey;
}

static void xsfcgw_index_written(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsfcgw_vhba *vhba = container_of(wc->wr_cqe, struct xsfcgw_vhba,
						index_cqe);

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		xsfcgw_vhba_close(vhba, "read index not written");
}

static void xsfcgw_status_sent(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsfcgw_cmd *cmd = container_of(wc->wr_cqe, struct xsfcgw_cmd,
					      send_cqe);
	struct xsfcgw_vhba *vhba = cmd->vhba;

	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		xsfcgw_vhba_close(vhba, "status not sent");
	if (cmd->rw_ready) {
		rdma_rw_ctx_destroy(&cmd->rw, xscore_conn_qp(vhba->data),
				    xscore_conn_port_num(vhba->data),
				    cmd->se_cmd.t_data_sg,
				    cmd->se_cmd.t_data_nents, DMA_TO_DEVICE);
		cmd->rw_ready = false;
	}
	if (cmd->state == XSFCGW_CMD_LIO)
		transport_generic_free_cmd(&cmd->se_cmd, 0);
	else
		xsfcgw_cmd_put(cmd);
}

static struct xsvhba_status_iocb *xsfcgw_status_start(struct xsfcgw_cmd *cmd,
						      u16 comp_status)
{
	struct xsvhba_status_iocb *sts = (void *)(cmd->status +
						  XSVHBA_STATUS_PREFIX);

	ib_dma_sync_single_for_cpu(cmd->vhba->ibdev, cmd->status_dma,
				   XSFCGW_STATUS_LEN, DMA_TO_DEVICE);
	memset(cmd->status, 0, XSFCGW_STATUS_LEN);
	sts->entry_type = XSVHBA_ENTRY_TYPE_STATUS;
	sts->entry_count = 1;
	sts->handle = cpu_to_le32(cmd->handle);
	sts->comp_status = cpu_to_le16(comp_status);
	return sts;
}

static int xsfcgw_status_post(struct xsfcgw_cmd *cmd, bool with_data)
{
	struct xsfcgw_vhba *vhba = cmd->vhba;
	struct xscore_conn *data = vhba->data;
	struct ib_sge sge = {
		.addr	= cmd->status_dma,
		.length	= XSFCGW_STATUS_LEN,
		.lkey	= xsfcgw_data_lkey(vhba),
	};
	struct ib_send_wr wr = {
		.wr_cqe		= &cmd->send_cqe,
		.opcode		= IB_WR_SEND,
		.send_flags	= IB_SEND_SIGNALED,
		.sg_list	= &sge,
		.num_sge	= 1,
	};

	ib_dma_sync_single_for_device(vhba->ibdev, cmd->status_dma,
				      XSFCGW_STATUS_LEN, DMA_TO_DEVICE);
	if (READ_ONCE(vhba->dead))
		return -ENOTCONN;
	if (with_data)
		return rdma_rw_ctx_post(&cmd->rw, xscore_conn_qp(data),
					xscore_conn_port_num(data), NULL, &wr);
	return xscore_conn_post_wr(data, &wr);
}

/* End a command that never reached the target core. */
static void xsfcgw_local_status(struct xsfcgw_cmd *cmd, u16 comp_status)
{
	cmd->state = XSFCGW_CMD_LOCAL;
	xsfcgw_status_start(cmd, comp_status);
	if (xsfcgw_status_post(cmd, false))
		xsfcgw_cmd_put(cmd);
}

/* Status (and a read's data) of a command the target core ended. */
static int xsfcgw_respond(struct xsfcgw_cmd *cmd, bool with_data)
{
	struct se_cmd *se_cmd = &cmd->se_cmd;
	struct xsfcgw_vhba *vhba = cmd->vhba;
	struct xscore_conn *data = vhba->data;
	struct xsvhba_status_iocb *sts;
	u16 comp = XSVHBA_COMP_STATUS_COMPLETE;
	u16 scsi_status = se_cmd->scsi_status;
	u8 sense[XSFCGW_SENSE_AREA] = {};
	u32 sense_len;
	int ret;

	if (se_cmd->se_cmd_flags & SCF_OVERFLOW_BIT ||
	    (se_cmd->se_cmd_flags & SCF_UNDERFLOW_BIT &&
	     se_cmd->se_cmd_flags & SCF_SCSI_DATA_CDB))
		atomic_inc(&vhba->port->stats.length_mismatch);
	if (se_cmd->se_cmd_flags & SCF_UNDERFLOW_BIT) {
		comp = XSVHBA_COMP_STATUS_DATA_UNDERRUN;
		scsi_status |= XSVHBA_SS_RESIDUAL_UNDER;
	} else if (se_cmd->se_cmd_flags & SCF_OVERFLOW_BIT) {
		scsi_status |= XSVHBA_SS_RESIDUAL_OVER;
	}
	sts = xsfcgw_status_start(cmd, comp);
	if (se_cmd->se_cmd_flags & SCF_UNDERFLOW_BIT)
		sts->residual_len = cpu_to_le32(se_cmd->residual_count);
	else if (se_cmd->se_cmd_flags & SCF_OVERFLOW_BIT)
		sts->rsp_residual_count = cpu_to_le32(se_cmd->residual_count);
	sense_len = min_t(u32, se_cmd->scsi_sense_length, sizeof(sense));
	if (sense_len) {
		memcpy(sense, se_cmd->sense_buffer, sense_len);
		xsfcgw_fcp_swap(sts->data, sense, sizeof(sense));
		sts->sense_len = cpu_to_le32(sense_len);
		scsi_status |= XSVHBA_SS_SENSE_VALID;
	}
	sts->scsi_status = cpu_to_le16(scsi_status);

	with_data = with_data && se_cmd->data_direction == DMA_FROM_DEVICE &&
		    se_cmd->data_length && se_cmd->t_data_nents &&
		    !cmd->rw_ready && !READ_ONCE(vhba->dead);
	if (with_data) {
		ret = rdma_rw_ctx_init(&cmd->rw, xscore_conn_qp(data),
				       xscore_conn_port_num(data),
				       se_cmd->t_data_sg, se_cmd->t_data_nents,
				       0, cmd->remote_addr, cmd->rkey,
				       DMA_TO_DEVICE);
		if (ret < 0)
			goto failed;
		cmd->rw_ready = true;
	}
	ret = xsfcgw_status_post(cmd, with_data);
	if (!ret)
		return 0;
failed:
	if (cmd->rw_ready) {
		rdma_rw_ctx_destroy(&cmd->rw, xscore_conn_qp(data),
				    xscore_conn_port_num(data),
				    se_cmd->t_data_sg, se_cmd->t_data_nents,
				    DMA_TO_DEVICE);
		cmd->rw_ready = false;
	}
	if (!READ_ONCE(vhba->dead))
		xsfcgw_vhba_close(vhba, "status not posted");
	transport_generic_free_cmd(se_cmd, 0);
	return 0;
}

int xsfcgw_queue_data_in(struct se_cmd *se_cmd)
{
	return xsfcgw_respond(xsfcgw_cmd_of(se_cmd), true);
}

int xsfcgw_queue_status(struct se_cmd *se_cmd)
{
	return xsfcgw_respond(xsfcgw_cmd_of(se_cmd), false);
}

void xsfcgw_release_cmd(struct se_cmd *se_cmd)
{
	xsfcgw_cmd_put(xsfcgw_cmd_of(se_cmd));
}

static void xsfcgw_write_data_read(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsfcgw_cmd *cmd = container_of(wc->wr_cqe, struct xsfcgw_cmd,
					      rdma_cqe);
	struct xsfcgw_vhba *vhba = cmd->vhba;
	struct se_cmd *se_cmd = &cmd->se_cmd;

	rdma_rw_ctx_destroy(&cmd->rw, xscore_conn_qp(vhba->data),
			    xscore_conn_port_num(vhba->data), se_cmd->t_data_sg,
			    se_cmd->t_data_nents, DMA_FROM_DEVICE);
	cmd->rw_ready = false;
	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			xsfcgw_vhba_close(vhba, "write data not read");
		transport_generic_request_failure(se_cmd,
						  TCM_CHECK_CONDITION_ABORT_CMD);
		return;
	}
	target_execute_cmd(se_cmd);
}

/* LIO has the buffer for a write's data: read it from the host. */
int xsfcgw_write_pending(struct se_cmd *se_cmd)
{
	struct xsfcgw_cmd *cmd = xsfcgw_cmd_of(se_cmd);
	struct xsfcgw_vhba *vhba = cmd->vhba;
	struct xscore_conn *data = vhba->data;
	struct ib_qp *qp = xscore_conn_qp(data);
	u32 port_num = xscore_conn_port_num(data);
	int ret;

	if (READ_ONCE(vhba->dead) || !qp)
		return -ENOTCONN;
	ret = rdma_rw_ctx_init(&cmd->rw, qp, port_num, se_cmd->t_data_sg,
			       se_cmd->t_data_nents, 0, cmd->remote_addr,
			       cmd->rkey, DMA_FROM_DEVICE);
	if (ret < 0)
		return ret;
	cmd->rw_ready = true;
	cmd->rdma_cqe.done = xsfcgw_write_data_read;
	ret = rdma_rw_ctx_post(&cmd->rw, qp, port_num, &cmd->rdma_cqe, NULL);
	if (ret) {
		rdma_rw_ctx_destroy(&cmd->rw, qp, port_num, se_cmd->t_data_sg,
				    se_cmd->t_data_nents, DMA_FROM_DEVICE);
		cmd->rw_ready = false;
		xsfcgw_vhba_close(vhba, "write data read not posted");
	}
	return ret;
}

/* The nexus of a loop id the vHBA may send to now, with a user held. */
static struct xsfcgw_nexus *xsfcgw_nexus_use(struct xsfcgw_vhba *vhba,
					     u16 loop_id)
{
	struct xsfcgw_nexus *nexus, *found = NULL;
	unsigned long flags;

	if (!READ_ONCE(vhba->port->link_up))
		return NULL;
	spin_lock_irqsave(&vhba->lock, flags);
	list_for_each_entry(nexus, &vhba->nexuses, node) {
		if (nexus->tpg->loop_id != loop_id ||
		    !READ_ONCE(nexus->tpg->enabled))
			continue;
		found = nexus;
		found->users++;
		break;
	}
	spin_unlock_irqrestore(&vhba->lock, flags);
	return found;
}

static void xsfcgw_nexus_unuse(struct xsfcgw_vhba *vhba,
			       struct xsfcgw_nexus *nexus)
{
	unsigned long flags;

	spin_lock_irqsave(&vhba->lock, flags);
	nexus->users--;
	spin_unlock_irqrestore(&vhba->lock, flags);
	wake_up(&vhba->idle);
}

/* Hand a checked command to the target core; the caller holds a user. */
static void xsfcgw_submit(struct xsfcgw_cmd *cmd, struct xsfcgw_nexus *nexus)
{
	struct xsfcgw_vhba *vhba = cmd->vhba;
	struct se_cmd *se_cmd = &cmd->se_cmd;
	int ret;

	memset(se_cmd, 0, sizeof(*se_cmd));
	memset(cmd->sense, 0, sizeof(cmd->sense));
	cmd->rw_ready = false;
	cmd->state = XSFCGW_CMD_LIO;
	se_cmd->tag = cmd->handle;
	ret = target_init_cmd(se_cmd, nexus->sess, cmd->sense, cmd->lun,
			      cmd->length, TCM_SIMPLE_TAG, cmd->dir,
			      TARGET_SCF_ACK_KREF);
	xsfcgw_nexus_unuse(vhba, nexus);
	if (ret) {
		xsfcgw_local_status(cmd, XSVHBA_COMP_STATUS_PORT_UNAVAILABLE);
		return;
	}
	atomic_inc(&vhba->port->stats.commands);
	/* On failure the core has already answered (queue_status). */
	if (target_submit_prep(se_cmd, cmd->cdb, NULL, 0, NULL, 0, NULL, 0,
			       GFP_KERNEL))
		return;
	target_submit(se_cmd);
}

static bool xsfcgw_faulted_opcode(u8 opcode)
{
	return opcode == READ_10 || opcode == READ_16 ||
	       opcode == WRITE_10 || opcode == WRITE_16;
}

/* Whether an operator's fault holds the command back. */
static bool xsfcgw_hold(struct xsfcgw_cmd *cmd, struct xsfcgw_nexus *nexus)
{
	struct xsfcgw_vhba *vhba = cmd->vhba;
	enum xsfcgw_fault_kind kind = READ_ONCE(nexus->tpg->fault.kind);
	unsigned int ms = READ_ONCE(nexus->tpg->fault.ms);
	unsigned long flags;
	char how[32];

	if (!xsfcgw_faulted_opcode(cmd->cdb[0]))
		return false;
	cmd->stuck = kind == XSFCGW_FAULT_STUCK || kind == XSFCGW_FAULT_STALE;
	cmd->stale = kind == XSFCGW_FAULT_STALE;
	cmd->due = 0;
	switch (kind) {
	case XSFCGW_FAULT_STALE:
		cmd->due = jiffies + msecs_to_jiffies(ms);
		snprintf(how, sizeof(how), "stale after %u ms", ms);
		break;
	case XSFCGW_FAULT_STUCK:
		snprintf(how, sizeof(how), "stuck");
		break;
	case XSFCGW_FAULT_DROP:
		snprintf(how, sizeof(how), "dropped");
		break;
	case XSFCGW_FAULT_DELAY:
		cmd->due = jiffies + msecs_to_jiffies(ms);
		snprintf(how, sizeof(how), "%u ms", ms);
		break;
	default:
		return false;
	}
	cmd->nexus = nexus;
	spin_lock_irqsave(&vhba->lock, flags);
	cmd->state = XSFCGW_CMD_HELD;
	list_add_tail(&cmd->held, &vhba->held);
	spin_unlock_irqrestore(&vhba->lock, flags);
	xsfcgw_nexus_unuse(vhba, nexus);
	mod_delayed_work(xsfcgw_wq, &vhba->held_work, HZ / 10);
	pr_info("%s: vHBA %#llx: command %#x held (%s)\n", vhba->port->name,
		vhba->resource_id, cmd->handle, how);
	return true;
}

/* One IOCB of the ring: check every field the card uses, then run it. */
static void xsfcgw_iocb(struct xsfcgw_vhba *vhba,
			const struct xsvhba_cmd_iocb *iocb)
{
	static const int dirs[] = {
		[XSFCGW_DIR_NONE]	= DMA_NONE,
		[XSFCGW_DIR_READ]	= DMA_FROM_DEVICE,
		[XSFCGW_DIR_WRITE]	= DMA_TO_DEVICE,
	};
	struct xsfcgw_stats *stats = &vhba->port->stats;
	struct xsfcgw_iocb_info info;
	struct xsfcgw_nexus *nexus;
	enum xsfcgw_check check;
	struct xsfcgw_cmd *cmd;
	unsigned long flags;
	bool busy;

	check = xsfcgw_check_iocb(iocb, XSFCGW_DEPTH, XSFCGW_MAX_XFER, &info);
	if (check == XSFCGW_CHECK_HANDLE) {
		atomic_inc(&stats->bad_handle);	/* no slot to answer from */
		return;
	}
	cmd = &vhba->cmds[info.tag];
	spin_lock_irqsave(&vhba->lock, flags);
	busy = cmd->state != XSFCGW_CMD_FREE;
	if (!busy) {
		cmd->state = XSFCGW_CMD_LOCAL;
		vhba->in_use++;
	}
	spin_unlock_irqrestore(&vhba->lock, flags);
	if (busy) {
		atomic_inc(&stats->dup_handle);	/* its answer would end the other */
		return;
	}
	cmd->handle = info.handle;
	cmd->length = info.length;
	cmd->lun = info.lun;
	cmd->dir = dirs[info.dir];
	memcpy(cmd->cdb, info.cdb, sizeof(cmd->cdb));
	cmd->remote_addr = le64_to_cpu(iocb->dseg_0_address);
	cmd->rkey = be32_to_cpu(iocb->rkey1);

	switch (check) {
	case XSFCGW_CHECK_OK:
		break;
	case XSFCGW_CHECK_LUN:
		atomic_inc(&stats->bad_lun);	/* the target core answers it */
		break;
	case XSFCGW_CHECK_SG:
		atomic_inc(&stats->bad_sg);
		xsfcgw_local_status(cmd, XSVHBA_COMP_STATUS_DMA_ERROR);
		return;
	case XSFCGW_CHECK_SEGMENT:
		atomic_inc(&stats->bad_length);
		xsfcgw_local_status(cmd, XSVHBA_COMP_STATUS_DMA_ERROR);
		return;
	case XSFCGW_CHECK_DIRECTION:
		atomic_inc(&stats->malformed);
		xsfcgw_local_status(cmd, XSVHBA_COMP_STATUS_DMA_ERROR);
		return;
	default:	/* not a command */
		atomic_inc(&stats->malformed);
		xsfcgw_local_status(cmd, XSVHBA_COMP_STATUS_PORT_UNAVAILABLE);
		return;
	}
	nexus = xsfcgw_nexus_use(vhba, le16_to_cpu(iocb->nport_handle));
	if (!nexus) {
		atomic_inc(&stats->no_target);
		xsfcgw_local_status(cmd, XSVHBA_COMP_STATUS_PORT_UNAVAILABLE);
		return;
	}
	if (xsfcgw_hold(cmd, nexus))
		return;
	xsfcgw_submit(cmd, nexus);
}

static int xsfcgw_fetch(struct xsfcgw_vhba *vhba);

static void xsfcgw_fetched(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsfcgw_vhba *vhba = container_of(wc->wr_cqe, struct xsfcgw_vhba,
						fetch_cqe);
	struct ib_sge sge = {
		.addr	= vhba->index_dma,
		.length	= sizeof(*vhba->index_buf),
		.lkey	= xsfcgw_data_lkey(vhba),
	};
	struct ib_rdma_wr wr = {
		.wr = {
			.opcode		= IB_WR_RDMA_WRITE,
			.sg_list	= &sge,
			.num_sge	= 1,
		},
		.remote_addr	= vhba->index_addr,
		.rkey		= vhba->index_rkey,
	};
	unsigned int i, count = vhba->fetch_count;

	vhba->fetching = false;
	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			xsfcgw_vhba_close(vhba, "ring not read");
		return;
	}
	ib_dma_sync_single_for_cpu(vhba->ibdev, vhba->fetch_dma,
				   XSFCGW_FETCH * XSVHBA_IOCB_SIZE,
				   DMA_FROM_DEVICE);
	vhba->read_index = (vhba->read_index + count) % vhba->ring_size;
	/* The host reuses the slots once it sees the index move. */
	*vhba->index_buf = cpu_to_le32(vhba->read_index);
	ib_dma_sync_single_for_device(vhba->ibdev, vhba->index_dma,
				      sizeof(*vhba->index_buf), DMA_TO_DEVICE);
	wr.wr.wr_cqe = &vhba->index_cqe;
	if (xscore_conn_post_wr(vhba->data, &wr.wr)) {
		xsfcgw_vhba_close(vhba, "read index not posted");
		return;
	}
	for (i = 0; i < count && !READ_ONCE(vhba->dead); i++)
		xsfcgw_iocb(vhba, vhba->fetch_buf + i * XSVHBA_IOCB_SIZE);
	ib_dma_sync_single_for_device(vhba->ibdev, vhba->fetch_dma,
				      XSFCGW_FETCH * XSVHBA_IOCB_SIZE,
				      DMA_FROM_DEVICE);
	if (xsfcgw_fetch(vhba))
		xsfcgw_vhba_close(vhba, "ring read not posted");
}

/* Read the ring's next IOCBs up to the host's write index. */
static int xsfcgw_fetch(struct xsfcgw_vhba *vhba)
{
	struct ib_sge sge = {
		.addr	= vhba->fetch_dma,
		.lkey	= xsfcgw_data_lkey(vhba),
	};
	struct ib_rdma_wr wr = {
		.wr = {
			.opcode		= IB_WR_RDMA_READ,
			.send_flags	= IB_SEND_SIGNALED,
			.sg_list	= &sge,
			.num_sge	= 1,
			.wr_cqe		= &vhba->fetch_cqe,
		},
		.rkey		= vhba->ring_rkey,
	};
	u16 end, count;

	if (vhba->fetching || vhba->read_index == vhba->write_index ||
	    READ_ONCE(vhba->dead))
		return 0;
	end = vhba->write_index > vhba->read_index ? vhba->write_index :
	      vhba->ring_size;
	count = min_t(u16, end - vhba->read_index, XSFCGW_FETCH);
	sge.length = count * XSVHBA_IOCB_SIZE;
	wr.remote_addr = vhba->ring_addr +
			 (u64)vhba->read_index * XSVHBA_IOCB_SIZE;
	vhba->fetch_count = count;
	vhba->fetching = true;
	return xscore_conn_post_wr(vhba->data, &wr.wr);
}

/**
 * xsfcgw_data_message() - one message from the vHBA's data connection
 * @vhba: the vHBA
 * @msg: the message
 * @len: its length as it arrived
 *
 * INIT_BLOCK says where the ring is; WRITE_INDEX_UPDATE moves its end.
 * Runs in the data connection's completion work, which owns the ring.
 */
void xsfcgw_data_message(struct xsfcgw_vhba *vhba, const void *msg, u32 len)
{
	const struct xsvhba_init_block *init = msg;
	const struct xsvhba_write_index *update = msg;
	struct xsfcgw_stats *stats = &vhba->port->stats;

	if (!len) {
		atomic_inc(&stats->malformed);
		return;
	}
	switch (*(const u8 *)msg) {
	case XSVHBA_DATA_TYPE_INIT_BLOCK:
		if (xsfcgw_check_init_block(msg, len) || vhba->ring_known) {
			atomic_inc(&stats->malformed);
			xsfcgw_vhba_close(vhba, "bad INIT_BLOCK");
			return;
		}
		vhba->ring_size = le16_to_cpu(init->ring_size);
		vhba->ring_addr = le64_to_cpu(init->base_addr);
		vhba->ring_rkey = le32_to_cpu(init->base_addr_rkey);
		vhba->index_addr = le64_to_cpu(init->read_index_addr);
		vhba->index_rkey = le32_to_cpu(init->read_index_rkey);
		vhba->read_index = 0;
		vhba->write_index = 0;
		vhba->ring_known = true;
		xsfcgw_vhba_ring_known(vhba);
		break;
	case XSVHBA_DATA_TYPE_WRITE_INDEX_UPDATE:
		if (xsfcgw_check_write_index(msg, len, vhba->ring_size)) {
			atomic_inc(&stats->ring_index);
			xsfcgw_vhba_close(vhba, "write index past the ring");
			return;
		}
		vhba->write_index = le16_to_cpu(update->write_index);
		if (xsfcgw_fetch(vhba))
			xsfcgw_vhba_close(vhba, "ring read not posted");
		break;
	default:
		atomic_inc(&stats->malformed);
		break;
	}
}

static void xsfcgw_stale_moved(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsfcgw_cmd *cmd = container_of(wc->wr_cqe, struct xsfcgw_cmd,
					      rdma_cqe);
	struct xsfcgw_vhba *vhba = cmd->vhba;
	const char *outcome;

	switch (wc->status) {
	case IB_WC_SUCCESS:
		outcome = "completed";
		break;
	case IB_WC_WR_FLUSH_ERR:
		outcome = "flushed";
		break;
	case IB_WC_REM_ACCESS_ERR:
		outcome = "remote access error";
		break;
	default:
		outcome = ib_wc_status_msg(wc->status);
		break;
	}
	pr_info("%s: vHBA %#llx: stale RDMA %s of command %#x (key %#x, %u bytes): %s\n",
		vhba->port->name, vhba->resource_id,
		cmd->dir == DMA_FROM_DEVICE ? "WRITE" : "READ", cmd->handle,
		cmd->rkey, cmd->length, outcome);
	if (wc->status != IB_WC_SUCCESS)
		xsfcgw_vhba_close(vhba, "a late data move failed");
	xsfcgw_cmd_put(cmd);
}

/*
 * Move a held command's data with the key it came with, as a card that
 * lost track of it would; no status follows.  A host that took the
 * command back has invalidated the key.
 */
static void xsfcgw_move_stale(struct xsfcgw_cmd *cmd)
{
	struct xsfcgw_vhba *vhba = cmd->vhba;
	u32 len = min_t(u32, cmd->length, XSFCGW_STALE_MAX);
	bool write = cmd->dir == DMA_FROM_DEVICE;
	struct ib_sge sge;
	struct ib_rdma_wr wr = {
		.wr = {
			.opcode		= write ? IB_WR_RDMA_WRITE :
						  IB_WR_RDMA_READ,
			.send_flags	= IB_SEND_SIGNALED,
			.sg_list	= &sge,
			.num_sge	= 1,
			.wr_cqe		= &cmd->rdma_cqe,
		},
		.remote_addr	= cmd->remote_addr,
		.rkey		= cmd->rkey,
	};
	unsigned int i;
	int ret = -ENOMEM;

	cmd->state = XSFCGW_CMD_STALE;
	if (!vhba->stale_buf) {
		vhba->stale_buf = kmalloc(XSFCGW_STALE_MAX, GFP_KERNEL);
		if (!vhba->stale_buf)
			goto not_posted;
		for (i = 0; i + 8 <= XSFCGW_STALE_MAX; i += 8)
			memcpy(vhba->stale_buf + i, xsfcgw_stale_pattern, 8);
		vhba->stale_dma = ib_dma_map_single(vhba->ibdev,
						    vhba->stale_buf,
						    XSFCGW_STALE_MAX,
						    DMA_BIDIRECTIONAL);
		if (ib_dma_mapping_error(vhba->ibdev, vhba->stale_dma)) {
			kfree(vhba->stale_buf);
			vhba->stale_buf = NULL;
			goto not_posted;
		}
	}
	sge.addr = vhba->stale_dma;
	sge.length = len;
	sge.lkey = xsfcgw_data_lkey(vhba);
	cmd->rdma_cqe.done = xsfcgw_stale_moved;
	ret = READ_ONCE(vhba->dead) ? -ENOTCONN :
	      xscore_conn_post_wr(vhba->data, &wr.wr);
	if (!ret)
		return;
not_posted:
	pr_info("%s: vHBA %#llx: stale RDMA %s of command %#x (key %#x, %u bytes): not posted (%d)\n",
		vhba->port->name, vhba->resource_id, write ? "WRITE" : "READ",
		cmd->handle, cmd->rkey, cmd->length, ret);
	xsfcgw_cmd_put(cmd);
}

/* Run, or move the data of, the held commands that are due. */
void xsfcgw_held_work(struct work_struct *work)
{
	struct xsfcgw_vhba *vhba = container_of(to_delayed_work(work),
						struct xsfcgw_vhba, held_work);
	struct xsfcgw_cmd *cmd, *next;
	struct xsfcgw_nexus *nexus;
	unsigned long flags;
	bool more, stale_due = false;
	LIST_HEAD(due);

	spin_lock_irqsave(&vhba->lock, flags);
	/*
	 * The stale commands go together once the first is due: the first
	 * failed RDMA operation fails the connection, which would end the
	 * others unseen.
	 */
	list_for_each_entry(cmd, &vhba->held, held)
		if (cmd->stale && time_after_eq(jiffies, cmd->due))
			stale_due = true;
	list_for_each_entry_safe(cmd, next, &vhba->held, held) {
		if (!(cmd->stale && stale_due) &&
		    (!cmd->due || time_before(jiffies, cmd->due)))
			continue;
		/* Out of an abort's reach from here on. */
		cmd->state = XSFCGW_CMD_LOCAL;
		list_move_tail(&cmd->held, &due);
	}
	more = !list_empty(&vhba->held);
	spin_unlock_irqrestore(&vhba->lock, flags);

	list_for_each_entry_safe(cmd, next, &due, held) {
		list_del_init(&cmd->held);
		if (cmd->stale) {
			xsfcgw_move_stale(cmd);
			continue;
		}
		spin_lock_irqsave(&vhba->lock, flags);
		nexus = cmd->nexus;
		if (nexus->gone)
			nexus = NULL;
		else
			nexus->users++;
		spin_unlock_irqrestore(&vhba->lock, flags);
		if (nexus)
			xsfcgw_submit(cmd, nexus);
		else
			xsfcgw_local_status(cmd,
					    XSVHBA_COMP_STATUS_PORT_UNAVAILABLE);
	}
	if (more && !READ_ONCE(vhba->dead))
		queue_delayed_work(xsfcgw_wq, &vhba->held_work, HZ / 10);
}

/**
 * xsfcgw_held_end_all() - end the commands a fault holds
 * @vhba: the vHBA
 * @stuck_too: also those that ignore aborts and resets
 * @status: the comp_status they end with (none once the vHBA is dead)
 */
void xsfcgw_held_end_all(struct xsfcgw_vhba *vhba, bool stuck_too, u16 status)
{
	struct xsfcgw_cmd *cmd, *next;
	unsigned long flags;
	LIST_HEAD(ended);

	spin_lock_irqsave(&vhba->lock, flags);
	list_for_each_entry_safe(cmd, next, &vhba->held, held) {
		if (!stuck_too && cmd->stuck)
			continue;
		cmd->state = XSFCGW_CMD_LOCAL;
		list_move_tail(&cmd->held, &ended);
	}
	spin_unlock_irqrestore(&vhba->lock, flags);
	list_for_each_entry_safe(cmd, next, &ended, held) {
		list_del_init(&cmd->held);
		xsfcgw_local_status(cmd, status);
	}
}

/**
 * xsfcgw_abort() - abort one command, if a fault holds it
 * @vhba: the vHBA
 * @handle: the command's handle
 * @outcome: for the log
 *
 * Return: whether it was aborted (and its status sent).
 */
bool xsfcgw_abort(struct xsfcgw_vhba *vhba, u32 handle, const char **outcome)
{
	u32 tag = handle & XSVHBA_HANDLE_MASK;
	struct xsfcgw_cmd *cmd;
	unsigned long flags;
	bool aborted = false;

	*outcome = "not held";
	if (tag >= XSFCGW_DEPTH)
		return false;
	cmd = &vhba->cmds[tag];
	spin_lock_irqsave(&vhba->lock, flags);
	if (cmd->state == XSFCGW_CMD_HELD && cmd->handle == handle) {
		if (cmd->stuck) {
			*outcome = "ignored (stuck)";
		} else {
			cmd->state = XSFCGW_CMD_LOCAL;
			list_del_init(&cmd->held);
			aborted = true;
			*outcome = "aborted";
		}
	}
	spin_unlock_irqrestore(&vhba->lock, flags);
	if (aborted)
		xsfcgw_local_status(cmd, XSVHBA_COMP_STATUS_ABORTED);
	return aborted;
}

/* The card's answer to ABORT_CMD, on the data connection. */
void xsfcgw_send_abort_iocb(struct xsfcgw_vhba *vhba,
			    const struct xsvhba_abort_cmd *abort, bool done)
{
	u8 prefix[XSVHBA_STATUS_PREFIX] = {};
	struct xsvhba_abort_iocb answer = {
		.entry_type	= XSVHBA_ENTRY_TYPE_ABORT,
		.entry_count	= 1,
		.handle		= abort->handle_to_abort,
		.nport_handle	= cpu_to_le16(done ? 0 : 1),
		.handle_to_abort = abort->handle_to_abort,
		.vp_index	= vhba->vp_index,
	};

	if (!vhba->data)
		return;
	memcpy(answer.port_id, abort->port_id, sizeof(answer.port_id));
	xsfcgw_conn_send(vhba, vhba->data, prefix, sizeof(prefix), &answer,
			 sizeof(answer));
}

/**
 * xsfcgw_cmds_alloc() - the vHBA's command slots and ring buffers
 * @vhba: the vHBA, whose device is set
 *
 * Return: 0 or -ENOMEM.
 */
int xsfcgw_cmds_alloc(struct xsfcgw_vhba *vhba)
{
	struct ib_device *ibdev = vhba->ibdev;
	struct xsfcgw_cmd *cmd;
	unsigned int i;

	vhba->cmds = kcalloc(XSFCGW_DEPTH, sizeof(*vhba->cmds), GFP_KERNEL);
	vhba->fetch_buf = kzalloc(XSFCGW_FETCH * XSVHBA_IOCB_SIZE, GFP_KERNEL);
	vhba->index_buf = kzalloc(sizeof(*vhba->index_buf), GFP_KERNEL);
	if (!vhba->cmds || !vhba->fetch_buf || !vhba->index_buf)
		goto fail;
	vhba->fetch_dma = ib_dma_map_single(ibdev, vhba->fetch_buf,
					    XSFCGW_FETCH * XSVHBA_IOCB_SIZE,
					    DMA_FROM_DEVICE);
	if (ib_dma_mapping_error(ibdev, vhba->fetch_dma))
		goto fail;
	vhba->index_dma = ib_dma_map_single(ibdev, vhba->index_buf,
					    sizeof(*vhba->index_buf),
					    DMA_TO_DEVICE);
	if (ib_dma_mapping_error(ibdev, vhba->index_dma)) {
		ib_dma_unmap_single(ibdev, vhba->fetch_dma,
				    XSFCGW_FETCH * XSVHBA_IOCB_SIZE,
				    DMA_FROM_DEVICE);
		goto fail;
	}
	vhba->fetch_cqe.done = xsfcgw_fetched;
	vhba->index_cqe.done = xsfcgw_index_written;
	for (i = 0; i < XSFCGW_DEPTH; i++) {
		cmd = &vhba->cmds[i];
		cmd->vhba = vhba;
		INIT_LIST_HEAD(&cmd->held);
		cmd->send_cqe.done = xsfcgw_status_sent;
		cmd->status = kzalloc(XSFCGW_STATUS_LEN, GFP_KERNEL);
		if (!cmd->status)
			goto fail_cmds;
		cmd->status_dma = ib_dma_map_single(ibdev, cmd->status,
						    XSFCGW_STATUS_LEN,
						    DMA_TO_DEVICE);
		if (ib_dma_mapping_error(ibdev, cmd->status_dma)) {
			kfree(cmd->status);
			cmd->status = NULL;
			goto fail_cmds;
		}
	}
	return 0;

fail_cmds:
	xsfcgw_cmds_free(vhba);
	return -ENOMEM;
fail:
	kfree(vhba->cmds);
	kfree(vhba->fetch_buf);
	kfree(vhba->index_buf);
	vhba->cmds = NULL;
	vhba->fetch_buf = NULL;
	vhba->index_buf = NULL;
	return -ENOMEM;
}

/* Once no command is in use. */
void xsfcgw_cmds_free(struct xsfcgw_vhba *vhba)
{
	struct ib_device *ibdev = vhba->ibdev;
	struct xsfcgw_cmd *cmd;
	unsigned int i;

	if (!vhba->cmds)
		return;
	for (i = 0; i < XSFCGW_DEPTH; i++) {
		cmd = &vhba->cmds[i];
		if (!cmd->status)
			continue;
		ib_dma_unmap_single(ibdev, cmd->status_dma, XSFCGW_STATUS_LEN,
				    DMA_TO_DEVICE);
		kfree(cmd->status);
	}
	if (vhba->stale_buf) {
		ib_dma_unmap_single(ibdev, vhba->stale_dma, XSFCGW_STALE_MAX,
				    DMA_BIDIRECTIONAL);
		kfree(vhba->stale_buf);
	}
	ib_dma_unmap_single(ibdev, vhba->index_dma, sizeof(*vhba->index_buf),
			    DMA_TO_DEVICE);
	ib_dma_unmap_single(ibdev, vhba->fetch_dma,
			    XSFCGW_FETCH * XSVHBA_IOCB_SIZE, DMA_FROM_DEVICE);
	kfree(vhba->index_buf);
	kfree(vhba->fetch_buf);
	kfree(vhba->cmds);
	vhba->cmds = NULL;
}
