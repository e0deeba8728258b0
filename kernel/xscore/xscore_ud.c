// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Discovery on an Ethernet link layer without a fabric-services GID: the
 * original's solicitation.  A UD datagram (an xdp_hdr and this server's
 * identity) goes to the all-nodes group ff02::1, QPN 0xFFFFFF, QKey
 * 0x11111111, hop limit 1; a director on the segment answers unicast with
 * the XCM list, and its GID stands in for the XDS's.
 *
 * The discovery work sends the solicitation and returns; the CQ's
 * handlers (softirq) keep the answers and kick the work, which
 * takes the first one that is well formed and from a GID the port trusts,
 * or, at its deadline, gives up.  Anyone on the segment can answer, so a
 * competing answer (a rogue's, or a broken one) that comes first must not
 * crowd out the director's: it is counted and passed over.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/spinlock.h>
#include <net/ipv6.h>

#include "xscore_check.h"
#include "xscore_priv.h"

#define XSCORE_UD_RX		8
#define XSCORE_UD_BUF		(sizeof(struct ib_grh) + 1024)
#define XSCORE_UD_MCAST_QPN	0xFFFFFF
/*
 * Answers kept at a time for the work to weigh; a slot is free again once
 * the work has read every kept answer.  At most XSCORE_UD_ROUND_ANSWERS
 * are kept for one solicitation, so that a flood cannot keep the work
 * busy; past that, answers are dropped until the next solicitation.
 */
#define XSCORE_UD_ANSWERS	4
#define XSCORE_UD_ROUND_ANSWERS	32

struct xscore_ud_buf {
	struct ib_cqe cqe;
	struct xscore_ud *ud;
	void *data;
	u64 dma;
};

/* One answer as it came: its network header first, then the message. */
struct xscore_ud_answer {
	union ib_gid responder;
	u8 data[XSCORE_UD_BUF];
};

/*
 * lock (spin, BH: the CQ handlers run in softirq) guards what the handlers
 * and the discovery work share: stopping, send_done, pending, num_answers,
 * the writes to answers, and the reposting of receives (so that none is
 * posted once stopping is set and the QP may go).  A handler keeps an
 * answer only while its solicitation is pending, in the slot num_answers
 * names, and counts it in only once it is written; a slot below
 * num_answers is not written again until the work has read it and freed
 * the slots (or solicits anew), so the work reads it without the lock.
 * round_answers is the handlers' alone, reset with the others by a
 * solicitation.  The discovery work alone owns ah, tx, next_answer (it
 * resets it under the lock with num_answers) and the QP's send queue.
 */
struct xscore_ud {
	struct xscore_port *port;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;
	struct ib_ah *ah;		/* of the last solicitation */
	spinlock_t lock;
	bool stopping;			/* no receive is posted again */
	bool send_done;
	bool pending;			/* the solicitation waits for an answer */
	bool broken;			/* an error completion: the QP is remade */
	/* The answers to the pending solicitation, in the order they came. */
	unsigned int num_answers;
	unsigned int next_answer;	/* the first the work has not read */
	unsigned int round_answers;	/* kept since the solicitation */
	struct xscore_ud_answer answers[XSCORE_UD_ANSWERS];
	struct xscore_ud_buf tx;
	struct xscore_ud_buf rx[XSCORE_UD_RX];
};

static const union ib_gid xscore_all_nodes = {
	.raw = { 0xff, 0x02, [15] = 0x01 },
};

static int xscore_ud_post_recv(struct xscore_ud *ud, struct xscore_ud_buf *buf)
{
	struct ib_sge sge = {
		.addr	= buf->dma,
		.length	= XSCORE_UD_BUF,
		.lkey	= ud->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe		= &buf->cqe,
		.sg_list	= &sge,
		.num_sge	= 1,
	};

	lockdep_assert_held(&ud->lock);
	return ib_post_recv(ud->qp, &wr, NULL);
}

/* The sender's GID from the network header the device put first. */
static bool xscore_ud_source(const struct ib_wc *wc, const u8 *hdr,
			     union ib_gid *gid)
{
	if (!(wc->wc_flags & IB_WC_GRH))
		return false;
	if ((wc->wc_flags & IB_WC_WITH_NETWORK_HDR_TYPE) &&
	    wc->network_hdr_type == RDMA_NETWORK_IPV4)
		return false;	/* no prefix to build XCM addresses from */
	/* IPv6 header and IB GRH both carry the source at byte 8. */
	memcpy(gid->raw, hdr + 8, sizeof(gid->raw));
	return !ipv6_addr_v4mapped((const struct in6_addr *)gid->raw);
}

/*
 * An error completion (a flush included: the QP is in the error state
 * unless it is being destroyed) leaves the QP unable to solicit or hear
 * answers; the discovery work makes the UD resources anew before its next
 * solicitation (xscore_ud_recover()).
 */
static void xscore_ud_error(struct xscore_ud *ud)
{
	bool kick = false;

	spin_lock_bh(&ud->lock);
	if (!ud->stopping && !ud->broken) {
		ud->broken = true;
		kick = true;
	}
	spin_unlock_bh(&ud->lock);
	if (kick)
		xscore_discovery_kick(ud->port);
}

static void xscore_ud_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_ud_buf *buf =
		container_of(wc->wr_cqe, struct xscore_ud_buf, cqe);
	struct xscore_ud *ud = buf->ud;
	struct xscore_ud_answer *answer;
	bool kick = false;

	if (wc->status != IB_WC_SUCCESS) {
		xscore_ud_error(ud);
		return;
	}
	spin_lock_bh(&ud->lock);
	if (ud->stopping)
		goto unlock;
	ib_dma_sync_single_for_cpu(ud->pd->device, buf->dma, XSCORE_UD_BUF,
				   DMA_FROM_DEVICE);
	/*
	 * The first answers to the pending solicitation are kept for the work
	 * to weigh; answers past them, and strays between solicitations, are
	 * dropped.
	 */
	answer = ud->num_answers < XSCORE_UD_ANSWERS &&
		 ud->round_answers < XSCORE_UD_ROUND_ANSWERS ?
		 &ud->answers[ud->num_answers] : NULL;
	if (ud->pending && answer && wc->byte_len <= XSCORE_UD_BUF &&
	    xscore_ud_source(wc, buf->data, &answer->responder)) {
		memset(answer->data, 0, sizeof(answer->data));
		memcpy(answer->data, buf->data, wc->byte_len);
		ud->num_answers++;
		ud->round_answers++;
		kick = true;
	}
	ib_dma_sync_single_for_device(ud->pd->device, buf->dma, XSCORE_UD_BUF,
				      DMA_FROM_DEVICE);
	if (xscore_ud_post_recv(ud, buf))
		pr_warn("port %u: lost a solicitation receive buffer\n",
			ud->port->port_num);
unlock:
	spin_unlock_bh(&ud->lock);
	/* The CQ, freed only after stopping is set, outlives this. */
	if (kick)
		xscore_discovery_kick(ud->port);
}

