// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The vHBA's data path: commands go into a ring in host memory that the
 * card reads by RDMA (the card is told the new write index after each);
 * each command's data is registered with a fast-registration key that lets
 * the card read or write only that buffer, and the key is invalidated
 * before the command completes.  Status IOCBs arrive on the data
 * connection and are polled with irq_poll.
 */
#include <linux/scatterlist.h>
#include <linux/swab.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_tcq.h>
#include <scsi/scsi_transport_fc.h>

#include "compat.h"
#include "xsvhba.h"
#include "xsvhba_check.h"

#define CREATE_TRACE_POINTS
#include "xsvhba_trace.h"

#define XSVHBA_RING_BYTES	(XSVHBA_RING_SIZE * sizeof(struct xsvhba_cmd_iocb))

static_assert(sizeof(struct xsvhba_cmd_iocb) == XSVHBA_IOCB_SIZE);

static void xsvhba_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	/* A failed registration fails the connection; teardown purges. */
	if (wc->status != IB_WC_SUCCESS && wc->status != IB_WC_WR_FLUSH_ERR)
		pr_warn_ratelimited("xsvhba: memory registration failed: %s\n",
				    ib_wc_status_msg(wc->status));
}

int xsvhba_ring_alloc(struct xsvhba *vhba)
{
	struct ib_device *ibdev = vhba->route.ibdev;

	vhba->mrs = kcalloc(vhba->queue_depth, sizeof(*vhba->mrs), GFP_KERNEL);
	vhba->ring = kzalloc(XSVHBA_RING_BYTES, GFP_KERNEL);
	vhba->read_index = kzalloc(sizeof(*vhba->read_index), GFP_KERNEL);
	if (!vhba->mrs || !vhba->ring || !vhba->read_index)
		goto free;
	vhba->ring_dma = ib_dma_map_single(ibdev, vhba->ring, XSVHBA_RING_BYTES,
					   DMA_TO_DEVICE);
	if (ib_dma_mapping_error(ibdev, vhba->ring_dma))
		goto free;
	vhba->read_index_dma = ib_dma_map_single(ibdev, vhba->read_index,
						 sizeof(*vhba->read_index),
						 DMA_FROM_DEVICE);
	if (ib_dma_mapping_error(ibdev, vhba->read_index_dma))
		goto unmap_ring;
	vhba->ring_reg_cqe.done = xsvhba_reg_done;
	return 0;

unmap_ring:
	ib_dma_unmap_single(ibdev, vhba->ring_dma, XSVHBA_RING_BYTES,
			    DMA_TO_DEVICE);
free:
	kfree(vhba->read_index);
	kfree(vhba->ring);
	kfree(vhba->mrs);
	vhba->read_index = NULL;
	vhba->ring = NULL;
	vhba->mrs = NULL;
	return -ENOMEM;
}

void xsvhba_ring_free(struct xsvhba *vhba)
{
	struct ib_device *ibdev = vhba->route.ibdev;

	if (!vhba->ring)
		return;
	ib_dma_unmap_single(ibdev, vhba->read_index_dma,
			    sizeof(*vhba->read_index), DMA_FROM_DEVICE);
	ib_dma_unmap_single(ibdev, vhba->ring_dma, XSVHBA_RING_BYTES,
			    DMA_TO_DEVICE);
	kfree(vhba->read_index);
	kfree(vhba->ring);
	kfree(vhba->mrs);
	vhba->ring = NULL;
}

/* Register len bytes at dma under mr with only the access the card needs. */
static int xsvhba_register_region(struct xsvhba *vhba, struct ib_mr *mr,
				  u64 dma, u32 len, int access)
{
	struct ib_reg_wr wr = {
		.wr.opcode	= IB_WR_REG_MR,
		.wr.wr_cqe	= &vhba->ring_reg_cqe,
		.wr.send_flags	= IB_SEND_SIGNALED,
		.mr		= mr,
		.key		= mr->rkey,
		.access		= access,
	};
	struct scatterlist sg;
	int n;

	sg_init_table(&sg, 1);
	sg_dma_address(&sg) = dma;
	sg_dma_len(&sg) = len;
	n = ib_map_mr_sg(mr, &sg, 1, NULL, PAGE_SIZE);
	if (n != 1)
		return n < 0 ? n : -EINVAL;
	return xscore_conn_post_wr(vhba->data, &wr.wr);
}

