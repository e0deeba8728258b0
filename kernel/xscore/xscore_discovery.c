// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Discovery, per port: find the directory service (XDS) with a
 * ServiceRecord query, then ask it which configuration managers (XCMs) are
 * assigned to this port.  Both are GSI MADs with an SA-style header.
 *
 * On InfiniBand the query would go to the SA; RoCE has none, so it goes to
 * the fabric-services GID given in the xds_gid parameter, where the
 * director answers as an SA would.  The kernel MAD layer matches answers to
 * requests by GID, which fails for IPv4-mapped GIDs on RoCEv2, so requests
 * leave from an IPv6 GID (docs/wire-deviations.md).
 *
 * Every answer is checked before use: status, method, attribute, and the
 * counts and versions inside the payload.
 *
 * Nothing here waits for the fabric.  A round of discovery is a chain of
 * runs of the port's discovery work: each run sends a request and returns;
 * the MAD agent's send handler (or, for a solicitation, the UD completion
 * handler) records the outcome and kicks the work, which takes the answer
 * and sends the next request or ends the round.  The MAD layer times out
 * and retries MADs itself; a solicitation's timeout is the work's own
 * deadline.  Locking: above struct xscore_port in xscore_priv.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/utsname.h>
#include <linux/workqueue.h>
#include <net/ipv6.h>
#include <rdma/ib_cache.h>
#include <rdma/ib_mad.h>

#include "xscore_check.h"
#include "xscore_priv.h"

static char *xds_gid;

/* Refused at load unless it is an IPv6 address: a typo would mean no links. */
static int xds_gid_set(const char *val, const struct kernel_param *kp)
{
	struct in6_addr addr;

	if (in6_pton(val, strcspn(val, "\n"), addr.s6_addr, -1, NULL) != 1)
		return -EINVAL;
	return param_set_charp(val, kp);
}

static const struct kernel_param_ops xds_gid_ops = {
	.set	= xds_gid_set,
	.get	= param_get_charp,
	.free	= param_free_charp,
};

module_param_cb(xds_gid, &xds_gid_ops, &xds_gid, 0444);
MODULE_PARM_DESC(xds_gid,
		 "GID (IPv6 form) of the fabric services that answer the XDS ServiceRecord query on RoCE");

static bool ud_discovery;
module_param(ud_discovery, bool, 0444);
MODULE_PARM_DESC(ud_discovery,
		 "Without xds_gid, discover XCMs on Ethernet ports by UD solicitation to ff02::1: each port's initial setting, which sysfs changes (default: off)");

/* Each port's initial ud_discovery (xscore_port_sysfs.c). */
bool xscore_ud_discovery_default(void)
{
	return ud_discovery;
}

#define XSCORE_MAD_RETRIES	2
#define XSCORE_POLL_OK		(20 * HZ)
#define XSCORE_POLL_RETRY	(10 * HZ)
#define XSCORE_HOP_LIMIT	64
#define XSCORE_DRIVER_VERSION	0x030000

/* What a step returns while its request is out: the work runs again. */
#define XSCORE_DISC_WAIT	1

static void xscore_discovery_kick_locked(struct xscore_port *port)
{
	lockdep_assert_held(&port->discovery_lock);

	/* Once stopping, the work is cancelled and must stay so. */
	if (!port->discovery_stopping)
		mod_delayed_work(system_long_wq, &port->discovery_work, 0);
}

/* A request finished (answered, failed or timed out): let the work take it. */
void xscore_discovery_kick(struct xscore_port *port)
{
	spin_lock_bh(&port->discovery_lock);
	xscore_discovery_kick_locked(port);
	spin_unlock_bh(&port->discovery_lock);
}

/*
 * The MAD layer reports every posted send exactly once, answered or not,
 * in process context: here the request ends, and the message and its AH
 * go (as the MAD layer's own RMPP send handler frees them).
 */
static void xscore_mad_send_done(struct ib_mad_agent *agent,
				 struct ib_mad_send_wc *wc)
{
	struct ib_mad_send_buf *msg = wc->send_buf;
	struct xscore_port *port = agent->context;