static void xscore_ud_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_ud_buf *buf =
		container_of(wc->wr_cqe, struct xscore_ud_buf, cqe);
	struct xscore_ud *ud = buf->ud;

	spin_lock_bh(&ud->lock);
	ud->send_done = true;
	spin_unlock_bh(&ud->lock);
	if (wc->status != IB_WC_SUCCESS)
		xscore_ud_error(ud);
}

static int xscore_ud_send(struct xscore_port *port, int sgid_index,
			  const struct xds_request *req)
{
	struct xscore_ud *ud = port->ud;
	struct ib_device *ibdev = port->xdev->ibdev;
	struct xdp_hdr *hdr = ud->tx.data;
	u16 len = sizeof(*hdr) + sizeof(*req);
	union ib_gid all_nodes = xscore_all_nodes;
	struct rdma_ah_attr ah_attr = {};
	struct ib_sge sge = {
		.addr	= ud->tx.dma,
		.length	= len,
		.lkey	= ud->pd->local_dma_lkey,
	};
	struct ib_ud_wr wr = {
		.wr = {
			.wr_cqe		= &ud->tx.cqe,
			.sg_list	= &sge,
			.num_sge	= 1,
			.opcode		= IB_WR_SEND,
			.send_flags	= IB_SEND_SIGNALED,
		},
		.remote_qpn	= XSCORE_UD_MCAST_QPN,
		.remote_qkey	= XDP_UD_QKEY,
	};
	bool busy;
	int ret;

	/* A previous send that never completed still owns its AH and tx. */
	spin_lock_bh(&ud->lock);
	busy = ud->ah && !ud->send_done;
	spin_unlock_bh(&ud->lock);
	if (busy)
		return -EBUSY;
	if (ud->ah)
		rdma_destroy_ah(ud->ah, RDMA_DESTROY_AH_SLEEPABLE);
	ud->ah = NULL;

	ah_attr.type = rdma_ah_find_type(ibdev, port->port_num);
	rdma_ah_set_port_num(&ah_attr, port->port_num);
	rdma_ah_set_grh(&ah_attr, &all_nodes, 0, sgid_index, 1, 0);
	ud->ah = rdma_create_ah(ud->pd, &ah_attr, RDMA_CREATE_AH_SLEEPABLE);
	if (IS_ERR(ud->ah)) {
		ret = PTR_ERR(ud->ah);
		ud->ah = NULL;
		return ret;
	}

	memset(hdr, 0, sizeof(*hdr));
	hdr->type = cpu_to_be16(XDP_MSG_TYPE_DISC_SOL);
	hdr->len = cpu_to_be16(len);
	hdr->flags = cpu_to_be16(XDP_FLAGS_REQ);
	memcpy(hdr + 1, req, sizeof(*req));
	ib_dma_sync_single_for_device(ibdev, ud->tx.dma, len, DMA_TO_DEVICE);

	wr.ah = ud->ah;
	/* Pending before it is posted: the answer may come at once. */
	spin_lock_bh(&ud->lock);
	ud->send_done = false;
	ud->num_answers = 0;
	ud->next_answer = 0;
	ud->round_answers = 0;
	ud->pending = true;
	spin_unlock_bh(&ud->lock);

	ret = ib_post_send(ud->qp, &wr.wr, NULL);
	if (ret) {
		spin_lock_bh(&ud->lock);
		ud->pending = false;
		spin_unlock_bh(&ud->lock);
		/* Never posted, so nothing else holds the AH. */
		rdma_destroy_ah(ud->ah, RDMA_DESTROY_AH_SLEEPABLE);
		ud->ah = NULL;
	}
	return ret;
}