static struct ib_mr *xsvhba_alloc_mr(struct xsvhba *vhba, u32 pages)
{
	return ib_alloc_mr(xscore_conn_pd(vhba->data), IB_MR_TYPE_MEM_REG, pages);
}

/*
 * Once both connections are up: fresh keys for the ring (remote read),
 * the read index (remote write) and one data key per tag.  Nothing of an
 * earlier connection stays valid.
 */
int xsvhba_keys_setup(struct xsvhba *vhba)
{
	u32 data_pages = vhba->xfer_kb * SZ_1K / PAGE_SIZE + 1;
	unsigned int i;
	int ret;

	/* No command of an earlier connection stays readable by the card. */
	for (i = 0; i < XSVHBA_RING_SIZE; i++)
		memset(&vhba->ring[i], 0, sizeof(vhba->ring[i]));
	*vhba->read_index = 0;
	vhba->write_index = 0;
	vhba->ring_mr = xsvhba_alloc_mr(vhba, XSVHBA_RING_BYTES / PAGE_SIZE + 1);
	if (IS_ERR(vhba->ring_mr)) {
		ret = PTR_ERR(vhba->ring_mr);
		vhba->ring_mr = NULL;
		return ret;
	}
	vhba->index_mr = xsvhba_alloc_mr(vhba, 1);
	if (IS_ERR(vhba->index_mr)) {
		ret = PTR_ERR(vhba->index_mr);
		vhba->index_mr = NULL;
		return ret;
	}
	for (i = 0; i < vhba->queue_depth; i++) {
		vhba->mrs[i] = xsvhba_alloc_mr(vhba, data_pages);
		if (IS_ERR(vhba->mrs[i])) {
			ret = PTR_ERR(vhba->mrs[i]);
			vhba->mrs[i] = NULL;
			return ret;
		}
	}
	ib_dma_sync_single_for_device(vhba->route.ibdev, vhba->ring_dma,
				      XSVHBA_RING_BYTES, DMA_TO_DEVICE);
	ib_dma_sync_single_for_device(vhba->route.ibdev, vhba->read_index_dma,
				      sizeof(*vhba->read_index),
				      DMA_FROM_DEVICE);
	ret = xsvhba_register_region(vhba, vhba->ring_mr, vhba->ring_dma,
				     XSVHBA_RING_BYTES, IB_ACCESS_REMOTE_READ);
	if (ret)
		return ret;
	return xsvhba_register_region(vhba, vhba->index_mr,
				      vhba->read_index_dma,
				      sizeof(*vhba->read_index),
				      IB_ACCESS_LOCAL_WRITE |
				      IB_ACCESS_REMOTE_WRITE);
}

/* After the connections are closed: no key outlives them. */
void xsvhba_keys_release(struct xsvhba *vhba)
{
	unsigned int i;

	for (i = 0; i < vhba->queue_depth; i++) {
		if (vhba->mrs[i])
			ib_dereg_mr(vhba->mrs[i]);
		vhba->mrs[i] = NULL;
	}
	if (vhba->index_mr)
		ib_dereg_mr(vhba->index_mr);
	if (vhba->ring_mr)
		ib_dereg_mr(vhba->ring_mr);
	vhba->index_mr = NULL;
	vhba->ring_mr = NULL;
}

/* The FCP byte order of the original: each 32-bit word byte-reversed. */
static void xsvhba_fcp_swap(u8 *dst, const u8 *src, unsigned int len)
{
	unsigned int i;
	u32 word;

	for (i = 0; i + 4 <= len; i += 4) {
		memcpy(&word, src + i, 4);
		word = swab32(word);
		memcpy(dst + i, &word, 4);
	}
}

static void xsvhba_unmap(struct xsvhba_cmd *cmd)
{
	struct scsi_cmnd *scmnd = cmd->scmnd;

	if (!cmd->mapped)
		return;
	ib_dma_unmap_sg(cmd->vhba->route.ibdev, scsi_sglist(scmnd),
			scsi_sg_count(scmnd), scmnd->sc_data_direction);
	cmd->mapped = 0;
	atomic_dec(&cmd->vhba->dma_mapped);
}

