// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Virtual devices: the VNIC and VHBA class objects an XCM sends over a
 * link become auxiliary devices (INSTALL), are routed to the driver bound
 * to them, and go away again (DELETE, or the link's end).
 *
 * Devices outlive a lost session: the XCM installs them again after the
 * reconnect, and the driver sees a duplicate INSTALL, not a new device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/idr.h>
#include <linux/slab.h>

#include "xscore_check.h"
#include "xscore_priv.h"

/* Auxiliary device ids are one namespace per name prefix: module wide. */
static DEFINE_IDA(xscore_vdev_ida);
static atomic_t xscore_services = ATOMIC_INIT(0);

/*
 * The registered service of each class.  Held while a service's callbacks
 * run, and while a new device is made, so that a service registering sees
 * every device made without it (and names it) or is seen by its making.
 * Taken before a device's ops_lock.
 */
static DEFINE_MUTEX(xscore_services_lock);
static const struct xscore_service *xscore_service_of[XSMP_CLASS_VHBA + 1];

static void xscore_vdev_release(struct device *dev);
static bool xscore_vdev_take_name(const struct xscore_service *service,
				  const void *obj, char *name);

/* Each device costs the host a driver instance: a director gets a quota. */
#define XSCORE_MAX_VDEVS_MAX	1024

static unsigned int max_vdevs = 64;

static int max_vdevs_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, XSCORE_MAX_VDEVS_MAX);
}

static const struct kernel_param_ops max_vdevs_ops = {
	.set	= max_vdevs_set,
	.get	= param_get_uint,
};

module_param_cb(max_vdevs, &max_vdevs_ops, &max_vdevs, 0644);
MODULE_PARM_DESC(max_vdevs,
		 "Most vNICs, and most vHBAs, one link installs; more are refused (0-1024, default: 64)");

/*
 * A port has up to XDS_MAX_XCMS links and a host several ports: max_vdevs
 * alone lets directors together make a host allocate without bound.  The
 * devices of every link count against one host-wide cap; a device counts
 * from its auxiliary_device_init() to its release.  Checked and counted
 * under xscore_services_lock, which serialises every install.
 */
#define XSCORE_MAX_VDEVS_HOST_MAX	4096

static unsigned int max_vdevs_host = 256;
static atomic_t xscore_vdevs_host = ATOMIC_INIT(0);

static int max_vdevs_host_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, XSCORE_MAX_VDEVS_HOST_MAX);
}

static const struct kernel_param_ops max_vdevs_host_ops = {
	.set	= max_vdevs_host_set,
	.get	= param_get_uint,
};

module_param_cb(max_vdevs_host, &max_vdevs_host_ops, &max_vdevs_host, 0644);
MODULE_PARM_DESC(max_vdevs_host,
		 "Most virtual devices of every kind over all links; more are refused (0-4096, default: 256)");

u32 xscore_services_active(void)
{
	return atomic_read(&xscore_services);
}

static const struct xscore_service *xscore_service_find(u8 msg_class)
{
	lockdep_assert_held(&xscore_services_lock);
	return msg_class < ARRAY_SIZE(xscore_service_of) ?
	       xscore_service_of[msg_class] : NULL;
}

/* A device made while its class had no service gets its name now. */
static int xscore_vdev_name_late(struct device *dev, void *data)
{
	const struct xscore_service *service = data;
	struct xscore_vdev *vdev;

	lockdep_assert_held(&xscore_services_lock);
	if (dev->release != xscore_vdev_release)
		return 0;
	vdev = to_xscore_vdev(to_auxiliary_dev(dev));
	if (vdev->msg_class != service->msg_class)
		return 0;
	mutex_lock(&vdev->ops_lock);
	if (!vdev->name[0] &&
	    !xscore_vdev_take_name(service, vdev->install, vdev->name)) {
		/* Counted now, as it is when the service is there first. */
		xscore_link_count_malformed(vdev->link);
		dev_warn(dev, "invalid name in its INSTALL\n");
	}
	mutex_unlock(&vdev->ops_lock);
	return 0;
}

static int xscore_link_name_late(struct device *dev, void *data)
{
	return device_for_each_child(dev, data, xscore_vdev_name_late);
}