	spin_lock_bh(&port->discovery_lock);
	if (port->mad_msg == msg) {
		if (wc->status != IB_WC_SUCCESS)
			port->mad_status = wc->status == IB_WC_RESP_TIMEOUT_ERR ?
					   -ETIMEDOUT : -EIO;
		else if (!port->mad_answered)
			port->mad_status = -EIO;
		else
			port->mad_status = 0;
		port->mad_msg = NULL;
		xscore_discovery_kick_locked(port);
	}
	spin_unlock_bh(&port->discovery_lock);

	rdma_destroy_ah(msg->ah, RDMA_DESTROY_AH_SLEEPABLE);
	ib_free_send_mad(msg);
}

static void xscore_mad_recv(struct ib_mad_agent *agent,
			    struct ib_mad_send_buf *send_buf,
			    struct ib_mad_recv_wc *wc)
{
	const struct xs_mad_hdr *hdr = (const void *)wc->recv_buf.mad;
	struct xscore_port *port = agent->context;

	/*
	 * Only answers to our own requests reach a client agent, matched by
	 * the MAD layer on the transaction ID.  An answer is kept only for
	 * the request in flight, and only if it carries that request's
	 * transaction ID: a late answer to an earlier request (whose
	 * message is gone) never passes for the answer to this one.
	 */
	spin_lock_bh(&port->discovery_lock);
	if (send_buf && send_buf == port->mad_msg &&
	    wc->mad_len >= sizeof(port->mad_answer) &&
	    hdr->tid == ((const struct xs_mad_hdr *)send_buf->mad)->tid) {
		memcpy(port->mad_answer, wc->recv_buf.mad,
		       sizeof(port->mad_answer));
		port->mad_answered = true;
	}
	spin_unlock_bh(&port->discovery_lock);
	ib_free_recv_mad(wc);
}

/*
 * The GID requests leave from: on RoCE a routable IPv6 one (not
 * IPv4-mapped, which the MAD layer cannot match answers against, and not
 * link-local); on InfiniBand the port GID.
 */
static int xscore_request_sgid_index(struct xscore_port *port)
{
	struct ib_device *ibdev = port->xdev->ibdev;
	const struct ib_gid_attr *attr;
	const struct in6_addr *addr;
	struct ib_port_attr port_attr;
	int index, found = -EADDRNOTAVAIL;
	bool usable;

	if (!rdma_protocol_roce(ibdev, port->port_num))
		return 0;
	if (ib_query_port(ibdev, port->port_num, &port_attr))
		return -EIO;

	for (index = 0; index < port_attr.gid_tbl_len && found < 0; index++) {
		attr = rdma_get_gid_attr(ibdev, port->port_num, index);
		if (IS_ERR(attr))
			continue;
		addr = (const struct in6_addr *)attr->gid.raw;
		usable = attr->gid_type == IB_GID_TYPE_ROCE_UDP_ENCAP &&
			 !ipv6_addr_v4mapped(addr) &&
			 !(ipv6_addr_type(addr) & IPV6_ADDR_LINKLOCAL);
		if (usable)
			found = index;
		rdma_put_gid_attr(attr);
	}
	return found;
}

/*
 * Send one GET; its answer lands in port->mad_answer, and its send handler
 * kicks the work.  Only the discovery work calls this, with no request in
 * flight.
 */
