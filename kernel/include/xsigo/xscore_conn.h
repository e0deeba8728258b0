/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The RC connection library (xsconn.ko), shared by xscore's XSMP links, the
 * service drivers' connections to I/O cards, and the director's card
 * gateways, which accept the hosts' connections.
 *
 * A connection either connects (xscore_conn_connect()) or is accepted from
 * a listener's request (xscore_conn_listen(), xscore_conn_accept_request());
 * either way the same QP, CQs and rings are built, and the events that
 * follow go through the same xscore_conn_step().
 *
 * A connection is opaque to its owner, which reaches itself from the
 * callbacks with xscore_conn_context().  It is driven from one work item
 * of its owner.  The helper's
 * callbacks (rdma_cm events, completions) only record what happened and
 * call the owner's kick(); the owner's work then calls xscore_conn_step()
 * and xscore_conn_receive(), and every decision and teardown happens there.
 * Sends may come from any context.
 *
 * A data path may poll receives itself (NAPI): it sets rx_notify, which is
 * called from the receive CQ's interrupt, and then calls
 * xscore_conn_poll_rx() until it returns less than its budget.  Such an
 * owner stops its poller before xscore_conn_close(), and is the one to
 * close the connection when it fails: the helper closes a failed
 * connection itself only when nothing polls it.
 *
 * An owner may instead take each message in the completion handler (recv:
 * softirq with the params' softirq, else a workqueue), the buffer reposted
 * after it.  It, too, closes its connection itself when it fails;
 * xscore_conn_close() drains the QP first, so no handler runs on it after.
 *
 * A data path may also send from memory it maps itself (an skb's head and
 * page fragments) with xscore_conn_send_sg(): the helper hands the cookie
 * and the gather list back through tx_release once the send completed, or
 * at xscore_conn_close() when it never will.
 */
#ifndef _XSIGO_XSCORE_CONN_H
#define _XSIGO_XSCORE_CONN_H

#include <linux/in6.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

struct xscore_conn;
struct xscore_conn_listener;

/*
 * A listener's callback for each connection request: accept it with
 * xscore_conn_accept_request() and return 0, or return non-zero.
 */
typedef int (*xscore_conn_request_fn)(void *context, struct rdma_cm_id *id,
				      const struct rdma_conn_param *param);

/* Bytes of the peer's accept private data a connection keeps. */
#define XSCORE_CONN_ACCEPT_MAX	64

struct xscore_conn_params {
	unsigned int ring;		/* receive and send buffers, each */
	unsigned int buf_size;		/* bytes in one buffer */
	/* Optional: bytes in one receive buffer, when not buf_size. */
	unsigned int rx_buf_size;
	const void *private_data;	/* of the connection request */
	u8 private_data_len;
	/* Called from callbacks, in any context: queue the owner's work. */
	void (*kick)(struct xscore_conn *conn);
	/* Optional: receives are polled by the owner; schedule that poll. */
	void (*rx_notify)(struct xscore_conn *conn);
	/*
	 * Optional: each message as it completes, in the completion handler;
	 * its buffer is reposted after.  Then xscore_conn_receive() is not
	 * used, and the owner closes its failed connection.
	 */
	void (*recv)(struct xscore_conn *conn, void *data, u32 len);
	/* Completions run in softirq rather than process context. */
	bool softirq;
	/*
	 * Optional: sends completed (softirq with rx_notify or softirq,
	 * else process).
	 */
	void (*tx_done)(struct xscore_conn *conn);
	/*
	 * For a peer that moves data by RDMA against the owner's memory keys:
	 * send queue room for the owner's own work requests (memory
	 * registrations and invalidations, xscore_conn_post_wr()), and the
	 * RDMA reads the peer may have outstanding against this side.
	 */
	unsigned int owner_wrs;
	u8 responder_resources;
	/* rdma_rw contexts the owner keeps on the QP (xscore_conn_qp()). */
	unsigned int rdma_ctxs;
	/*
	 * Optional: gather entries per send for xscore_conn_send_sg(), at
	 * most the device's; xscore_conn_create() lowers it to what the device
	 * takes.  tx_release is called once per such send, in the context
	 * of tx_done or of xscore_conn_close().
	 */
	unsigned int max_send_sge;
	void (*tx_release)(struct xscore_conn *conn, void *cookie,
			   const struct ib_sge *sg, unsigned int num_sg);
};

/* What xscore_conn_step() found. */
enum xscore_conn_progress {
	XSCORE_CONN_WAITING,		/* nothing new */
	XSCORE_CONN_ESTABLISHED,	/* connected just now */
	XSCORE_CONN_FAILED,		/* gone: see err */
};

struct xscore_conn *xscore_conn_create(struct ib_device *ibdev, u32 port_num,
				       const struct xscore_conn_params *params,
				       void *context);
void xscore_conn_destroy(struct xscore_conn *conn);
int xscore_conn_send_hex(struct xscore_conn *conn, const char *hex);

int xscore_conn_connect(struct xscore_conn *conn, struct sockaddr_in6 *src,
			struct sockaddr_in6 *dst);
struct xscore_conn_listener *xscore_conn_listen(const struct sockaddr_in6 *addr,
						int backlog,
						xscore_conn_request_fn request,
						void *context);
void xscore_conn_unlisten(struct xscore_conn_listener *listener);
bool xscore_conn_request_from(struct rdma_cm_id *id, const union ib_gid *host);

/* Whether a host binding names a host (all zeroes: none). */
static inline bool xscore_conn_host_bound(const union ib_gid *host)
{
	return memchr_inv(host->raw, 0, sizeof(host->raw));
}

int xscore_conn_host_parse(const char *buf, union ib_gid *host);
ssize_t xscore_conn_host_show(char *page, const union ib_gid *host);
int xscore_conn_accept_request(struct xscore_conn *conn, struct rdma_cm_id *id,
			       const struct rdma_conn_param *request);
enum xscore_conn_progress xscore_conn_step(struct xscore_conn *conn);
int xscore_conn_receive(struct xscore_conn *conn,
			void (*deliver)(struct xscore_conn *conn, void *data,
					u32 len));
int xscore_conn_send(struct xscore_conn *conn, const void *head, u32 head_len,
		     const void *body, u32 body_len);
int xscore_conn_send_fill(struct xscore_conn *conn, u32 len,
			  void (*fill)(void *dst, const void *src, u32 len),
			  const void *src);
int xscore_conn_send_sg(struct xscore_conn *conn, const struct ib_sge *sg,
			unsigned int num_sg, void *cookie);
int xscore_conn_post_wr(struct xscore_conn *conn, const struct ib_send_wr *wr);
int xscore_conn_poll_rx(struct xscore_conn *conn, int budget,
			void (*deliver)(struct xscore_conn *conn, void *data,
					u32 len));
bool xscore_conn_rx_rearm(struct xscore_conn *conn);
void xscore_conn_drain(struct xscore_conn *conn);
void xscore_conn_close(struct xscore_conn *conn);

void *xscore_conn_context(const struct xscore_conn *conn);
bool xscore_conn_established(const struct xscore_conn *conn);
bool xscore_conn_active(const struct xscore_conn *conn);
int xscore_conn_error(const struct xscore_conn *conn);
int xscore_conn_accept(const struct xscore_conn *conn, u8 *data,
		       u32 *local_qpn, u32 *remote_qpn);
struct ib_device *xscore_conn_ibdev(const struct xscore_conn *conn);
struct ib_pd *xscore_conn_pd(const struct xscore_conn *conn);
struct ib_qp *xscore_conn_qp(const struct xscore_conn *conn);
u32 xscore_conn_port_num(const struct xscore_conn *conn);
unsigned int xscore_conn_buf_size(const struct xscore_conn *conn);
unsigned int xscore_conn_ring(const struct xscore_conn *conn);
unsigned int xscore_conn_max_send_sge(const struct xscore_conn *conn);
unsigned int xscore_conn_tx_space(struct xscore_conn *conn);

#endif /* _XSIGO_XSCORE_CONN_H */