/**
 * xscore_service_register() - announce a service driver and its class
 * @service: what xscore must know of the class's objects; must stay valid
 *	until xscore_service_unregister()
 *
 * XCMs learn through RESOURCE_LIST that the service runs.  Devices of the
 * class made while it had no service get their names now.  Register before
 * the auxiliary driver, so that a device's name is known when it is probed.
 * May sleep.
 *
 * Return: 0; -EINVAL for a class other than VNIC and VHBA, or missing
 * callbacks; -EBUSY when the class has a service already.
 */
int xscore_service_register(const struct xscore_service *service)
{
	int ret = 0;

	/* The classes xscore makes devices of (xscore_vdev_make()). */
	if ((service->msg_class != XSMP_CLASS_VNIC &&
	     service->msg_class != XSMP_CLASS_VHBA) ||
	    !service->install_name || !service->card_guid ||
	    !service->same_device)
		return -EINVAL;
	mutex_lock(&xscore_services_lock);
	if (xscore_service_of[service->msg_class]) {
		ret = -EBUSY;
		goto out;
	}
	xscore_service_of[service->msg_class] = service;
	class_for_each_device(&xscore_link_class, NULL, (void *)service,
			      xscore_link_name_late);
	atomic_or(service->resource, &xscore_services);
out:
	mutex_unlock(&xscore_services_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(xscore_service_register);

/**
 * xscore_service_unregister() - withdraw a service registered before
 * @service: as given to xscore_service_register()
 *
 * XCMs learn that the service is gone.  Waits for its callbacks that are
 * running; none is called afterwards, so its module may go.  Unregister
 * after the auxiliary driver.  May sleep.
 */
void xscore_service_unregister(const struct xscore_service *service)
{
	mutex_lock(&xscore_services_lock);
	if (!WARN_ON(xscore_service_find(service->msg_class) != service)) {
		xscore_service_of[service->msg_class] = NULL;
		atomic_andnot(service->resource, &xscore_services);
	}
	mutex_unlock(&xscore_services_lock);
}
EXPORT_SYMBOL_GPL(xscore_service_unregister);

/**
 * xscore_vdev_set_ops() - route a device's messages and link events
 * @vdev: the device, bound to the caller
 * @ops: the driver's callbacks; NULL to stop them
 *
 * Set in probe, cleared in remove.  Waits for a callback that is running;
 * so it must not be called from one.  May sleep.
 */
void xscore_vdev_set_ops(struct xscore_vdev *vdev,
			 const struct xscore_vdev_ops *ops)
{
	mutex_lock(&vdev->ops_lock);
	vdev->ops = ops;
	mutex_unlock(&vdev->ops_lock);
}
EXPORT_SYMBOL_GPL(xscore_vdev_set_ops);

/**
 * xscore_vdev_read_install() - copy the device's latest INSTALL object
 * @vdev: the device
 * @obj: where to put it: XSMP_VDEV_OBJECT_SIZE bytes
 *
 * An INSTALL of the device again (after a reconnect) replaces it.  May sleep.
 */
void xscore_vdev_read_install(struct xscore_vdev *vdev, void *obj)
{
	mutex_lock(&vdev->ops_lock);
	memcpy(obj, vdev->install, sizeof(vdev->install));
	mutex_unlock(&vdev->ops_lock);
}
EXPORT_SYMBOL_GPL(xscore_vdev_read_install);

/**
 * xscore_vdev_send() - send one object of the device's class over its link
 * @vdev: the device
 * @obj: XSMP_VDEV_OBJECT_SIZE bytes: an answer, or a notification
 *
 * Callable from any context that may take a BH spinlock.
 *
 * Return: 0; -ENOTCONN while the link is down; -ENOBUFS when its send ring
 * is full.
 */
int xscore_vdev_send(struct xscore_vdev *vdev, const void *obj)
{
	return xscore_link_send(vdev->link, vdev->msg_class, obj,
				XSMP_VDEV_OBJECT_SIZE);
}
EXPORT_SYMBOL_GPL(xscore_vdev_send);

/**
 * xscore_vdev_card_route() - how to reach an I/O card port from a device
 * @vdev: the device
 * @card_guid: the card port's GUID, from the device's INSTALL object
 * @rdma_cm_port: the card's rdma_cm port
 * @route: filled in: the RDMA device and port of the device's link, its
 *	source address, and the card port's address on the link's fabric
 *
 * The card port shares the fabric prefix of the XCM that the link reached.
 */
void xscore_vdev_card_route(struct xscore_vdev *vdev, u64 card_guid,
			    u16 rdma_cm_port, struct xscore_card_route *route)
{
	struct xscore_link *link = vdev->link;

	route->ibdev = link->port->xdev->ibdev;
	route->port_num = link->port->port_num;
	route->src = link->src;
	route->dst = link->dst;
	/* The card shares the fabric prefix of the XCM the link reached. */
	xscore_fabric_address(&route->dst, link->dst.sin6_addr.s6_addr,
			      card_guid);
	route->dst.sin6_port = htons(rdma_cm_port);
}
EXPORT_SYMBOL_GPL(xscore_vdev_card_route);

static ssize_t vdev_name_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	struct xscore_vdev *vdev = to_xscore_vdev(to_auxiliary_dev(dev));
	ssize_t len;

	mutex_lock(&vdev->ops_lock);
	len = sysfs_emit(buf, "%s\n", vdev->name);
	mutex_unlock(&vdev->ops_lock);
	return len;
}
static DEVICE_ATTR_RO(vdev_name);

static ssize_t resource_id_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct xscore_vdev *vdev = to_xscore_vdev(to_auxiliary_dev(dev));

	return sysfs_emit(buf, "%016llx\n", vdev->resource_id);
}
static DEVICE_ATTR_RO(resource_id);