static int xscore_mad_send(struct xscore_port *port, const union ib_gid *dgid,
			   u8 mgmt_class, u16 attr_id, u64 comp_mask,
			   const void *data, size_t len)
{
	struct ib_device *ibdev = port->xdev->ibdev;
	struct ib_mad_send_buf *msg;
	struct rdma_ah_attr ah_attr = {};
	union ib_gid dest = *dgid;
	struct xs_mad_hdr *hdr;
	struct xs_sa_hdr *sa;
	struct ib_ah *ah;
	int ret;

	if (WARN_ON(len > IB_MGMT_SA_DATA))
		return -EINVAL;

	ah_attr.type = rdma_ah_find_type(ibdev, port->port_num);
	rdma_ah_set_port_num(&ah_attr, port->port_num);
	rdma_ah_set_grh(&ah_attr, &dest, 0, port->sgid_index,
			XSCORE_HOP_LIMIT, 0);
	ah = rdma_create_ah(port->mad_agent->qp->pd, &ah_attr,
			    RDMA_CREATE_AH_SLEEPABLE);
	if (IS_ERR(ah))
		return PTR_ERR(ah);

	msg = ib_create_send_mad(port->mad_agent, 1, 0, 0, IB_MGMT_SA_HDR,
				 IB_MGMT_SA_DATA, GFP_KERNEL,
				 IB_MGMT_BASE_VERSION);
	if (IS_ERR(msg)) {
		ret = PTR_ERR(msg);
		goto destroy_ah;
	}

	hdr = msg->mad;
	hdr->base_version = XS_MAD_BASE_VERSION;
	hdr->mgmt_class = mgmt_class;
	hdr->class_version = mgmt_class == XS_MGMT_CLASS_SUBN_ADM ?
			     XS_SA_CLASS_VERSION : XDS_MGMT_CLASS_VERSION;
	hdr->method = XS_MAD_METHOD_GET;
	/* A new transaction ID per request, retries aside. */
	hdr->tid = cpu_to_be64((u64)port->mad_agent->hi_tid << 32 |
			       ++port->mad_tid);
	hdr->attr_id = cpu_to_be16(attr_id);
	sa = (struct xs_sa_hdr *)(hdr + 1);
	sa->comp_mask = cpu_to_be64(comp_mask);
	memcpy((u8 *)msg->mad + XS_SA_DATA_OFFSET, data, len);

	msg->ah = ah;
	msg->timeout_ms = XSCORE_MAD_TIMEOUT_MS;
	msg->retries = XSCORE_MAD_RETRIES;
	msg->context[0] = port;

	/* In flight before it is posted: its handlers may run at once. */
	spin_lock_bh(&port->discovery_lock);
	port->mad_msg = msg;
	port->mad_answered = false;
	port->mad_status = -EIO;
	spin_unlock_bh(&port->discovery_lock);

	ret = ib_post_send_mad(msg, NULL);
	if (ret)
		goto unpublish;
	/* The MAD layer always reports the send: answered, timed out or flushed. */
	return 0;

unpublish:
	spin_lock_bh(&port->discovery_lock);
	port->mad_msg = NULL;
	spin_unlock_bh(&port->discovery_lock);
	ib_free_send_mad(msg);
destroy_ah:
	rdma_destroy_ah(ah, RDMA_DESTROY_AH_SLEEPABLE);
	return ret;
}

/*
 * The outcome of the MAD last sent: XSCORE_DISC_WAIT while it is in flight,
 * else 0 with its answer in port->mad_answer, or why there is none.
 */
static int xscore_mad_result(struct xscore_port *port)
{
	int ret;

	spin_lock_bh(&port->discovery_lock);
	ret = port->mad_msg ? XSCORE_DISC_WAIT : port->mad_status;
	spin_unlock_bh(&port->discovery_lock);
	return ret;
}

/* Status, method and attribute of an answer, before its payload is read. */
static void xscore_count(struct xscore_port *port, u64 *counter)
{
	mutex_lock(&port->lock);
	(*counter)++;
	mutex_unlock(&port->lock);
}

static int xscore_check_answer(struct xscore_port *port, u16 attr_id)
{
	switch (xscore_check_mad_answer(port->mad_answer, attr_id)) {
	case XSCORE_CHECK_OK:
		return 0;
	case XSCORE_CHECK_MAD_STATUS:
		return -ENOENT;
	default:
		xscore_count(port, &port->stats.malformed);
		return -EPROTO;
	}
}

/* Ask the fabric services where the XDS is. */
static int xscore_find_xds(struct xscore_port *port)
{
	struct xs_service_record query = {};
	int ret;

	strscpy(query.service_name, XDS_SERVICE_NAME,
		sizeof(query.service_name));
	ret = xscore_mad_send(port, &port->fabric_services,
			      XS_MGMT_CLASS_SUBN_ADM,
			      XS_SA_ATTR_SERVICE_RECORD,
			      XS_SA_SERVICE_REC_NAME_MASK, &query,
			      sizeof(query));
	if (ret)
		return ret;
	port->step = XSCORE_DISC_SERVICE_RECORD;
	return XSCORE_DISC_WAIT;
}