/* The one completion of a command that left ISSUED or ENDING. */
static void xsvhba_finish(struct xsvhba_cmd *cmd)
{
	struct xsvhba *vhba = cmd->vhba;
	struct scsi_cmnd *scmnd = cmd->scmnd;

	xsvhba_unmap(cmd);
	trace_xsvhba_cmd_complete(scmnd, cmd->handle, scmnd->result);
	atomic_set(&cmd->state, XSVHBA_CMD_IDLE);
	wake_up_all(&vhba->cmd_wait);
	scsi_done(scmnd);
}

static void xsvhba_inv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xsvhba_cmd *cmd = container_of(wc->wr_cqe, struct xsvhba_cmd,
					      inv_cqe);

	/* Failed, the QP is in error: the card cannot reach the key either. */
	if (atomic_read(&cmd->state) == XSVHBA_CMD_ENDING)
		xsvhba_finish(cmd);
}

/* Once per command slot, for the life of the host. */
int xsvhba_init_cmd_priv(struct Scsi_Host *shost, struct scsi_cmnd *scmnd)
{
	struct xsvhba_cmd *cmd = scsi_cmd_priv(scmnd);

	cmd->scmnd = scmnd;
	cmd->vhba = shost_to_vhba(shost);
	cmd->reg_cqe.done = xsvhba_reg_done;
	cmd->inv_cqe.done = xsvhba_inv_done;
	atomic_set(&cmd->state, XSVHBA_CMD_IDLE);
	return 0;
}

/* Status is in: take the card's key away, then complete. */
static void xsvhba_end(struct xsvhba_cmd *cmd)
{
	struct ib_send_wr wr = {
		.opcode			= IB_WR_LOCAL_INV,
		.wr_cqe			= &cmd->inv_cqe,
		.send_flags		= IB_SEND_SIGNALED,
	};

	if (!cmd->mr) {
		xsvhba_finish(cmd);
		return;
	}
	wr.ex.invalidate_rkey = cmd->mr->rkey;
	/*
	 * Not posted: the connection is going, and its teardown (which this
	 * makes sure of) completes the command once the QP is destroyed.
	 */
	if (xscore_conn_post_wr(cmd->vhba->data, &wr))
		xsvhba_ask_reset(cmd->vhba);
}

static int xsvhba_host_byte(u16 comp_status)
{
	switch (comp_status) {
	case XSVHBA_COMP_STATUS_COMPLETE:
	case XSVHBA_COMP_STATUS_DATA_UNDERRUN:
	case XSVHBA_COMP_STATUS_QUEUE_FULL:
		return DID_OK;
	case XSVHBA_COMP_STATUS_RESET:
	case XSVHBA_COMP_STATUS_ABORTED:
		return DID_RESET;
	case XSVHBA_COMP_STATUS_DMA_ERROR:
		return DID_NO_CONNECT;
	case XSVHBA_COMP_STATUS_DATA_OVERRUN:
		return DID_ERROR;
	default:
		return DID_BUS_BUSY;	/* the midlayer retries */
	}
}

/* Result, residual and sense of one status IOCB, every length checked. */
static void xsvhba_set_result(struct xsvhba_cmd *cmd,
			      const struct xsvhba_status_iocb *sts)
{
	struct scsi_cmnd *scmnd = cmd->scmnd;
	u16 scsi_status = le16_to_cpu(sts->scsi_status);
	struct xsvhba_status_lengths lens;
	u8 data[sizeof(sts->data)];
	int host = xsvhba_host_byte(le16_to_cpu(sts->comp_status));
	enum xsvhba_check why;

	why = xsvhba_check_status_lengths(sts, scsi_bufflen(scmnd),
					  scmnd->underflow, host == DID_OK,
					  SCSI_SENSE_BUFFERSIZE, &lens);
	/* The status stands, as an error: counted by reason only. */
	if (why) {
		xsvhba_refused(cmd->vhba, why, NULL);
		host = DID_ERROR;
	}
	scsi_set_resid(scmnd, lens.resid);
	if (lens.sense_len) {
		xsvhba_fcp_swap(data, sts->data, sizeof(data));
		memcpy(scmnd->sense_buffer, data + lens.rsp_len,
		       lens.sense_len);
	}
	scmnd->result = host << 16 | (scsi_status & XSVHBA_SS_MASK);
}