/* The director's I/O card port the device goes out of, as its service reads it. */
static ssize_t card_guid_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	struct xscore_vdev *vdev = to_xscore_vdev(to_auxiliary_dev(dev));
	const struct xscore_service *service;
	ssize_t len;

	mutex_lock(&xscore_services_lock);
	service = xscore_service_find(vdev->msg_class);
	mutex_lock(&vdev->ops_lock);
	if (service)
		len = sysfs_emit(buf, "%016llx\n",
				 service->card_guid(vdev->install));
	else
		len = sysfs_emit(buf, "\n");
	mutex_unlock(&vdev->ops_lock);
	mutex_unlock(&xscore_services_lock);
	return len;
}
static DEVICE_ATTR_RO(card_guid);

static ssize_t orphaned_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	struct xscore_vdev *vdev = to_xscore_vdev(to_auxiliary_dev(dev));

	return sysfs_emit(buf, "%d\n", READ_ONCE(vdev->orphaned));
}
static DEVICE_ATTR_RO(orphaned);

/*
 * The operator's delete of an orphan (a device a resynchronisation kept
 * because it was busy).  The link's work removes it; a device the XCM
 * still installs is the XCM's to delete.
 */
static int xscore_vdev_delete(struct device *dev)
{
	struct xscore_vdev *vdev = to_xscore_vdev(to_auxiliary_dev(dev));

	if (!READ_ONCE(vdev->orphaned))
		return -EPERM;
	WRITE_ONCE(vdev->delete_asked, true);
	xscore_link_queue_prune(vdev->link);
	return 0;
}

static ssize_t delete_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	return xscore_sysfs_act(dev, buf, count, xscore_vdev_delete);
}
static DEVICE_ATTR_WO(delete);

static struct attribute *xscore_vdev_attrs[] = {
	&dev_attr_vdev_name.attr,
	&dev_attr_resource_id.attr,
	&dev_attr_card_guid.attr,
	&dev_attr_orphaned.attr,
	&dev_attr_delete.attr,
	NULL,
};
ATTRIBUTE_GROUPS(xscore_vdev);

static void xscore_vdev_release(struct device *dev)
{
	struct xscore_vdev *vdev = to_xscore_vdev(to_auxiliary_dev(dev));

	atomic_dec(&xscore_vdevs_host);
	ida_free(&xscore_vdev_ida, vdev->adev.id);
	kfree(vdev);
}

static struct xscore_vdev *xscore_vdev_find(struct xscore_link *link,
					    u8 msg_class, u64 resource_id)
{
	struct xscore_vdev *vdev;

	list_for_each_entry(vdev, &link->vdevs, node)
		if (vdev->msg_class == msg_class &&
		    vdev->resource_id == resource_id)
			return vdev;
	return NULL;
}

static unsigned int xscore_vdev_count(struct xscore_link *link, u8 msg_class)
{
	struct xscore_vdev *vdev;
	unsigned int count = 0;

	list_for_each_entry(vdev, &link->vdevs, node)
		count += vdev->msg_class == msg_class;
	return count;
}

/* The name in an INSTALL object, where the class's service says it is. */
static bool xscore_vdev_take_name(const struct xscore_service *service,
				  const void *obj, char *name)
{
	lockdep_assert_held(&xscore_services_lock);
	return !xscore_vdev_check_name(service->install_name(obj), name);
}

