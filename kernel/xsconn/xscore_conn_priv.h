/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What an RC connection (include/xsigo/xscore_conn.h) holds: xsconn's own;
 * owners reach it only through the library's functions.
 */
#ifndef _XSCORE_CONN_PRIV_H
#define _XSCORE_CONN_PRIV_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <xsigo/xscore_conn.h>

/*
 * What a CM id's handler reaches (the id's context): the connection, and
 * which of its ids is the current attempt.  The connection and each of its
 * ids hold a reference, so that a parked id's handler stays safe after
 * the connection is gone; @conn is NULL from then.
 */
struct xscore_conn_cm {
	spinlock_t lock;		/* guards conn and conn->cm_id */
	struct xscore_conn *conn;
	struct kref ref;
};

/*
 * A CM id closed while its port was down, kept until the port is active:
 * destroying it sends a DREQ (or a REJ), and on rxe a send on the GSI QP
 * while the port is down breaks that QP for good.  Its QP is gone already.
 * xsconn keeps it on one list (xscore_conn_parked_ids), past its connection.
 */
struct xscore_conn_parked {
	struct list_head node;
	struct rdma_cm_id *id;
	struct xscore_conn_cm *cm;	/* the id's reference */
	u32 port_num;
};

struct xscore_conn_buf {
	struct ib_cqe cqe;
	struct list_head node;		/* on rx_done once received */
	void *data;
	u64 dma;
	u32 len;
	/* A send from the owner's memory: given back through tx_release. */
	void *cookie;
	struct ib_sge *sg;
	unsigned int num_sg;
};

struct xscore_conn {
	void *context;			/* the owner, for its callbacks */
	struct ib_device *ibdev;
	u32 port_num;
	struct xscore_conn_params params;
	struct ib_pd *pd;
	struct xscore_conn_buf *rx;
	struct xscore_conn_buf *tx;
	struct ib_sge *tx_sg;		/* max_send_sge per send buffer */

	/*
	 * One connection attempt; only the owner's work changes these.
	 * cm->lock (spin) orders the change of cm_id against the CM handler,
	 * which counts only the current attempt's events; under it only the
	 * owner's kick runs, which queues work.
	 */
	struct xscore_conn_cm *cm;
	struct rdma_cm_id *cm_id;
	struct ib_qp *qp;		/* cm_id's, from creation to close */
	struct ib_cq *cq;		/* sends, and receives without rx_notify */
	struct ib_cq *rx_cq;		/* receives with rx_notify */
	bool qp_created;
	bool drained;			/* xscore_conn_drain() ran */
	bool established;
	int err;			/* why it failed, for XSCORE_CONN_FAILED */

	/* Set by callbacks. */
	unsigned long events;
	u8 accept_data[XSCORE_CONN_ACCEPT_MAX];	/* the peer's accept */
	u8 accept_len;
	u32 remote_qpn;
	int cm_status;
	spinlock_t rx_lock;		/* guards rx_done */
	struct list_head rx_done;

	/* Sends: the QP while it may take them, and the ring. */
	spinlock_t tx_lock;
	struct ib_qp *tx_qp;
	unsigned int tx_next;
	atomic_t tx_inflight;
};

int xscore_conn_client_register(void);
void xscore_conn_client_unregister(void);

#endif /* _XSCORE_CONN_PRIV_H */