/* The command of a checked status IOCB's handle, if it is still there. */
static struct xsvhba_cmd *xsvhba_cmd_of_handle(struct xsvhba *vhba,
					       u32 handle)
{
	u32 tag = handle & XSVHBA_HANDLE_MASK;
	struct scsi_cmnd *scmnd;
	struct xsvhba_cmd *cmd;

	scmnd = scsi_host_find_tag(vhba->shost, tag);
	if (!scmnd)
		return NULL;
	cmd = scsi_cmd_priv(scmnd);
	return cmd->handle == handle ? cmd : NULL;
}

static void xsvhba_status(struct xsvhba *vhba, const void *iocb, u32 len)
{
	const struct xsvhba_status_iocb *sts = iocb;
	enum xsvhba_check why;
	struct xsvhba_cmd *cmd;

	why = xsvhba_check_status(iocb, len, vhba->queue_depth);
	if (why) {
		xsvhba_refused(vhba, why, why == XSVHBA_CHECK_STATUS_HANDLE ?
			       &vhba->counters.status_stale :
			       &vhba->counters.status_malformed);
		return;
	}
	cmd = xsvhba_cmd_of_handle(vhba, le32_to_cpu(sts->handle));
	if (!cmd || atomic_cmpxchg(&cmd->state, XSVHBA_CMD_ISSUED,
				   XSVHBA_CMD_ENDING) != XSVHBA_CMD_ISSUED) {
		xsvhba_count(vhba, &vhba->counters.status_stale);
		return;
	}
	if (sts->entry_type == XSVHBA_ENTRY_TYPE_COMMAND)
		cmd->scmnd->result = DID_NO_CONNECT << 16;	/* not executed */
	else
		xsvhba_set_result(cmd, sts);
	xsvhba_end(cmd);
}

/* One message on the data connection: a prefix, then an IOCB. */
static void xsvhba_data_deliver(struct xscore_conn *conn, void *data, u32 len)
{
	struct xsvhba *vhba = xscore_conn_context(conn);
	const u8 *iocb = data + XSVHBA_STATUS_PREFIX;
	enum xsvhba_check why = xsvhba_check_data(data, len);

	if (why) {
		xsvhba_refused(vhba, why, &vhba->counters.status_malformed);
		return;
	}
	len -= XSVHBA_STATUS_PREFIX;
	switch (iocb[0]) {
	case XSVHBA_ENTRY_TYPE_STATUS:
	case XSVHBA_ENTRY_TYPE_COMMAND:
		xsvhba_status(vhba, iocb, len);
		break;
	default:
		/* ABORT, STATUS_CONT: an abort ends with the command's own
		 * status; sense beyond the status IOCB is not kept.
		 */
		break;
	}
}

void xsvhba_data_rx_notify(struct xscore_conn *conn)
{
	struct xsvhba *vhba = xscore_conn_context(conn);

	irq_poll_sched(&vhba->iop);
}

int xsvhba_poll(struct irq_poll *iop, int budget)
{
	struct xsvhba *vhba = container_of(iop, struct xsvhba, iop);
	int done;

	done = xscore_conn_poll_rx(vhba->data, budget, xsvhba_data_deliver);
	if (done < budget) {
		irq_poll_complete(iop);
		if (xscore_conn_rx_rearm(vhba->data))
			irq_poll_sched(iop);
	}
	return done;
}

/* Seconds the card may take: 80% of the midlayer's, as the original. */
static u16 xsvhba_iocb_timeout(struct scsi_cmnd *scmnd)
{
	unsigned int secs = scsi_cmd_to_rq(scmnd)->timeout / HZ;

	if (secs > 5)
		secs = secs * 8 / 10;
	else if (secs > 1)
		secs--;
	return clamp(secs, 1U, 0xffffU);
}

static void xsvhba_fill_iocb(struct xsvhba *vhba, struct xsvhba_cmd *cmd,
			     const struct xsvhba_rport *rp,
			     struct xsvhba_cmd_iocb *iocb)
{
	struct scsi_cmnd *scmnd = cmd->scmnd;
	struct scsi_lun lun;
	u8 cdb[16] = {};

