// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Discovery on an Ethernet link layer without a fabric-services GID: the
 * original's solicitation.  A UD datagram (an xdp_hdr and this server's
 * identity) goes to the all-nodes group ff02::1, QPN 0xFFFFFF, QKey
 * 0x11111111, hop limit 1; a director on the segment answers unicast with
 * the XCM list, and its GID stands in for the XDS's.
 *
 * Only the discovery worker uses these resources, so the CQ is polled
 * directly from it: no callback runs anywhere else.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "xscore_check.h"
#include "xscore_priv.h"

#define XSCORE_UD_RX		8
#define XSCORE_UD_BUF		(sizeof(struct ib_grh) + 1024)
#define XSCORE_UD_MCAST_QPN	0xFFFFFF
#define XSCORE_UD_POLL_MS	20

struct xscore_ud_buf {
	struct ib_cqe cqe;
	struct xscore_ud *ud;
	void *data;
	u64 dma;
};

struct xscore_ud {
	struct xscore_port *port;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;
	struct ib_ah *ah;		/* of the last solicitation */
	bool send_done;
	/* The answer the worker waits for, found by the receive callback. */
	bool answered;
	union ib_gid responder;
	u8 answer[XSCORE_UD_BUF];
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

static void xscore_ud_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_ud_buf *buf =
		container_of(wc->wr_cqe, struct xscore_ud_buf, cqe);
	struct xscore_ud *ud = buf->ud;

	if (wc->status != IB_WC_SUCCESS)
		return;
	ib_dma_sync_single_for_cpu(ud->pd->device, buf->dma, XSCORE_UD_BUF,
				   DMA_FROM_DEVICE);
	/* The first answer counts; later ones and strays are dropped. */
	if (!ud->answered && wc->byte_len <= XSCORE_UD_BUF &&
	    xscore_ud_source(wc, buf->data, &ud->responder)) {
		memset(ud->answer, 0, sizeof(ud->answer));
		memcpy(ud->answer, buf->data, wc->byte_len);
		ud->answered = true;
	}
	ib_dma_sync_single_for_device(ud->pd->device, buf->dma, XSCORE_UD_BUF,
				      DMA_FROM_DEVICE);
	if (xscore_ud_post_recv(ud, buf))
		pr_warn("port %u: lost a solicitation receive buffer\n",
			ud->port->port_num);
}

static void xscore_ud_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct xscore_ud_buf *buf =
		container_of(wc->wr_cqe, struct xscore_ud_buf, cqe);

	buf->ud->send_done = true;
}

static int xscore_ud_solicit_send(struct xscore_ud *ud, int sgid_index,
				  const struct xds_request *req)
{
	struct ib_device *ibdev = ud->port->xdev->ibdev;
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

	/*
	 * Completions that came after the last solicitation stopped polling:
	 * its send's, so that its AH can go, and stray answers, which must
	 * not pass for answers to this one.
	 */
	ib_process_cq_direct(ud->cq, -1);
	/* A previous send that never completed still owns its AH. */
	if (ud->ah && !ud->send_done)
		return -EBUSY;
	if (ud->ah)
		rdma_destroy_ah(ud->ah, RDMA_DESTROY_AH_SLEEPABLE);
	ud->ah = NULL;

	ah_attr.type = rdma_ah_find_type(ibdev, ud->port->port_num);
	rdma_ah_set_port_num(&ah_attr, ud->port->port_num);
	rdma_ah_set_grh(&ah_attr, &all_nodes, 0, sgid_index, 1, 0);
	ud->ah = rdma_create_ah(ud->pd, &ah_attr, RDMA_CREATE_AH_SLEEPABLE);
	if (IS_ERR(ud->ah)) {
		int ret = PTR_ERR(ud->ah);

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
	ud->send_done = false;
	ud->answered = false;
	return ib_post_send(ud->qp, &wr.wr, NULL);
}

/*
 * Solicit, and check the answer: an xdp_hdr marked as a response, long
 * enough for the XCM list it claims to carry.  The responder's GID is
 * returned as the XDS's.
 */
int xscore_ud_solicit(struct xscore_port *port, int sgid_index,
		      const struct xds_request *req, union ib_gid *xds,
		      const struct xds_response **resp)
{
	struct xscore_ud *ud = port->ud;
	const struct xdp_hdr *hdr;
	unsigned long deadline;
	int ret;

	ret = xscore_ud_solicit_send(ud, sgid_index, req);
	if (ret)
		return ret;
	deadline = jiffies + msecs_to_jiffies(XSCORE_MAD_TIMEOUT_MS);
	do {
		msleep(XSCORE_UD_POLL_MS);
		ib_process_cq_direct(ud->cq, -1);
	} while (!ud->answered && time_before(jiffies, deadline));
	if (!ud->answered)
		return -ETIMEDOUT;

	hdr = (const void *)(ud->answer + sizeof(struct ib_grh));
	if (xscore_check_solicit_answer(hdr, XSCORE_UD_BUF -
					sizeof(struct ib_grh)))
		return -EPROTO;
	*xds = ud->responder;
	*resp = (const void *)(hdr + 1);
	return 0;
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

int xscore_ud_start(struct xscore_port *port)
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
		return -ENOMEM;
	ud->port = port;
	ud->pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(ud->pd)) {
		ret = PTR_ERR(ud->pd);
		goto free_ud;
	}
	ud->cq = ib_alloc_cq(ibdev, ud, XSCORE_UD_RX + 1, 0, IB_POLL_DIRECT);
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
		if (!ret)
			ret = xscore_ud_post_recv(ud, &ud->rx[i]);
	}
	if (ret)
		goto free_bufs;
	port->ud = ud;
	return 0;

free_bufs:
	ib_destroy_qp(ud->qp);
	ud->qp = NULL;
	xscore_ud_free_bufs(ud);
	goto free_cq;
destroy_qp:
	ib_destroy_qp(ud->qp);
free_cq:
	ib_free_cq(ud->cq);
dealloc_pd:
	ib_dealloc_pd(ud->pd);
free_ud:
	kfree(ud);
	return ret;
}

void xscore_ud_stop(struct xscore_port *port)
{
	struct xscore_ud *ud = port->ud;

	if (!ud)
		return;
	port->ud = NULL;
	/* With the QP gone no completion can name the AH or a buffer. */
	ib_destroy_qp(ud->qp);
	if (ud->ah)
		rdma_destroy_ah(ud->ah, RDMA_DESTROY_AH_SLEEPABLE);
	ib_free_cq(ud->cq);
	xscore_ud_free_bufs(ud);
	ib_dealloc_pd(ud->pd);
	kfree(ud);
}