static int xscore_link_answer(struct xscore_link *link, u8 msg_class,
			      const void *obj, u8 code)
{
	u8 answer[XSMP_VDEV_OBJECT_SIZE];
	struct xsmp_vdev_object_header *hdr = (void *)answer;

	memcpy(answer, obj, sizeof(answer));
	hdr->code = code;
	/* Lost with a full ring: the XCM asks again. */
	return xscore_link_send(link, msg_class, answer, sizeof(answer));
}

/**
 * xscore_vdev_answer() - answer an object the XCM sent about a device
 * @vdev: the device
 * @obj: the object (XSMP_VDEV_OBJECT_SIZE bytes), echoed
 * @code: XSMP_VDEV_CODE_ACK, or XSMP_VDEV_CODE_NACK | a reason of the class
 *
 * An answer lost to a full ring or a link down is asked for again by the
 * XCM.  Callable from any context that may take a BH spinlock.
 *
 * Return: as xscore_vdev_send().
 */
int xscore_vdev_answer(struct xscore_vdev *vdev, const void *obj, u8 code)
{
	return xscore_link_answer(vdev->link, vdev->msg_class, obj, code);
}
EXPORT_SYMBOL_GPL(xscore_vdev_answer);

static void xscore_vdev_deliver(struct xscore_vdev *vdev, const void *obj)
{
	mutex_lock(&vdev->ops_lock);
	if (vdev->ops && vdev->ops->message)
		vdev->ops->message(vdev, obj);
	else
		xscore_link_count_unhandled(vdev->link);
	mutex_unlock(&vdev->ops_lock);
}

/*
 * A device of an INSTALL that none of this link's devices has the resource
 * id of.  Under the service lock, so that a service registering meanwhile
 * names it (xscore_vdev_name_late()); a driver bound already probes it here.
 */
static void xscore_vdev_make(struct xscore_link *link, u8 msg_class,
			     const struct xsmp_vdev_object_header *hdr,
			     const struct xscore_service *service,
			     const char *name)
{
	u64 resource_id = be64_to_cpu(hdr->resource_id);
	struct xscore_vdev *vdev;
	int ret;

	lockdep_assert_held(&xscore_services_lock);
	if (xscore_vdev_count(link, msg_class) >= READ_ONCE(max_vdevs) ||
	    atomic_read(&xscore_vdevs_host) >= READ_ONCE(max_vdevs_host)) {
		dev_warn_ratelimited(&link->dev,
				     "%s (resource %llx) refused: %u of its kind on this link, %d on the host already\n",
				     name, resource_id,
				     xscore_vdev_count(link, msg_class),
				     atomic_read(&xscore_vdevs_host));
		/* Without the class's service, no reason can be given. */
		xscore_link_answer(link, msg_class, hdr, XSMP_VDEV_CODE_NACK |
				   (service ? service->nack_limit : 0));
		return;
	}

	vdev = kzalloc(sizeof(*vdev), GFP_KERNEL);
	if (!vdev)
		goto nack;
	ret = ida_alloc(&xscore_vdev_ida, GFP_KERNEL);
	if (ret < 0) {
		kfree(vdev);
		goto nack;
	}
	vdev->adev.id = ret;
	vdev->adev.name = msg_class == XSMP_CLASS_VNIC ? XSCORE_AUXDEV_VNIC :
			  XSCORE_AUXDEV_VHBA;
	vdev->adev.dev.parent = &link->dev;
	vdev->adev.dev.release = xscore_vdev_release;
	vdev->adev.dev.groups = xscore_vdev_groups;
	vdev->msg_class = msg_class;
	vdev->resource_id = resource_id;
	vdev->link = link;
	vdev->synced = true;
	strscpy(vdev->name, name, sizeof(vdev->name));
	memcpy(vdev->install, hdr, sizeof(vdev->install));
	mutex_init(&vdev->ops_lock);

	ret = auxiliary_device_init(&vdev->adev);
	if (ret) {
		ida_free(&xscore_vdev_ida, vdev->adev.id);
		kfree(vdev);
		goto nack;
	}
	/* From here its release uncounts it. */
	atomic_inc(&xscore_vdevs_host);
	list_add_tail(&vdev->node, &link->vdevs);
	/* A bound driver answers from its probe. */
	ret = auxiliary_device_add(&vdev->adev);
	if (ret) {
		list_del(&vdev->node);
		auxiliary_device_uninit(&vdev->adev);
		goto nack;
	}
	if (service)
		dev_info(&link->dev, "%s %s (resource %llx) installed as %s\n",
			 vdev->adev.name, name, resource_id,
			 dev_name(&vdev->adev.dev));
	else
		dev_info(&link->dev,
			 "%s (resource %llx) installed as %s; no driver of its class is loaded\n",
			 vdev->adev.name, resource_id,
			 dev_name(&vdev->adev.dev));
	return;

nack:
	xscore_link_answer(link, msg_class, hdr, XSMP_VDEV_CODE_NACK |
			   (service ? service->nack_alloc : 0));
}