	memset(iocb, 0, sizeof(*iocb));
	iocb->entry_type = XSVHBA_ENTRY_TYPE_COMMAND;
	iocb->entry_count = 1;
	iocb->handle = cpu_to_le32(cmd->handle);
	iocb->nport_handle = cpu_to_le16(rp->loop_id);
	iocb->timeout = cpu_to_le16(xsvhba_iocb_timeout(scmnd));
	int_to_scsilun(scmnd->device->lun, &lun);
	xsvhba_fcp_swap(iocb->lun, lun.scsi_lun, sizeof(iocb->lun));
	memcpy(cdb, scmnd->cmnd, min_t(unsigned int, scmnd->cmd_len,
				       sizeof(cdb)));
	xsvhba_fcp_swap(iocb->fcp_cdb, cdb, sizeof(cdb));
	iocb->port_id[0] = rp->port_id & 0xff;
	iocb->port_id[1] = (rp->port_id >> 8) & 0xff;
	iocb->port_id[2] = (rp->port_id >> 16) & 0xff;
	iocb->vp_index = vhba->vp_index;
	if (!cmd->mr)
		return;
	iocb->task_mgmt_flags =
		cpu_to_le16(scmnd->sc_data_direction == DMA_TO_DEVICE ?
			    XSVHBA_TASK_FLAG_WRITE_DATA :
			    XSVHBA_TASK_FLAG_READ_DATA);
	iocb->dseg_count = cpu_to_le16(1);
	iocb->byte_count = cpu_to_le32(scsi_bufflen(scmnd));
	iocb->dseg_0_address = cpu_to_le64(cmd->mr->iova);
	iocb->dseg_0_len = cpu_to_le32(cmd->mr->length);
	iocb->rkey1 = cpu_to_be32(cmd->mr->rkey);
}

/* Map the data and give the card a key to exactly that buffer. */
static int xsvhba_map_data(struct xsvhba *vhba, struct xsvhba_cmd *cmd,
			   struct ib_reg_wr *reg)
{
	struct scsi_cmnd *scmnd = cmd->scmnd;
	struct ib_device *ibdev = vhba->route.ibdev;
	struct ib_mr *mr;
	int n;

	cmd->mr = NULL;
	if (!scsi_sg_count(scmnd) ||
	    scmnd->sc_data_direction == DMA_NONE)
		return 0;
	cmd->mapped = ib_dma_map_sg(ibdev, scsi_sglist(scmnd),
				    scsi_sg_count(scmnd),
				    scmnd->sc_data_direction);
	if (!cmd->mapped)
		return -ENOMEM;
	atomic_inc(&vhba->dma_mapped);
	mr = vhba->mrs[scsi_cmd_to_rq(scmnd)->tag];
	n = ib_map_mr_sg(mr, scsi_sglist(scmnd), cmd->mapped, NULL,
			 PAGE_SIZE);
	if (n != cmd->mapped) {
		xsvhba_unmap(cmd);
		return -EINVAL;
	}
	ib_update_fast_reg_key(mr, ib_inc_rkey(mr->rkey));
	reg->wr.opcode = IB_WR_REG_MR;
	reg->wr.wr_cqe = &cmd->reg_cqe;
	reg->wr.send_flags = IB_SEND_SIGNALED;
	reg->mr = mr;
	reg->key = mr->rkey;
	reg->access = scmnd->sc_data_direction == DMA_TO_DEVICE ?
		      IB_ACCESS_REMOTE_READ :
		      IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE;
	cmd->mr = mr;
	return 0;
}

static bool xsvhba_ring_full(struct xsvhba *vhba)
{
	u32 read;

	ib_dma_sync_single_for_cpu(vhba->route.ibdev, vhba->read_index_dma,
				   sizeof(*vhba->read_index), DMA_FROM_DEVICE);
	read = le32_to_cpu(READ_ONCE(*vhba->read_index));
	return (vhba->write_index + 1) % XSVHBA_RING_SIZE ==
	       read % XSVHBA_RING_SIZE;
}

/* For the XCM's STATS (xsvhba_stats.c); under ring_lock. */
static void xsvhba_count_io(struct xsvhba *vhba, struct xsvhba_cmd *cmd)
{
	struct scsi_cmnd *scmnd = cmd->scmnd;

	lockdep_assert_held(&vhba->ring_lock);
	switch (scmnd->sc_data_direction) {
	case DMA_FROM_DEVICE:
		vhba->io.reads++;
		vhba->io.read_bytes += scsi_bufflen(scmnd);
		break;
	case DMA_TO_DEVICE:
		vhba->io.writes++;
		vhba->io.write_bytes += scsi_bufflen(scmnd);
		break;
	default:
		vhba->io.nodata++;
		break;
	}
	vhba->io.keys += !!cmd->mr;
}

