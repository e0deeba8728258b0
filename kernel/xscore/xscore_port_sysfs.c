// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What each port trusts, set at run time: /sys/class/xscore_port/
 * <device>-<port>/ (docs/ABI/testing/sysfs-class-xscore_port).
 *
 * The attributes' device is allocated apart from the port, so that a
 * reference someone keeps on it never outlives the port's memory; its
 * callbacks reach the port only before device_unregister() returns.
 */
#include <linux/device.h>
#include <linux/inet.h>
#include <linux/kstrtox.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "xscore_priv.h"

struct xscore_port_dev {
	struct device dev;
	struct xscore_port *port;
};

static struct xscore_port *to_port(struct device *dev)
{
	return container_of(dev, struct xscore_port_dev, dev)->port;
}

/**
 * xscore_port_trusts_xcm() - whether discovery may open a link to an XCM
 * @port: the port
 * @guid: the XCM's GUID, from a discovery answer
 *
 * Return: true when the port's list is empty or holds @guid.
 */
bool xscore_port_trusts_xcm(struct xscore_port *port, u64 guid)
{
	bool trusted = !port->trust.num_xcm_guids;
	unsigned int i;

	lockdep_assert_held(&port->lock);
	for (i = 0; i < port->trust.num_xcm_guids; i++)
		trusted |= port->trust.xcm_guids[i] == guid;
	return trusted;
}

/**
 * xscore_port_trusts_xds() - whether a directory service may answer
 * @port: the port
 * @gid: where the answer came from
 *
 * Return: true when the port's list is empty or holds @gid.
 */
bool xscore_port_trusts_xds(struct xscore_port *port, const union ib_gid *gid)
{
	bool trusted = !port->trust.num_xds_gids;
	unsigned int i;

	lockdep_assert_held(&port->lock);
	for (i = 0; i < port->trust.num_xds_gids; i++)
		trusted |= !memcmp(&port->trust.xds_gids[i], gid, sizeof(*gid));
	return trusted;
}

static ssize_t xscore_port_show_bool(bool *flag, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(*flag));
}

static ssize_t xscore_port_store_bool(bool *flag, const char *buf,
				      size_t count)
{
	bool value;
	int ret;

	ret = kstrtobool(buf, &value);
	if (ret)
		return ret;
	WRITE_ONCE(*flag, value);
	return count;
}

static ssize_t allow_unauthenticated_show(struct device *dev,
					  struct device_attribute *attr,
					  char *buf)
{
	return xscore_port_show_bool(&to_port(dev)->trust.allow_unauthenticated,
				     buf);
}

static ssize_t allow_unauthenticated_store(struct device *dev,
					   struct device_attribute *attr,
					   const char *buf, size_t count)
{
	return xscore_port_store_bool(&to_port(dev)->trust.allow_unauthenticated,
				      buf, count);
}
static DEVICE_ATTR_RW(allow_unauthenticated);

static ssize_t ud_discovery_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return xscore_port_show_bool(&to_port(dev)->trust.ud_discovery, buf);
}

static ssize_t ud_discovery_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t count)
{
	/* The next round (within XSCORE_POLL_RETRY) solicits, or not. */
	return xscore_port_store_bool(&to_port(dev)->trust.ud_discovery, buf,
				      count);
}
static DEVICE_ATTR_RW(ud_discovery);

static ssize_t link_drop_polls_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_port(dev)->trust.link_drop_polls));
}

static ssize_t link_drop_polls_store(struct device *dev,
				     struct device_attribute *attr,
				     const char *buf, size_t count)
{
	unsigned int polls;
	int ret;

	ret = kstrtouint(buf, 0, &polls);
	if (ret)
		return ret;
	if (!polls || polls > XSCORE_LINK_DROP_POLLS_MAX)
		return -EINVAL;
	WRITE_ONCE(to_port(dev)->trust.link_drop_polls, polls);
	return count;
}
static DEVICE_ATTR_RW(link_drop_polls);

/* A list of GUIDs under port->lock (@num with it), blank-separated. */
static ssize_t xscore_port_show_guids(struct xscore_port *port, char *buf,
				      const u64 *guids,
				      const unsigned int *num)
{
	ssize_t len = 0;
	unsigned int i;

	mutex_lock(&port->lock);
	for (i = 0; i < *num; i++)
		len += sysfs_emit_at(buf, len, "%s%016llx", i ? " " : "",
				     guids[i]);
	mutex_unlock(&port->lock);
	return len + sysfs_emit_at(buf, len, "\n");
}

static ssize_t xcm_guids_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct xscore_port *port = to_port(dev);

	return xscore_port_show_guids(port, buf, port->trust.xcm_guids,
				      &port->trust.num_xcm_guids);
}

