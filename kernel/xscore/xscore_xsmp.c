// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The XSMP session on a link: REGISTER once connected, REG_CONFIRM to be
 * up, every HELLO answered, silence for longer than the hello timeout
 * taken as a dead XCM.
 *
 * Every received message is checked before use: the header's length
 * against what arrived, the class, the session object's own length, the
 * addressing, the state it may arrive in and the names it carries.  A bad
 * message is counted and dropped; one that leaves the session in doubt
 * (a broken REG_CONFIRM) ends it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "xscore_check.h"
#include "xscore_priv.h"

#define CREATE_TRACE_POINTS
#include "xscore_trace.h"

#define XSCORE_HELLO_MISSES		3

static unsigned int hello_timeout;

/* 0, or up to the longest the XCM's own hello interval may make it. */
static int hello_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, XSCORE_HELLO_MISSES *
				     XSCORE_HELLO_INTERVAL_MAX);
}

static const struct kernel_param_ops hello_timeout_ops = {
	.set	= hello_timeout_set,
	.get	= param_get_uint,
};

module_param_cb(hello_timeout, &hello_timeout_ops, &hello_timeout, 0644);
MODULE_PARM_DESC(hello_timeout,
		 "Seconds without a message from an XCM before its link is taken down and reopened (0-10800; 0: three of the XCM's hello intervals)");

static void xscore_xsmp_fill_session(struct xscore_link *link, u8 type,
				     struct xsmp_session_msg *msg)
{
	struct ib_device *ibdev = link->port->xdev->ibdev;

	*msg = (struct xsmp_session_msg) {
		.type		= type,
		.length		= cpu_to_be16(sizeof(*msg)),
		.resource_flags	= cpu_to_be32(XSMP_OS_TYPE_LINUX |
					      link->resources_sent),
		.version	= cpu_to_be32(XSMP_DRIVER_VERSION),
		.chassis_version = cpu_to_be32(XSMP_MIN_CHASSIS_VERSION),
		.fw_ver		= cpu_to_be64(ibdev->attrs.fw_ver),
		.hw_ver		= cpu_to_be32(ibdev->attrs.hw_ver),
		.vendor_part_id	= cpu_to_be32(ibdev->attrs.vendor_part_id),
	};
}

static int xscore_xsmp_send_session(struct xscore_link *link, u8 type)
{
	struct xsmp_session_msg msg;

	xscore_xsmp_fill_session(link, type, &msg);
	return xscore_link_send(link, XSMP_CLASS_SESSION, &msg, sizeof(msg));
}

/*
 * The link is connected: a new session starts with REGISTER, which proves
 * this host where the XCM offered a nonce (xscore_auth.c).
 */
int xscore_xsmp_register(struct xscore_link *link)
{
	struct xsmp_session_msg msg;
	int ret;

	lockdep_assert_held(&link->session.mutex);
	link->resources_sent = xscore_services_active();
	xscore_xsmp_fill_session(link, XSMP_SESSION_TYPE_REGISTER, &msg);
	ret = xscore_auth_register(link, &msg);
	if (!ret)
		ret = xscore_link_send(link, XSMP_CLASS_SESSION, &msg,
				       sizeof(msg));
	memzero_explicit(&msg, sizeof(msg));
	return ret;
}

static unsigned long xscore_xsmp_hello_timeout(struct xscore_link *link)
{
	unsigned int seconds = READ_ONCE(hello_timeout);

	if (!seconds)
		seconds = XSCORE_HELLO_MISSES * link->hello_interval;
	return seconds * HZ;
}

/* Tell the XCM when service drivers have come or gone. */
void xscore_xsmp_report_resources(struct xscore_link *link)
{
	u32 active = xscore_services_active();
	u32 sent = link->resources_sent;

	lockdep_assert_held(&link->session.mutex);
	if (xscore_session_state(&link->session) != XSCORE_SESSION_UP ||
	    active == sent)
		return;
	link->resources_sent = active;
	if (xscore_xsmp_send_session(link, XSMP_SESSION_TYPE_RESOURCE_LIST))
		link->resources_sent = sent;	/* again on the next run */
}