xsvhba_qc_status xsvhba_queuecommand(struct Scsi_Host *shost,
				     struct scsi_cmnd *scmnd)
{
	struct xsvhba *vhba = shost_to_vhba(shost);
	struct fc_rport *rport = starget_to_rport(scsi_target(scmnd->device));
	struct xsvhba_cmd *cmd = scsi_cmd_priv(scmnd);
	struct xsvhba_write_index update = {
		.type	= XSVHBA_DATA_TYPE_WRITE_INDEX_UPDATE,
	};
	struct ib_reg_wr reg = {};
	struct xsvhba_rport rp;
	u32 tag = scsi_cmd_to_rq(scmnd)->tag;
	int ret;

	ret = fc_remote_port_chkready(rport);
	if (ret) {
		scmnd->result = ret;
		scsi_done(scmnd);
		return 0;
	}
	rp = *(struct xsvhba_rport *)rport->dd_data;
	if (tag >= vhba->queue_depth)
		return SCSI_MLQUEUE_HOST_BUSY;

	/* Every earlier use of the slot ended through xsvhba_finish(). */
	WARN_ON_ONCE(cmd->mapped);
	cmd->mapped = 0;
	cmd->generation = (cmd->generation + 1) & XSVHBA_HANDLE_GEN_MASK;
	cmd->handle = tag | cmd->generation << XSVHBA_HANDLE_GEN_SHIFT;

	spin_lock_bh(&vhba->ring_lock);
	if (!vhba->ready || xsvhba_ring_full(vhba)) {
		spin_unlock_bh(&vhba->ring_lock);
		return SCSI_MLQUEUE_HOST_BUSY;
	}
	ret = xsvhba_map_data(vhba, cmd, &reg);
	if (ret) {
		spin_unlock_bh(&vhba->ring_lock);
		return SCSI_MLQUEUE_HOST_BUSY;
	}
	xsvhba_fill_iocb(vhba, cmd, &rp, &vhba->ring[vhba->write_index]);
	ib_dma_sync_single_for_device(vhba->route.ibdev,
				      vhba->ring_dma + vhba->write_index *
				      sizeof(struct xsvhba_cmd_iocb),
				      sizeof(struct xsvhba_cmd_iocb),
				      DMA_TO_DEVICE);
	vhba->write_index = (vhba->write_index + 1) % XSVHBA_RING_SIZE;
	update.write_index = cpu_to_le16(vhba->write_index);
	xsvhba_count_io(vhba, cmd);
	trace_xsvhba_cmd_submit(scmnd, cmd->handle);
	atomic_set(&cmd->state, XSVHBA_CMD_ISSUED);
	/*
	 * Registration, then the news, in order on one queue.  A failure
	 * here means the connection is going: its teardown completes the
	 * command, which is in ISSUED already.
	 */
	ret = cmd->mr ? xscore_conn_post_wr(vhba->data, &reg.wr) : 0;
	if (!ret)
		ret = xscore_conn_send(vhba->data, &update, sizeof(update),
				       NULL, 0);
	spin_unlock_bh(&vhba->ring_lock);
	if (ret)
		xsvhba_kick(vhba);
	return 0;
}

struct xsvhba_purge {
	int result;
};

static bool xsvhba_purge_one(struct scsi_cmnd *scmnd, void *data)
{
	struct xsvhba_purge *purge = data;
	struct xsvhba_cmd *cmd = scsi_cmd_priv(scmnd);

	if (atomic_read(&cmd->state) != XSVHBA_CMD_IDLE) {
		scmnd->result = purge->result << 16;
		xsvhba_finish(cmd);
	}
	return true;
}

/*
 * After the data connection is closed (no completion handler runs): every
 * command still with the card ends with result (a host byte).
 */
void xsvhba_purge(struct xsvhba *vhba, int result)
{
	struct xsvhba_purge purge = { .result = result };

	scsi_host_busy_iter(vhba->shost, xsvhba_purge_one, &purge);
}

/* A command of scope (see struct xsvhba_scope). */
static bool xsvhba_in_scope(const struct xsvhba_scope *scope,
			    struct scsi_cmnd *scmnd)
{
	if (scope->scmnd)
		return scmnd == scope->scmnd;
	if (scope->sdev)
		return scmnd->device == scope->sdev;
	return scmnd->device->id == scope->target;
}

struct xsvhba_scan {
	const struct xsvhba_scope *scope;
	bool take_back;
	bool busy;
};