/* The ServiceRecord answer, checked, gives the XDS's GID. */
static int xscore_found_xds(struct xscore_port *port, union ib_gid *xds)
{
	const struct xs_service_record *rec;
	int ret;

	ret = xscore_check_answer(port, XS_SA_ATTR_SERVICE_RECORD);
	if (ret)
		return ret;

	if (xscore_check_service_record(port->mad_answer)) {
		xscore_count(port, &port->stats.malformed);
		return -EPROTO;
	}
	rec = (const void *)(port->mad_answer + XS_SA_DATA_OFFSET);
	memcpy(xds->raw, rec->service_gid, sizeof(xds->raw));
	return 0;
}

static void xscore_fill_identity(struct xscore_port *port,
				 struct xds_request *req)
{
	struct ib_device *ibdev = port->xdev->ibdev;
	struct new_utsname *uts = utsname();

	req->port_id = ibdev->node_guid;
	strscpy(req->hostname, uts->nodename, sizeof(req->hostname));
	/* The field is what it is on the wire: a long release is cut short. */
	scnprintf(req->os_version, sizeof(req->os_version), "%s:xg-3.0.0",
		  uts->release);
	strscpy(req->os_arch, uts->machine, sizeof(req->os_arch));
	req->os_type = cpu_to_be32(XDS_OS_TYPE_LINUX);
	req->fw_version = cpu_to_be64(ibdev->attrs.fw_ver);
	req->hw_version = cpu_to_be32(ibdev->attrs.hw_ver);
	req->driver_version = cpu_to_be32(XSCORE_DRIVER_VERSION);
	req->capabilities = cpu_to_be32(XDS_CAP_PRESENT);
	strscpy(req->build_version, "xg-3.0.0", sizeof(req->build_version));
}

/*
 * Take an XDS answer (over a MAD or a UD solicitation): checked against the
 * request it answers, then the port's XCM list is replaced by it.
 */
static int xscore_take_answer(struct xscore_port *port,
			      const union ib_gid *xds,
			      const struct xds_request *req,
			      const struct xds_response *resp)
{
	u64 guids[XDS_MAX_XCMS] = {};
	unsigned int count = 0, i;
	bool changed;
	u64 guid;

	if (xscore_check_xds_response(req->port_id, resp)) {
		xscore_count(port, &port->stats.malformed);
		return -EPROTO;
	}

	mutex_lock(&port->lock);
	/* What the port's trust lists refuse is counted and left out. */
	if (!xscore_port_trusts_xds(port, xds)) {
		port->stats.untrusted++;
		mutex_unlock(&port->lock);
		return -EACCES;
	}
	for (i = 0; i < resp->list.count; i++) {
		guid = be64_to_cpu(resp->list.xcms[i].port_id);
		if (xscore_port_trusts_xcm(port, guid))
			guids[count++] = guid;
		else
			port->stats.untrusted++;
	}
	changed = count != port->num_xcms ||
		  memcmp(&port->xds_gid, xds, sizeof(*xds)) ||
		  memcmp(port->xcm_guids, guids, count * sizeof(guids[0]));
	port->xds_gid = *xds;
	port->num_xcms = count;
	memcpy(port->xcm_guids, guids, sizeof(guids));
	mutex_unlock(&port->lock);

	/* Re-polls that change nothing stay quiet. */
	if (!changed)
		return 0;
	pr_info("%s: port %u: XDS %pI6 assigned %u XCM(s)%s\n",
		dev_name(&port->xdev->ibdev->dev), port->port_num, xds->raw,
		count, count ? ":" : "");
	for (i = 0; i < count; i++)
		pr_info("%s: port %u: XCM %016llx\n",
			dev_name(&port->xdev->ibdev->dev), port->port_num,
			guids[i]);
	return 0;
}