/* Words separated by blanks or commas: the next one, NUL-terminated. */
static char *xscore_port_next_word(char **cursor)
{
	char *word;

	do {
		word = strsep(cursor, " \t\n,");
	} while (word && !*word);
	return word;
}

/*
 * A trust list written whole: blank- or comma-separated words, each parsed by
 * @parse into @scratch (XSCORE_TRUST_MAX elements of @size bytes), replace the
 * @num elements at @list under port->lock. An empty write empties the list; a
 * bad word or one too many changes nothing.
 */
static ssize_t xscore_port_store_list(struct xscore_port *port,
				      const char *buf, size_t count,
				      int (*parse)(const char *word, void *elem),
				      void *scratch, size_t size,
				      void *list, unsigned int *num)
{
	char *copy, *cursor, *word;
	unsigned int n = 0;
	int ret = 0;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cursor = copy;
	while ((word = xscore_port_next_word(&cursor))) {
		if (n == XSCORE_TRUST_MAX) {
			ret = -EINVAL;
			break;
		}
		ret = parse(word, scratch + n++ * size);
		if (ret)
			break;
	}
	kfree(copy);
	if (ret)
		return ret;
	mutex_lock(&port->lock);
	memcpy(list, scratch, n * size);
	*num = n;
	mutex_unlock(&port->lock);
	return count;
}

static int xscore_port_parse_guid(const char *word, void *elem)
{
	if (strlen(word) != 16)
		return -EINVAL;
	return kstrtou64(word, 16, elem);
}

static int xscore_port_parse_gid(const char *word, void *elem)
{
	union ib_gid *gid = elem;

	return in6_pton(word, -1, gid->raw, -1, NULL) == 1 ? 0 : -EINVAL;
}

static ssize_t xcm_guids_store(struct device *dev,
			       struct device_attribute *attr,
			       const char *buf, size_t count)
{
	struct xscore_port *port = to_port(dev);
	u64 guids[XSCORE_TRUST_MAX];

	/* Links to XCMs now refused close at the next round's answer. */
	return xscore_port_store_list(port, buf, count, xscore_port_parse_guid,
				      guids, sizeof(guids[0]),
				      port->trust.xcm_guids,
				      &port->trust.num_xcm_guids);
}
static DEVICE_ATTR_RW(xcm_guids);

static ssize_t xds_gids_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct xscore_port *port = to_port(dev);
	ssize_t len = 0;
	unsigned int i;

	mutex_lock(&port->lock);
	for (i = 0; i < port->trust.num_xds_gids; i++)
		len += sysfs_emit_at(buf, len, "%s%pI6c", i ? " " : "",
				     port->trust.xds_gids[i].raw);
	mutex_unlock(&port->lock);
	return len + sysfs_emit_at(buf, len, "\n");
}

static ssize_t xds_gids_store(struct device *dev,
			      struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct xscore_port *port = to_port(dev);
	union ib_gid gids[XSCORE_TRUST_MAX];

	return xscore_port_store_list(port, buf, count, xscore_port_parse_gid,
				      gids, sizeof(gids[0]),
				      port->trust.xds_gids,
				      &port->trust.num_xds_gids);
}
static DEVICE_ATTR_RW(xds_gids);

/* A counter of port->stats (under port->lock), found by its offset. */
struct xscore_port_counter_attribute {
	struct device_attribute attr;
	size_t offset;
};

static ssize_t xscore_port_counter_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct xscore_port *port = to_port(dev);
	size_t offset = container_of(attr, struct xscore_port_counter_attribute,
				     attr)->offset;
	u64 value;

	mutex_lock(&port->lock);
	value = *(u64 *)((u8 *)port + offset);
	mutex_unlock(&port->lock);
	return sysfs_emit(buf, "%llu\n", value);
}

#define XSCORE_PORT_COUNTER_ATTR(_name, _offset)			\
static struct xscore_port_counter_attribute counter_attr_##_name = {	\
	.attr	= __ATTR(_name, 0444, xscore_port_counter_show, NULL),	\
	.offset	= _offset,						\
}

#define XSCORE_PORT_STAT(field)	offsetof(struct xscore_port, stats.field)

XSCORE_PORT_COUNTER_ATTR(untrusted, XSCORE_PORT_STAT(untrusted));
XSCORE_PORT_COUNTER_ATTR(malformed, XSCORE_PORT_STAT(malformed));
XSCORE_PORT_COUNTER_ATTR(discoveries, XSCORE_PORT_STAT(discoveries));
XSCORE_PORT_COUNTER_ATTR(discovery_failures,
			 XSCORE_PORT_STAT(discovery_failures));