/*
 * Take a command back from the card: its key is invalidated and it ends,
 * taken back, once the invalidation has completed (xsvhba_inv_done()).
 * It takes ring_lock, so that queuecommand() has posted its registration
 * before this posts the invalidation.  A command whose status came first
 * is ending already.
 */
static void xsvhba_revoke(struct xsvhba *vhba, struct xsvhba_cmd *cmd)
{
	spin_lock_bh(&vhba->ring_lock);
	if (atomic_cmpxchg(&cmd->state, XSVHBA_CMD_ISSUED,
			   XSVHBA_CMD_ENDING) == XSVHBA_CMD_ISSUED) {
		cmd->scmnd->result = DID_TRANSPORT_FAILFAST << 16;
		xsvhba_end(cmd);
	}
	spin_unlock_bh(&vhba->ring_lock);
}

static bool xsvhba_scan_one(struct scsi_cmnd *scmnd, void *data)
{
	struct xsvhba_scan *scan = data;
	struct xsvhba_cmd *cmd = scsi_cmd_priv(scmnd);

	if (atomic_read(&cmd->state) == XSVHBA_CMD_IDLE ||
	    !xsvhba_in_scope(scan->scope, scmnd))
		return true;
	scan->busy = true;
	if (scan->take_back)
		xsvhba_revoke(cmd->vhba, cmd);
	return scan->take_back;
}

/* Whether no command of scope is with the card or ending. */
bool xsvhba_idle(struct xsvhba *vhba, const struct xsvhba_scope *scope)
{
	struct xsvhba_scan scan = { .scope = scope };

	scsi_host_busy_iter(vhba->shost, xsvhba_scan_one, &scan);
	return !scan.busy;
}

/**
 * xsvhba_take_back() - end the commands of a scope that the card still has
 * @vhba: the vHBA
 * @scope: one command, a LUN's or a target's
 *
 * Invalidates each command's memory key and returns once every one of them
 * has ended: the card can then reach none of their memory, and the
 * midlayer may have them back (those it still owns end with
 * DID_TRANSPORT_FAILFAST).  When invalidations do not complete, the
 * connections are reset, which ends every command.  Idempotent; takes no
 * lock that the error handler or removal holds while waiting for it.
 */
void xsvhba_take_back(struct xsvhba *vhba, const struct xsvhba_scope *scope)
{
	struct xsvhba_scan scan = { .scope = scope, .take_back = true };

	might_sleep();
	/* The reset that ends what invalidations do not runs under it. */
	lockdep_assert_not_held(&vhba->session.mutex);
	scsi_host_busy_iter(vhba->shost, xsvhba_scan_one, &scan);
	if (!scan.busy)
		return;
	while (!wait_event_timeout(vhba->cmd_wait, xsvhba_idle(vhba, scope),
				   XSVHBA_TMF_WAIT)) {
		shost_printk(KERN_WARNING, vhba->shost,
			     "commands not taken back from the card: resetting its connections\n");
		xsvhba_ask_reset(vhba);
	}
}

/* A hostile IOCB for the card, in the ring's next slot (ring_lock held). */
static int xsvhba_inject_iocb(struct xsvhba *vhba, u32 handle, u16 loop_id,
			      const u8 *cdb, unsigned int cdb_len, u16 lun,
			      u16 flags, u32 count, u32 segment, u16 segments)
{
	struct xsvhba_cmd_iocb *iocb = &vhba->ring[vhba->write_index];
	struct scsi_lun scsi_lun;
	u8 bytes[16] = {};

	lockdep_assert_held(&vhba->ring_lock);
	if (xsvhba_ring_full(vhba))
		return -EBUSY;
	memset(iocb, 0, sizeof(*iocb));
	iocb->entry_type = XSVHBA_ENTRY_TYPE_COMMAND;
	iocb->entry_count = 1;
	iocb->handle = cpu_to_le32(handle);
	iocb->nport_handle = cpu_to_le16(loop_id);
	iocb->timeout = cpu_to_le16(10);
	int_to_scsilun(lun, &scsi_lun);
	xsvhba_fcp_swap(iocb->lun, scsi_lun.scsi_lun, sizeof(iocb->lun));
	memcpy(bytes, cdb, cdb_len);
	xsvhba_fcp_swap(iocb->fcp_cdb, bytes, sizeof(bytes));
	iocb->task_mgmt_flags = cpu_to_le16(flags);
	iocb->byte_count = cpu_to_le32(count);
	iocb->dseg_count = cpu_to_le16(segments);
	iocb->dseg_0_len = cpu_to_le32(segment);
	iocb->vp_index = vhba->vp_index;
	ib_dma_sync_single_for_device(vhba->route.ibdev,
				      vhba->ring_dma + vhba->write_index *
				      sizeof(*iocb), sizeof(*iocb),
				      DMA_TO_DEVICE);
	vhba->write_index = (vhba->write_index + 1) % XSVHBA_RING_SIZE;
	return 0;
}