/* Ask the XDS which XCMs this port is assigned to. */
static int xscore_ask_xds(struct xscore_port *port)
{
	int ret;

	memset(&port->request, 0, sizeof(port->request));
	xscore_fill_identity(port, &port->request);
	ret = xscore_mad_send(port, &port->found_xds, XDS_MGMT_CLASS,
			      XDS_ATTR_XCM_REQUEST, 0, &port->request,
			      sizeof(port->request));
	if (ret)
		return ret;
	port->step = XSCORE_DISC_XCM_REQUEST;
	return XSCORE_DISC_WAIT;
}

static int xscore_xds_answered(struct xscore_port *port)
{
	int ret;

	ret = xscore_check_answer(port, XDS_ATTR_XCM_REQUEST);
	if (ret)
		return ret;
	return xscore_take_answer(port, &port->found_xds, &port->request,
				  (const void *)(port->mad_answer +
						 XS_SA_DATA_OFFSET));
}

/*
 * Ethernet mode: the whole exchange is one solicitation and its answer,
 * waited for until a deadline of the work's own.
 */
static int xscore_solicit(struct xscore_port *port)
{
	unsigned long timeout = msecs_to_jiffies(XSCORE_MAD_TIMEOUT_MS);
	int ret;

	memset(&port->request, 0, sizeof(port->request));
	xscore_fill_identity(port, &port->request);
	ret = xscore_ud_solicit(port, port->sgid_index, &port->request);
	if (ret)
		return ret;
	port->step = XSCORE_DISC_SOLICIT;
	port->deadline = jiffies + timeout;
	/* An answer that came already has kicked the work: that stands. */
	queue_delayed_work(system_long_wq, &port->discovery_work, timeout);
	return XSCORE_DISC_WAIT;
}

/*
 * Weigh the answers that came: the first one well formed and from a GID
 * the port trusts ends the round.  Competing answers before it are counted
 * (malformed, untrusted) and passed over; when the deadline passes without
 * one, the round fails with the last of their verdicts and changes nothing.
 */
static int xscore_solicited(struct xscore_port *port)
{
	unsigned long now = jiffies;
	bool expired = !time_before(now, port->deadline);
	const struct xds_response *resp;
	int ret, verdict = -ETIMEDOUT;
	union ib_gid xds;

	while ((ret = xscore_ud_next_answer(port, &xds, &resp)) != -ENOENT) {
		if (ret == -EPROTO)
			xscore_count(port, &port->stats.malformed);
		else
			ret = xscore_take_answer(port, &xds, &port->request,
						 resp);
		if (!ret) {
			xscore_ud_end_wait(port);
			return 0;
		}
		verdict = ret;
	}
	if (expired) {
		xscore_ud_end_wait(port);
		return verdict;
	}
	/* Run early, by an answer passed over or by none: wait on. */
	queue_delayed_work(system_long_wq, &port->discovery_work,
			   port->deadline - now);
	return XSCORE_DISC_WAIT;
}

static struct xscore_link *xscore_find_link(struct xscore_port *port,
					    u64 xcm_guid)
{
	struct xscore_link *link;

	list_for_each_entry(link, &port->links, node)
		if (link->xcm_guid == xcm_guid)
			return link;
	return NULL;
}

static bool xscore_xcm_assigned(struct xscore_port *port, u64 xcm_guid)
{
	unsigned int i;

	for (i = 0; i < port->num_xcms; i++)
		if (port->xcm_guids[i] == xcm_guid)
			return true;
	return false;
}

/*
 * Whether a link whose XCM the last answer left out goes now: after the
 * port's link_drop_polls answers in a row, and then only with no device in
 * use, unless the operator released it.  (An XCM the operator took off the
 * port's trust list goes at once: xscore_update_links().)  Only this work
 * adds links to or takes them from port->links, so it walks them without
 * port->lock.
 */
static bool xscore_link_may_go(struct xscore_port *port,
			       struct xscore_link *link)
{
	unsigned int polls = READ_ONCE(port->trust.link_drop_polls);
	unsigned int busy;