/*
 * The next answer to the pending solicitation that the work has not read:
 * 0 with the responder's GID (as the XDS's) and the XCM list, -EPROTO for
 * one that is not an answer or claims more than it can hold (the caller
 * counts it), -ENOENT when none has come since the last call.
 */
int xscore_ud_next_answer(struct xscore_port *port, union ib_gid *xds,
			  const struct xds_response **resp)
{
	struct xscore_ud *ud = port->ud;
	const struct xscore_ud_answer *answer;
	const struct xdp_hdr *hdr;
	bool none;

	spin_lock_bh(&ud->lock);
	none = ud->next_answer >= ud->num_answers;
	/*
	 * Every kept answer read: their slots are free again (the caller is
	 * done with the last one's response by now).
	 */
	if (none) {
		ud->num_answers = 0;
		ud->next_answer = 0;
	}
	spin_unlock_bh(&ud->lock);
	if (none)
		return -ENOENT;
	answer = &ud->answers[ud->next_answer++];
	hdr = (const void *)(answer->data + sizeof(struct ib_grh));
	if (xscore_check_solicit_answer(hdr, XSCORE_UD_BUF -
					sizeof(struct ib_grh)))
		return -EPROTO;
	*xds = answer->responder;
	*resp = (const void *)(hdr + 1);
	return 0;
}