static void xscore_vdev_install(struct xscore_link *link, u8 msg_class,
				const struct xsmp_vdev_object_header *hdr)
{
	const struct xscore_service *service;
	struct xscore_vdev *vdev;
	char name[XSMP_VDEV_NAME_LEN] = "";
	int ret;

	mutex_lock(&xscore_services_lock);
	service = xscore_service_find(msg_class);
	if (service && !xscore_vdev_take_name(service, hdr, name)) {
		mutex_unlock(&xscore_services_lock);
		xscore_link_count_malformed(link);
		xscore_link_answer(link, msg_class, hdr, XSMP_VDEV_CODE_NACK |
				   service->nack_invalid);
		return;
	}

	vdev = xscore_vdev_find(link, msg_class,
				be64_to_cpu(hdr->resource_id));
	if (!vdev) {
		xscore_vdev_make(link, msg_class, hdr, service, name);
		mutex_unlock(&xscore_services_lock);
		return;
	}
	mutex_lock(&vdev->ops_lock);
	if (service && !service->same_device(vdev->install, hdr)) {
		mutex_unlock(&vdev->ops_lock);
		mutex_unlock(&xscore_services_lock);
		dev_warn_ratelimited(&link->dev,
				     "%s %s: INSTALL again with another identity refused\n",
				     vdev->adev.name, vdev->name);
		xscore_link_answer(link, msg_class, hdr, XSMP_VDEV_CODE_NACK |
				   service->nack_invalid);
		return;
	}
	memcpy(vdev->install, hdr, sizeof(vdev->install));
	if (!vdev->name[0])
		strscpy(vdev->name, name, sizeof(vdev->name));
	mutex_unlock(&vdev->ops_lock);
	mutex_unlock(&xscore_services_lock);
	vdev->synced = true;
	if (READ_ONCE(vdev->orphaned)) {
		dev_info(&vdev->adev.dev, "%s installed again: no longer an orphan\n",
			 vdev->name);
		WRITE_ONCE(vdev->orphaned, false);
		WRITE_ONCE(vdev->delete_asked, false);
	}
	/*
	 * Installed again after a reconnect: the driver answers.  One whose
	 * probe refused it is probed again, as the XCM asks again; that probe
	 * answers.
	 */
	if (READ_ONCE(vdev->adev.dev.driver)) {
		xscore_vdev_deliver(vdev, hdr);
		return;
	}
	ret = device_attach(&vdev->adev.dev);
	if (ret < 0)
		dev_warn(&vdev->adev.dev, "probe again: %d\n", ret);
}

static void xscore_vdev_remove(struct xscore_vdev *vdev)
{
	list_del(&vdev->node);
	auxiliary_device_delete(&vdev->adev);
	auxiliary_device_uninit(&vdev->adev);
}

/*
 * A resynchronisation after a reconnect: SYNC_BEGIN, the INSTALL of every
 * device the XCM has for this host, SYNC_END.  What was not installed in
 * between goes, unless its driver says it is busy: then it stays as an
 * orphan the operator deletes (its delete attribute), or the XCM installs
 * again.  A sync cut short by the link going down removes nothing.
 */
static void xscore_vdev_sync_begin(struct xscore_link *link, u8 msg_class)
{
	struct xscore_vdev *vdev;

	set_bit(msg_class, &link->syncing);
	list_for_each_entry(vdev, &link->vdevs, node)
		if (vdev->msg_class == msg_class)
			vdev->synced = false;
}

static bool xscore_vdev_busy(struct xscore_vdev *vdev)
{
	bool busy;

	mutex_lock(&vdev->ops_lock);
	busy = vdev->ops && vdev->ops->busy && vdev->ops->busy(vdev);
	mutex_unlock(&vdev->ops_lock);
	return busy;
}