	WRITE_ONCE(link->absent_polls, link->absent_polls + 1);
	if (link->absent_polls < polls) {
		dev_info(&link->dev, "XCM left out of the answer (%u of %u)\n",
			 link->absent_polls, polls);
		return false;
	}
	if (READ_ONCE(link->release_asked))
		return true;
	busy = xscore_link_busy_vdevs(link);
	if (!busy)
		return true;
	if (!link->held)
		dev_warn(&link->dev,
			 "XCM no longer assigned; link held: its devices are in use (release to drop it)\n");
	WRITE_ONCE(link->held, true);
	return false;
}

/*
 * One link per assigned XCM: links to XCMs no longer assigned close (see
 * xscore_link_may_go()), new ones open.  A failed discovery changes
 * nothing; the links' own hello timeouts tell whether their XCMs are still
 * there.
 */
static void xscore_update_links(struct xscore_port *port,
				const union ib_gid *sgid)
{
	struct xscore_link *link, *next;
	LIST_HEAD(gone);
	unsigned int i;
	u64 guid;

	list_for_each_entry_safe(link, next, &port->links, node) {
		bool distrusted;

		mutex_lock(&port->lock);
		if (xscore_xcm_assigned(port, link->xcm_guid)) {
			WRITE_ONCE(link->absent_polls, 0);
			WRITE_ONCE(link->held, false);
			WRITE_ONCE(link->release_asked, false);
			mutex_unlock(&port->lock);
			continue;
		}
		distrusted = !xscore_port_trusts_xcm(port, link->xcm_guid);
		mutex_unlock(&port->lock);
		if (!distrusted && !xscore_link_may_go(port, link))
			continue;
		mutex_lock(&port->lock);
		list_move(&link->node, &gone);
		mutex_unlock(&port->lock);
	}
	list_for_each_entry_safe(link, next, &gone, node) {
		list_del(&link->node);
		xscore_link_destroy(link);
	}

	for (i = 0; i < port->num_xcms; i++) {
		guid = port->xcm_guids[i];
		if (xscore_find_link(port, guid))
			continue;
		link = xscore_link_create(port, guid, sgid, &port->xds_gid);
		if (IS_ERR(link)) {
			pr_warn("%s: port %u: no link to XCM %016llx (%ld)\n",
				dev_name(&port->xdev->ibdev->dev),
				port->port_num, guid, PTR_ERR(link));
			continue;
		}
		mutex_lock(&port->lock);
		list_add_tail(&link->node, &port->links);
		/* Named before its device was renamed: follow it now. */
		xscore_link_rename(link);
		mutex_unlock(&port->lock);
	}
}

static void xscore_destroy_links(struct xscore_port *port)
{
	struct xscore_link *link, *next;
	LIST_HEAD(gone);

	mutex_lock(&port->lock);
	list_splice_init(&port->links, &gone);
	mutex_unlock(&port->lock);
	list_for_each_entry_safe(link, next, &gone, node) {
		list_del(&link->node);
		xscore_link_destroy(link);
	}
}

/* A round starts: the GID to send from, then the first request. */
static int xscore_discovery_begin(struct xscore_port *port)
{
	int ret;

	if (READ_ONCE(port->state) != IB_PORT_ACTIVE)
		return -ENETDOWN;
	if (port->ud && !READ_ONCE(port->trust.ud_discovery))
		return -EPERM;		/* solicitation is off on this port */
	port->sgid_index = xscore_request_sgid_index(port);
	if (port->sgid_index < 0)
		return port->sgid_index;
	ret = rdma_query_gid(port->xdev->ibdev, port->port_num,
			     port->sgid_index, &port->sgid);
	if (ret)
		return ret;

	return port->ud ? xscore_solicit(port) : xscore_find_xds(port);
}

/*
 * One step of the round: XSCORE_DISC_WAIT when a request is out (its
 * handler, or its deadline, runs the work again), else how the round ended.
 */
static int xscore_discovery_step(struct xscore_port *port)
{
	int ret;

	switch (port->step) {
	case XSCORE_DISC_IDLE:
		return xscore_discovery_begin(port);
	case XSCORE_DISC_SERVICE_RECORD:
		ret = xscore_mad_result(port);
		if (!ret)
			ret = xscore_found_xds(port, &port->found_xds);
		if (!ret)
			ret = xscore_ask_xds(port);
		return ret;
	case XSCORE_DISC_XCM_REQUEST:
		ret = xscore_mad_result(port);
		if (!ret)
			ret = xscore_xds_answered(port);
		return ret;
	case XSCORE_DISC_SOLICIT:
		return xscore_solicited(port);
	}
	return -EINVAL;
}