/*
 * The wait for answers ends (one was taken, or the deadline passed): later
 * answers are dropped, and those kept stay as they are until the next
 * solicitation.
 */
void xscore_ud_end_wait(struct xscore_port *port)
{
	struct xscore_ud *ud = port->ud;

	spin_lock_bh(&ud->lock);
	ud->pending = false;
	spin_unlock_bh(&ud->lock);
}

static void xscore_ud_free_buf(struct xscore_ud *ud, struct xscore_ud_buf *buf,
			       enum dma_data_direction dir)
{
	if (!buf->data)
		return;
	ib_dma_unmap_single(ud->pd->device, buf->dma, XSCORE_UD_BUF, dir);
	kfree(buf->data);
	buf->data = NULL;
}

static int xscore_ud_alloc_buf(struct xscore_ud *ud, struct xscore_ud_buf *buf,
			       enum dma_data_direction dir)
{
	buf->ud = ud;
	buf->cqe.done = dir == DMA_FROM_DEVICE ? xscore_ud_recv_done :
			xscore_ud_send_done;
	buf->data = kzalloc(XSCORE_UD_BUF, GFP_KERNEL);
	if (!buf->data)
		return -ENOMEM;
	buf->dma = ib_dma_map_single(ud->pd->device, buf->data, XSCORE_UD_BUF,
				     dir);
	if (ib_dma_mapping_error(ud->pd->device, buf->dma)) {
		kfree(buf->data);
		buf->data = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void xscore_ud_free_bufs(struct xscore_ud *ud)
{
	unsigned int i;

	for (i = 0; i < XSCORE_UD_RX; i++)
		xscore_ud_free_buf(ud, &ud->rx[i], DMA_FROM_DEVICE);
	xscore_ud_free_buf(ud, &ud->tx, DMA_TO_DEVICE);
}

static int xscore_ud_ready_qp(struct xscore_ud *ud)
{
	struct ib_qp_attr attr = {
		.qp_state	= IB_QPS_INIT,
		.pkey_index	= 0,
		.port_num	= ud->port->port_num,
		.qkey		= XDP_UD_QKEY,
	};
	int ret;

	ret = ib_modify_qp(ud->qp, &attr, IB_QP_STATE | IB_QP_PKEY_INDEX |
			   IB_QP_PORT | IB_QP_QKEY);
	if (ret)
		return ret;
	attr.qp_state = IB_QPS_RTR;
	ret = ib_modify_qp(ud->qp, &attr, IB_QP_STATE);
	if (ret)
		return ret;
	attr.qp_state = IB_QPS_RTS;
	attr.sq_psn = 0;
	return ib_modify_qp(ud->qp, &attr, IB_QP_STATE | IB_QP_SQ_PSN);
}

static struct xscore_ud *xscore_ud_create(struct xscore_port *port)
{
	struct ib_device *ibdev = port->xdev->ibdev;
	struct ib_qp_init_attr init = {
		.cap = {
			.max_send_wr	= 1,
			.max_recv_wr	= XSCORE_UD_RX,
			.max_send_sge	= 1,
			.max_recv_sge	= 1,
		},
		.sq_sig_type	= IB_SIGNAL_ALL_WR,
		.qp_type	= IB_QPT_UD,
		.port_num	= port->port_num,
	};
	struct xscore_ud *ud;
	unsigned int i;
	int ret;

	ud = kzalloc(sizeof(*ud), GFP_KERNEL);
	if (!ud)
		return ERR_PTR(-ENOMEM);
	ud->port = port;
	spin_lock_init(&ud->lock);
	ud->pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(ud->pd)) {
		ret = PTR_ERR(ud->pd);
		goto free_ud;
	}
	ud->cq = ib_alloc_cq(ibdev, ud, XSCORE_UD_RX + 1, 0, IB_POLL_SOFTIRQ);
	if (IS_ERR(ud->cq)) {
		ret = PTR_ERR(ud->cq);
		goto dealloc_pd;
	}
	init.send_cq = ud->cq;
	init.recv_cq = ud->cq;
	ud->qp = ib_create_qp(ud->pd, &init);
	if (IS_ERR(ud->qp)) {
		ret = PTR_ERR(ud->qp);
		goto free_cq;
	}
	ret = xscore_ud_ready_qp(ud);
	if (ret)
		goto destroy_qp;

	ret = xscore_ud_alloc_buf(ud, &ud->tx, DMA_TO_DEVICE);
	for (i = 0; !ret && i < XSCORE_UD_RX; i++) {
		ret = xscore_ud_alloc_buf(ud, &ud->rx[i], DMA_FROM_DEVICE);
		if (ret)
			break;
		spin_lock_bh(&ud->lock);
		ret = xscore_ud_post_recv(ud, &ud->rx[i]);
		spin_unlock_bh(&ud->lock);
	}
	if (ret)
		goto stop_receiving;
	return ud;

stop_receiving:
	spin_lock_bh(&ud->lock);
	ud->stopping = true;
	spin_unlock_bh(&ud->lock);
destroy_qp:
	ib_destroy_qp(ud->qp);
free_cq:
	/* No handler runs once the CQ is freed: then the buffers can go. */
	ib_free_cq(ud->cq);
	xscore_ud_free_bufs(ud);
dealloc_pd:
	ib_dealloc_pd(ud->pd);
free_ud:
	kfree(ud);
	return ERR_PTR(ret);
}

/* No handler of ud runs once this returns. */
static void xscore_ud_destroy(struct xscore_ud *ud)
{
	/* A handler still running reposts nothing, so the QP can go ... */
	spin_lock_bh(&ud->lock);
	ud->stopping = true;
	ud->pending = false;
	spin_unlock_bh(&ud->lock);
	ib_destroy_qp(ud->qp);
	/* ... and once the CQ is freed no handler runs, nor names a buffer. */
	ib_free_cq(ud->cq);
	if (ud->ah)
		rdma_destroy_ah(ud->ah, RDMA_DESTROY_AH_SLEEPABLE);
	xscore_ud_free_bufs(ud);
	ib_dealloc_pd(ud->pd);
	kfree(ud);
}

int xscore_ud_start(struct xscore_port *port)
{
	struct xscore_ud *ud = xscore_ud_create(port);

	if (IS_ERR(ud))
		return PTR_ERR(ud);
	port->ud = ud;
	return 0;
}

/* Called with the discovery work cancelled; no handler runs after it. */
void xscore_ud_stop(struct xscore_port *port)
{
	if (!port->ud)
		return;
	xscore_ud_destroy(port->ud);
	port->ud = NULL;
}

/*
 * After an error completion: new UD resources in place of the broken ones.
 * If they cannot be made the broken ones stay, and the next round tries
 * again; the port never leaves solicitation mode.
 */
static int xscore_ud_recover(struct xscore_port *port)
{
	struct xscore_ud *ud = port->ud, *fresh;
	bool broken;

	spin_lock_bh(&ud->lock);
	broken = ud->broken;
	spin_unlock_bh(&ud->lock);
	if (!broken)
		return 0;
	fresh = xscore_ud_create(port);
	if (IS_ERR(fresh))
		return PTR_ERR(fresh);
	pr_warn_ratelimited("port %u: solicitation QP made anew after an error completion\n",
			    port->port_num);
	xscore_ud_destroy(ud);
	port->ud = fresh;
	return 0;
}

/*
 * Send a solicitation; its answer, if one comes, kicks the discovery work.
 * Only the discovery work calls this, with no solicitation pending.
 */
int xscore_ud_solicit(struct xscore_port *port, int sgid_index,
		      const struct xds_request *req)
{
	int ret = xscore_ud_recover(port);

	return ret ? ret : xscore_ud_send(port, sgid_index, req);
}
