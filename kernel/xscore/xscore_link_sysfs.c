// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What an operator sees of each XSMP link, one read-only attribute a
 * value, and the one thing done to it (release):
 * /sys/class/xscore_link/<device>-<port>-<XCM GUID>/
 */
#include <linux/device.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "xscore_priv.h"

static struct xscore_link *to_link(struct device *dev)
{
	return container_of(dev, struct xscore_link, dev);
}

static ssize_t port_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct xscore_link *link = to_link(dev);

	return sysfs_emit(buf, "%s:%u\n", dev_name(&link->port->xdev->ibdev->dev),
			  link->port->port_num);
}
static DEVICE_ATTR_RO(port);

static ssize_t xcm_guid_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%016llx\n", to_link(dev)->xcm_guid);
}
static DEVICE_ATTR_RO(xcm_guid);

static ssize_t xcm_address_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%pI6c\n", &to_link(dev)->dst.sin6_addr);
}
static DEVICE_ATTR_RO(xcm_address);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct xscore_link *link = to_link(dev);

	return sysfs_emit(buf, "%s\n",
			  xscore_link_state_name(xscore_session_state(&link->session)));
}
static DEVICE_ATTR_RO(state);

static ssize_t uptime_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct xscore_link *link = to_link(dev);
	unsigned long seconds = 0;

	spin_lock_bh(&link->lock);
	if (xscore_session_state(&link->session) == XSCORE_SESSION_UP)
		seconds = (jiffies - link->up_since) / HZ;
	spin_unlock_bh(&link->lock);
	return sysfs_emit(buf, "%lu\n", seconds);
}
static DEVICE_ATTR_RO(uptime);

static ssize_t xscore_link_show_name(struct xscore_link *link,
				     const char *name, char *buf)
{
	ssize_t len;

	spin_lock_bh(&link->lock);
	len = sysfs_emit(buf, "%s\n", name);
	spin_unlock_bh(&link->lock);
	return len;
}

static ssize_t chassis_name_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct xscore_link *link = to_link(dev);

	return xscore_link_show_name(link, link->chassis_name, buf);
}
static DEVICE_ATTR_RO(chassis_name);

static ssize_t profile_name_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct xscore_link *link = to_link(dev);

	return xscore_link_show_name(link, link->profile_name, buf);
}
static DEVICE_ATTR_RO(profile_name);

static ssize_t auth_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct xscore_link *link = to_link(dev);
	enum xscore_auth_state state;

	spin_lock_bh(&link->lock);
	state = link->auth_state;
	spin_unlock_bh(&link->lock);
	return sysfs_emit(buf, "%s\n", xscore_auth_state_name(state));
}
static DEVICE_ATTR_RO(auth);

static ssize_t auth_reason_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct xscore_link *link = to_link(dev);
	const char *why;

	spin_lock_bh(&link->lock);
	why = link->auth_why;
	spin_unlock_bh(&link->lock);
	return sysfs_emit(buf, "%s\n", why ?: "");
}
static DEVICE_ATTR_RO(auth_reason);

/* A counter of struct xscore_link_stats, found by its offset. */
struct xscore_link_stat_attribute {
	struct device_attribute attr;
	size_t offset;
};

static ssize_t xscore_link_stat_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct xscore_link *link = to_link(dev);
	size_t offset = container_of(attr, struct xscore_link_stat_attribute,
				     attr)->offset;
	u64 value;

	spin_lock_bh(&link->lock);
	value = *(u64 *)((u8 *)&link->stats + offset);
	spin_unlock_bh(&link->lock);
	return sysfs_emit(buf, "%llu\n", value);
}

#define XSCORE_LINK_STAT_ATTR(_name, _offset)				\
static struct xscore_link_stat_attribute stat_attr_##_name = {		\
	.attr	= __ATTR(_name, 0444, xscore_link_stat_show, NULL),	\
	.offset	= _offset,						\
}

#define XSCORE_STAT(field)	offsetof(struct xscore_link_stats, field)

XSCORE_LINK_STAT_ATTR(msgs_in, XSCORE_STAT(msgs_in));
XSCORE_LINK_STAT_ATTR(msgs_out, XSCORE_STAT(msgs_out));
XSCORE_LINK_STAT_ATTR(malformed, XSCORE_STAT(malformed));
XSCORE_LINK_STAT_ATTR(unhandled, XSCORE_STAT(unhandled));
XSCORE_LINK_STAT_ATTR(reconnects, XSCORE_STAT(reconnects));
XSCORE_LINK_STAT_ATTR(auth_refused, XSCORE_STAT(auth_refused));

static ssize_t absent_polls_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(to_link(dev)->absent_polls));
}
static DEVICE_ATTR_RO(absent_polls);

static ssize_t held_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_link(dev)->held));
}
static DEVICE_ATTR_RO(held);

/* The next answer that leaves the XCM out drops the link, busy or not. */
static int xscore_link_release(struct device *dev)
{
	WRITE_ONCE(to_link(dev)->release_asked, true);
	return 0;
}

static ssize_t release_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	return xscore_sysfs_act(dev, buf, count, xscore_link_release);
}
static DEVICE_ATTR_WO(release);

/* Drop the session and connect again now, without a backoff. */
static int xscore_link_reset(struct device *dev)
{
	xscore_session_reset(&to_link(dev)->session, "reset by the operator");
	return 0;
}

static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	return xscore_sysfs_act(dev, buf, count, xscore_link_reset);
}
static DEVICE_ATTR_WO(reset);

static struct attribute *xscore_link_attrs[] = {
	&dev_attr_port.attr,
	&dev_attr_xcm_guid.attr,
	&dev_attr_xcm_address.attr,
	&dev_attr_state.attr,
	&dev_attr_uptime.attr,
	&dev_attr_chassis_name.attr,
	&dev_attr_profile_name.attr,
	&stat_attr_msgs_in.attr.attr,
	&stat_attr_msgs_out.attr.attr,
	&stat_attr_malformed.attr.attr,
	&stat_attr_unhandled.attr.attr,
	&stat_attr_reconnects.attr.attr,
	&dev_attr_auth.attr,
	&dev_attr_auth_reason.attr,
	&stat_attr_auth_refused.attr.attr,
	&dev_attr_absent_polls.attr,
	&dev_attr_held.attr,
	&dev_attr_release.attr,
	&dev_attr_reset.attr,
	NULL,
};
ATTRIBUTE_GROUPS(xscore_link);

struct class xscore_link_class = {
	.name		= "xscore_link",
	.dev_groups	= xscore_link_groups,
};

/*
 * Name a link again after its RDMA device was renamed.  Under the port's
 * lock, which keeps the link on port->links (so not yet being destroyed);
 * the discovery worker calls it too for a link it adds, which closes the
 * window between the link's making and its joining the list.
 */
void xscore_link_rename(struct xscore_link *link)
{
	struct xscore_port *port = link->port;
	char name[IB_DEVICE_NAME_MAX + 32];
	int ret;

	lockdep_assert_held(&port->lock);
	snprintf(name, sizeof(name), XSCORE_LINK_NAME_FMT,
		 dev_name(&port->xdev->ibdev->dev), port->port_num,
		 link->xcm_guid);
	if (!strcmp(name, dev_name(&link->dev)))
		return;
	ret = device_rename(&link->dev, name);
	if (ret)
		dev_warn(&link->dev, "not renamed to %s: %d\n", name, ret);
}