static void xscore_vdev_sync_end(struct xscore_link *link, u8 msg_class)
{
	struct xscore_vdev *vdev, *next;

	if (!test_and_clear_bit(msg_class, &link->syncing)) {
		xscore_link_count_unhandled(link);
		return;
	}
	list_for_each_entry_safe(vdev, next, &link->vdevs, node) {
		if (vdev->msg_class != msg_class || vdev->synced)
			continue;
		if (xscore_vdev_busy(vdev)) {
			if (!vdev->orphaned)
				dev_warn(&link->dev,
					 "%s %s not installed by the XCM any more; kept while in use\n",
					 vdev->adev.name, vdev->name);
			WRITE_ONCE(vdev->orphaned, true);
			continue;
		}
		dev_info(&link->dev,
			 "%s %s not installed by the XCM any more: removed\n",
			 vdev->adev.name, vdev->name);
		xscore_vdev_remove(vdev);
	}
}

/* For a link whose XCM was taken away (xscore_link_busy_vdevs()). */
unsigned int xscore_vdev_count_busy(struct xscore_link *link)
{
	struct xscore_vdev *vdev;
	unsigned int busy = 0;

	list_for_each_entry(vdev, &link->vdevs, node)
		busy += xscore_vdev_busy(vdev);
	return busy;
}

/* The orphans the operator asked to delete (xscore_link_queue_prune()). */
void xscore_vdev_prune(struct xscore_link *link)
{
	struct xscore_vdev *vdev, *next;

	list_for_each_entry_safe(vdev, next, &link->vdevs, node) {
		if (!READ_ONCE(vdev->orphaned) || !READ_ONCE(vdev->delete_asked))
			continue;
		dev_info(&link->dev, "%s %s deleted by the operator\n",
			 vdev->adev.name, vdev->name);
		xscore_vdev_remove(vdev);
	}
}

/* Every object of a VNIC or VHBA class message, each checked first. */
void xscore_vdev_receive(struct xscore_link *link, u8 msg_class,
			 const void *objs, u32 len)
{
	const struct xsmp_vdev_object_header *hdr;
	struct xscore_vdev *vdev;
	u32 offset;

	if (xscore_vdev_check_length(len)) {
		xscore_link_count_malformed(link);
		return;
	}
	for (offset = 0; offset < len; offset += XSMP_VDEV_OBJECT_SIZE) {
		hdr = objs + offset;
		if (xscore_vdev_check_object(hdr)) {
			xscore_link_count_malformed(link);
			continue;
		}
		vdev = xscore_vdev_find(link, msg_class,
					be64_to_cpu(hdr->resource_id));
		switch (hdr->type) {
		case XSMP_VDEV_MSG_TYPE_INSTALL:
			xscore_vdev_install(link, msg_class, hdr);
			break;
		case XSMP_VDEV_MSG_TYPE_SYNC_BEGIN:
			xscore_vdev_sync_begin(link, msg_class);
			break;
		case XSMP_VDEV_MSG_TYPE_SYNC_END:
			xscore_vdev_sync_end(link, msg_class);
			break;
		case XSMP_VDEV_MSG_TYPE_DELETE:
			if (vdev) {
				dev_info(&link->dev, "%s %s deleted\n",
					 vdev->adev.name, vdev->name);
				xscore_vdev_remove(vdev);
			}
			/* Deleting what is not there is done too. */
			xscore_link_answer(link, msg_class, hdr,
					   XSMP_VDEV_CODE_ACK);
			break;
		default:
			if (vdev)
				xscore_vdev_deliver(vdev, hdr);
			else
				xscore_link_count_unhandled(link);
			break;
		}
	}
}

void xscore_vdev_link_event(struct xscore_link *link,
			    enum xscore_link_event event)
{
	struct xscore_vdev *vdev;

	if (event == XSCORE_LINK_EVENT_DOWN)
		link->syncing = 0;
	list_for_each_entry(vdev, &link->vdevs, node) {
		mutex_lock(&vdev->ops_lock);
		if (vdev->ops && vdev->ops->link_event)
			vdev->ops->link_event(vdev, event);
		mutex_unlock(&vdev->ops_lock);
	}
}

void xscore_vdev_remove_all(struct xscore_link *link)
{
	struct xscore_vdev *vdev, *next;

	list_for_each_entry_safe(vdev, next, &link->vdevs, node)
		xscore_vdev_remove(vdev);
}