static void xscore_discovery_work(struct work_struct *work)
{
	struct xscore_port *port = container_of(to_delayed_work(work),
						struct xscore_port,
						discovery_work);
	bool report;
	int ret;

	ret = xscore_discovery_step(port);
	if (ret == XSCORE_DISC_WAIT)
		return;
	port->step = XSCORE_DISC_IDLE;
	if (!ret)
		xscore_update_links(port, &port->sgid);

	mutex_lock(&port->lock);
	if (ret)
		port->stats.discovery_failures++;
	else
		port->stats.discoveries++;
	report = ret && ret != port->last_discovery_error;
	port->last_discovery_error = ret;
	mutex_unlock(&port->lock);

	if (report)
		pr_info("%s: port %u: discovery failed (%d), retrying\n",
			dev_name(&port->xdev->ibdev->dev), port->port_num, ret);
	/*
	 * Nothing is in flight, so no handler kick is pending that this
	 * could replace.
	 */
	mod_delayed_work(system_long_wq, &port->discovery_work,
			 ret ? XSCORE_POLL_RETRY : XSCORE_POLL_OK);
}

/* Where ServiceRecord queries go; false when discovery is not configured. */
static bool xscore_fabric_services(union ib_gid *gid)
{
	return xds_gid && in6_pton(xds_gid, -1, gid->raw, -1, NULL) == 1;
}

int xscore_discovery_start(struct xscore_port *port)
{
	struct ib_device *ibdev = port->xdev->ibdev;

	mutex_init(&port->lock);
	INIT_LIST_HEAD(&port->links);
	spin_lock_init(&port->discovery_lock);
	port->discovery_stopping = false;
	port->step = XSCORE_DISC_IDLE;
	INIT_DELAYED_WORK(&port->discovery_work, xscore_discovery_work);

	if (!xscore_fabric_services(&port->fabric_services)) {
		int ret;

		if (xds_gid) {
			pr_warn("xds_gid=%s is not an IPv6 address\n", xds_gid);
			return 0;
		}
		/*
		 * Without a fabric-services GID, Ethernet ports solicit where
		 * their ud_discovery allows it, which may change at run time.
		 */
		if (port->link_layer != IB_LINK_LAYER_ETHERNET)
			return 0;
		ret = xscore_ud_start(port);
		if (ret)
			return ret;
		queue_delayed_work(system_long_wq, &port->discovery_work, 0);
		return 0;
	}

	port->mad_agent = ib_register_mad_agent(ibdev, port->port_num,
						IB_QPT_GSI, NULL, 0,
						xscore_mad_send_done,
						xscore_mad_recv, port, 0);
	if (IS_ERR(port->mad_agent)) {
		int ret = PTR_ERR(port->mad_agent);

		port->mad_agent = NULL;
		return ret;
	}
	queue_delayed_work(system_long_wq, &port->discovery_work, 0);
	return 0;
}

/*
 * When this returns, no handler or work of the port's discovery runs or
 * can run again, and no request or answer buffer is left in use.
 */
void xscore_discovery_stop(struct xscore_port *port)
{
	if (!port->mad_agent && !port->ud)
		return;

	/* Handlers no longer kick the work, so once cancelled it stays so. */
	spin_lock_bh(&port->discovery_lock);
	port->discovery_stopping = true;
	spin_unlock_bh(&port->discovery_lock);
	cancel_delayed_work_sync(&port->discovery_work);

	xscore_destroy_links(port);
	/* Its handlers are done once its CQ is freed. */
	xscore_ud_stop(port);
	/*
	 * Flushes a MAD still in flight, whose send handler frees it, and
	 * returns once no handler of the agent runs.
	 */
	if (port->mad_agent)
		ib_unregister_mad_agent(port->mad_agent);
	port->mad_agent = NULL;
}