/**
 * xsvhba_inject() - send the card one kind of bad input (debugfs, tests)
 * @vhba: the vHBA, enabled on its card
 * @kind: bad_handle, dup_handle, two_segments, short_segment, lun_300,
 *	  length_mismatch or ring_index
 * @loop_id: the target the commands go to
 *
 * The card must refuse each and count it; ring_index makes it drop the
 * connections, and the vHBA reconnects.  The handles carry tags past the
 * vHBA's slots or a generation no command has, so that whatever status
 * comes back is counted stale here.
 *
 * Return: 0, -EINVAL for an unknown kind, -ENOTCONN or -EBUSY.
 */
int xsvhba_inject(struct xsvhba *vhba, const char *kind, u16 loop_id)
{
	static const u8 tur[6];
	static const u8 read10[10] = { READ_10, [8] = 1 };
	static const u8 write10[10] = { WRITE_10, [8] = 1 };
	const u32 gen = XSVHBA_HANDLE_GEN_MASK << XSVHBA_HANDLE_GEN_SHIFT;
	struct xsvhba_write_index update = {
		.type	= XSVHBA_DATA_TYPE_WRITE_INDEX_UPDATE,
	};
	int ret = -EINVAL;

	spin_lock_bh(&vhba->ring_lock);
	if (!vhba->ready) {
		ret = -ENOTCONN;
	} else if (sysfs_streq(kind, "bad_handle")) {
		ret = xsvhba_inject_iocb(vhba, 1000, loop_id, tur, sizeof(tur),
					 0, 0, 0, 0, 0);
	} else if (sysfs_streq(kind, "dup_handle")) {
		ret = xsvhba_inject_iocb(vhba, 62 | gen, 0, tur, sizeof(tur),
					 0, 0, 0, 0, 0);
		if (!ret)
			ret = xsvhba_inject_iocb(vhba, 62 | gen, 0, tur,
						 sizeof(tur), 0, 0, 0, 0, 0);
	} else if (sysfs_streq(kind, "two_segments")) {
		ret = xsvhba_inject_iocb(vhba, 61 | gen, loop_id, read10,
					 sizeof(read10), 0,
					 XSVHBA_TASK_FLAG_READ_DATA, 512, 512, 2);
	} else if (sysfs_streq(kind, "short_segment")) {
		ret = xsvhba_inject_iocb(vhba, 60 | gen, loop_id, read10,
					 sizeof(read10), 0,
					 XSVHBA_TASK_FLAG_READ_DATA, 4096, 512, 1);
	} else if (sysfs_streq(kind, "lun_300")) {
		ret = xsvhba_inject_iocb(vhba, 59 | gen, loop_id, tur,
					 sizeof(tur), 300, 0, 0, 0, 0);
	} else if (sysfs_streq(kind, "length_mismatch")) {
		/* One block by the CDB, eight by the count: LIO refuses it
		 * before it asks for the data, so no key is needed.
		 */
		ret = xsvhba_inject_iocb(vhba, 58 | gen, loop_id, write10,
					 sizeof(write10), 0,
					 XSVHBA_TASK_FLAG_WRITE_DATA, 4096, 4096,
					 1);
	} else if (sysfs_streq(kind, "ring_index")) {
		update.write_index = cpu_to_le16(5000);
		ret = xscore_conn_send(vhba->data, &update, sizeof(update),
				       NULL, 0);
		spin_unlock_bh(&vhba->ring_lock);
		return ret;
	}
	if (!ret) {
		update.write_index = cpu_to_le16(vhba->write_index);
		ret = xscore_conn_send(vhba->data, &update, sizeof(update),
				       NULL, 0);
	}
	spin_unlock_bh(&vhba->ring_lock);
	return ret;
}