static int xscore_xsmp_confirmed(struct xscore_link *link,
				 const struct xsmp_session_msg *msg)
{
	char chassis[XSCORE_NAME_LEN + 1], profile[XSCORE_NAME_LEN + 1];
	u32 interval = be32_to_cpu(msg->version);

	if (xscore_xsmp_check_confirm(msg, chassis, profile))
		return -EPROTO;
	if (xscore_auth_confirm(link, msg))
		return -EKEYREJECTED;

	link->hello_interval = interval;
	spin_lock_bh(&link->lock);
	if (link->was_up)
		link->stats.reconnects++;
	link->was_up = true;
	link->up_since = jiffies;
	strscpy(link->chassis_name, chassis, sizeof(link->chassis_name));
	strscpy(link->profile_name, profile, sizeof(link->profile_name));
	spin_unlock_bh(&link->lock);
	xscore_session_opened(&link->session);
	xscore_session_alive(&link->session, xscore_xsmp_hello_timeout(link));
	dev_info(&link->dev, "up: chassis %s, profile %s, hello every %u s\n",
		 chassis, profile, interval);
	xscore_link_queue_event(link, XSCORE_LINK_EVENT_UP);
	return 0;
}

static void xscore_xsmp_session(struct xscore_link *link,
				const struct xsmp_session_msg *msg)
{
	bool up = link->session.state == XSCORE_SESSION_UP;
	int ret;

	lockdep_assert_held(&link->session.mutex);
	/* Unknown, or not in this state. */
	if (xscore_xsmp_check_session_type(msg->type, up)) {
		xscore_link_count_malformed(link);
		return;
	}
	switch (msg->type) {
	case XSMP_SESSION_TYPE_REG_CONFIRM:
		ret = xscore_xsmp_confirmed(link, msg);
		if (ret == -EKEYREJECTED) {
			xscore_link_fail(link, "XCM proof wrong", ret);
		} else if (ret) {
			xscore_link_count_malformed(link);
			xscore_link_fail(link, "malformed REG_CONFIRM", -EPROTO);
		}
		return;
	case XSMP_SESSION_TYPE_REG_REJECT:
		if (msg->code == XSMP_REJECT_AUTH)
			xscore_auth_rejected(link);
		xscore_link_fail(link, "registration rejected", -msg->code);
		return;
	case XSMP_SESSION_TYPE_SHUTDOWN:
		xscore_link_fail(link, "XCM shut the session down",
				 -ECONNRESET);
		return;
	case XSMP_SESSION_TYPE_HELLO:
		ret = xscore_xsmp_send_session(link, XSMP_SESSION_TYPE_HELLO);
		/* A burst of HELLOs outruns the send ring; one answer is enough. */
		if (ret && ret != -ENOBUFS)
			xscore_link_fail(link, "cannot answer HELLO", ret);
		return;
	}
}

void xscore_xsmp_receive(struct xscore_link *link, const void *data, u32 len)
{
	const struct xsmp_message_header *hdr = data;
	const struct xsmp_session_msg *msg;

	lockdep_assert_held(&link->session.mutex);
	if (xscore_xsmp_check_header(data, len, link->own_guid, link->xcm_guid))
		goto malformed;

	xscore_link_count(link, &link->stats.msgs_in);
	trace_xscore_xsmp_msg(dev_name(&link->dev), false, hdr->type,
			      len > sizeof(*hdr) ? *(const u8 *)(hdr + 1) : 0,
			      len, be32_to_cpu(hdr->seq_number));
	/* Any message from the XCM shows it is alive. */
	xscore_session_alive(&link->session, xscore_xsmp_hello_timeout(link));

	if (xscore_xsmp_check_body(data, len,
				   link->session.state == XSCORE_SESSION_UP))
		goto malformed;
	if (hdr->type == XSMP_CLASS_VNIC || hdr->type == XSMP_CLASS_VHBA) {
		xscore_link_queue_vdev_msg(link, hdr->type, hdr + 1,
					   len - sizeof(*hdr));
		return;
	}
	if (hdr->type != XSMP_CLASS_SESSION) {
		/* A class no driver here serves. */
		xscore_link_count_unhandled(link);
		return;
	}
	msg = (const void *)(hdr + 1);
	xscore_xsmp_session(link, msg);
	return;

malformed:
	xscore_link_count_malformed(link);
}