static ssize_t discovery_error_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct xscore_port *port = to_port(dev);
	int err;

	mutex_lock(&port->lock);
	err = port->last_discovery_error;
	mutex_unlock(&port->lock);
	return sysfs_emit(buf, "%d\n", err);
}
static DEVICE_ATTR_RO(discovery_error);

static ssize_t discovery_mode_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct xscore_port *port = to_port(dev);

	/* Both are set up before this device is added and kept until after. */
	return sysfs_emit(buf, "%s\n", port->ud ? "solicitation" :
			  port->mad_agent ? "service-record" : "off");
}
static DEVICE_ATTR_RO(discovery_mode);

static ssize_t xds_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct xscore_port *port = to_port(dev);
	union ib_gid gid;

	mutex_lock(&port->lock);
	gid = port->xds_gid;
	mutex_unlock(&port->lock);
	return sysfs_emit(buf, "%pI6c\n", gid.raw);
}
static DEVICE_ATTR_RO(xds);

static ssize_t xcms_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct xscore_port *port = to_port(dev);

	return xscore_port_show_guids(port, buf, port->xcm_guids,
				      &port->num_xcms);
}
static DEVICE_ATTR_RO(xcms);

/* A discovery round now, not at the next poll. */
static int xscore_port_repoll(struct device *dev)
{
	struct xscore_port *port = to_port(dev);

	/* A port without discovery has no work to run (xscore_discovery_stop()). */
	if (!port->ud && !port->mad_agent)
		return -EOPNOTSUPP;
	xscore_discovery_kick(port);
	return 0;
}

static ssize_t repoll_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	return xscore_sysfs_act(dev, buf, count, xscore_port_repoll);
}
static DEVICE_ATTR_WO(repoll);

static struct attribute *xscore_port_attrs[] = {
	&dev_attr_allow_unauthenticated.attr,
	&dev_attr_ud_discovery.attr,
	&dev_attr_link_drop_polls.attr,
	&dev_attr_xcm_guids.attr,
	&dev_attr_xds_gids.attr,
	&counter_attr_untrusted.attr.attr,
	&counter_attr_malformed.attr.attr,
	&counter_attr_discoveries.attr.attr,
	&counter_attr_discovery_failures.attr.attr,
	&dev_attr_discovery_error.attr,
	&dev_attr_discovery_mode.attr,
	&dev_attr_xds.attr,
	&dev_attr_xcms.attr,
	&dev_attr_repoll.attr,
	NULL,
};
ATTRIBUTE_GROUPS(xscore_port);

struct class xscore_port_class = {
	.name		= "xscore_port",
	.dev_groups	= xscore_port_groups,
};

static void xscore_port_dev_release(struct device *dev)
{
	kfree(container_of(dev, struct xscore_port_dev, dev));
}

/**
 * xscore_port_add_sysfs() - show the port's trust settings
 * @port: the port, its discovery started (its lock initialised)
 *
 * Return: 0 or a negative errno.
 */
int xscore_port_add_sysfs(struct xscore_port *port)
{
	struct xscore_port_dev *pdev;
	int ret;

	pdev = kzalloc(sizeof(*pdev), GFP_KERNEL);
	if (!pdev)
		return -ENOMEM;
	pdev->port = port;
	device_initialize(&pdev->dev);
	pdev->dev.class = &xscore_port_class;
	pdev->dev.release = xscore_port_dev_release;
	ret = dev_set_name(&pdev->dev, "%s-%u",
			   dev_name(&port->xdev->ibdev->dev), port->port_num);
	if (!ret)
		ret = device_add(&pdev->dev);
	if (ret) {
		put_device(&pdev->dev);
		return ret;
	}
	port->pdev = pdev;
	return 0;
}

/* When this returns, no attribute callback runs or will run. */
void xscore_port_remove_sysfs(struct xscore_port *port)
{
	if (!port->pdev)
		return;
	device_unregister(&port->pdev->dev);
	port->pdev = NULL;
}

void xscore_port_rename_sysfs(struct xscore_port *port)
{
	char name[IB_DEVICE_NAME_MAX + 16];
	int ret;

	if (!port->pdev)
		return;
	snprintf(name, sizeof(name), "%s-%u",
		 dev_name(&port->xdev->ibdev->dev), port->port_num);
	if (!strcmp(name, dev_name(&port->pdev->dev)))
		return;
	ret = device_rename(&port->pdev->dev, name);
	if (ret)
		dev_warn(&port->pdev->dev, "not renamed to %s: %d\n", name,
			 ret);
}
