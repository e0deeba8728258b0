/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Public interface of xscore for the Xsigo virtual I/O service drivers.
 *
 * xscore creates one auxiliary device per virtual device that a
 * configuration manager (XCM) installs on this server: "xscore.vnic.<n>"
 * for a virtual NIC, "xscore.vhba.<n>" for a virtual HBA, each a child of
 * the XSMP link it was installed over.  A service driver binds to them by
 * these names, reads the INSTALL object, and from then on receives the
 * XCM's messages for that device and answers over the same link.
 */
#ifndef _XSIGO_XSCORE_H
#define _XSIGO_XSCORE_H

#include <linux/auxiliary_bus.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <xsigo/wire/xsmp.h>

#define XSCORE_MODNAME		"xscore"
#define XSCORE_AUXDEV_VNIC	"vnic"
#define XSCORE_AUXDEV_VHBA	"vhba"

#define XSCORE_AUXDEV_ID(kind)	XSCORE_MODNAME "." kind

struct xscore_link;
struct xscore_vdev;

enum xscore_link_event {
	XSCORE_LINK_EVENT_UP,		/* the link's session is (again) up */
	XSCORE_LINK_EVENT_DOWN,		/* it was lost; xscore reconnects */
};

/*
 * What a service driver gives xscore in probe.  Both are called from the
 * link's vdev work (system_long_wq, never the recovery queue), one call at
 * a time per device, and may sleep.
 *
 * They run under the device's ops_lock.  That is the one service-driver
 * callback under an xscore lock, and on purpose: remove clears the ops
 * with xscore_vdev_set_ops(NULL), which takes ops_lock and so waits for a
 * call in progress; after it returns no callback reaches the driver's
 * freed device.  So a callback may take the driver's own locks (rtnl, its
 * session mutex), but must not call xscore_vdev_set_ops(), and the driver
 * must never call xscore_vdev_read_install() or set_ops() while holding a
 * lock that a callback takes.
 */
struct xscore_vdev_ops {
	/* An object of the device's class about this device, length checked. */
	void (*message)(struct xscore_vdev *vdev, const void *obj);
	void (*link_event)(struct xscore_vdev *vdev,
			   enum xscore_link_event event);
	/*
	 * Optional: whether removing the device now would take it from its
	 * users (an interface that is up, a disk).  A resynchronisation keeps
	 * a busy device the XCM no longer installs, as an orphan.
	 */
	bool (*busy)(struct xscore_vdev *vdev);
};

struct xscore_vdev {
	struct auxiliary_device adev;
	u8 msg_class;			/* XSMP_CLASS_VNIC or XSMP_CLASS_VHBA */
	u64 resource_id;
	/*
	 * NUL terminated, printable; empty until the class's service is
	 * registered (see struct xscore_service), and guarded by ops_lock
	 * until then.  A bound driver reads it without the lock.
	 */
	char name[XSMP_VDEV_NAME_LEN];
	/* The latest INSTALL object: read it with xscore_vdev_read_install(). */
	u8 install[XSMP_VDEV_OBJECT_SIZE];

	/* xscore's own */
	struct xscore_link *link;
	struct list_head node;
	bool synced;			/* installed since the class's SYNC_BEGIN */
	bool orphaned;			/* not installed by a resync, kept busy */
	bool delete_asked;		/* the operator deletes the orphan */
	struct mutex ops_lock;		/* guards ops and install */
	const struct xscore_vdev_ops *ops;
};

static inline struct xscore_vdev *to_xscore_vdev(struct auxiliary_device *adev)
{
	return container_of(adev, struct xscore_vdev, adev);
}

/* Set in probe, cleared (NULL) in remove. */
void xscore_vdev_set_ops(struct xscore_vdev *vdev,
			 const struct xscore_vdev_ops *ops);

/*
 * Send one object of the device's class over its link: an answer (the
 * object echoed with XSMP_VDEV_CODE_ACK or _NACK | reason in code) or a
 * notification.  -ENOTCONN while the link is down, -ENOBUFS when its send
 * ring is full.  Callable from any context that may take a BH spinlock.
 */
int xscore_vdev_send(struct xscore_vdev *vdev, const void *obj);

/* A copy of the latest INSTALL object (XSMP_VDEV_OBJECT_SIZE bytes). */
void xscore_vdev_read_install(struct xscore_vdev *vdev, void *obj);

/* Answer an object of the device's: echo it with code ACK, or NACK | reason. */
int xscore_vdev_answer(struct xscore_vdev *vdev, const void *obj, u8 code);

/*
 * How to reach an I/O card port (a GUID from the INSTALL object) from the
 * port this device's link runs on: which RDMA device and port to use, the
 * source address, and the card port's address on the link's fabric.
 */
struct xscore_card_route {
	struct ib_device *ibdev;
	u32 port_num;
	struct sockaddr_in6 src;
	struct sockaddr_in6 dst;
};

void xscore_vdev_card_route(struct xscore_vdev *vdev, u64 card_guid,
			    u16 rdma_cm_port, struct xscore_card_route *route);

/**
 * struct xscore_service - what xscore must know of one class of devices
 * @msg_class: the XSMP class of the service's objects (XSMP_CLASS_VNIC or
 *	XSMP_CLASS_VHBA); one service per class
 * @resource: the XSMP_RESOURCE_* bit that XCMs are told while the service
 *	is registered (RESOURCE_LIST)
 * @nack_invalid: NACK reason for an INSTALL whose name a device may not carry
 * @nack_limit: NACK reason for an INSTALL past the max_vdevs quota
 * @nack_alloc: NACK reason for an INSTALL the host has no memory for
 * @install_name: where an object of the class keeps the device's name: the
 *	address of its XSMP_VDEV_NAME_LEN byte field in @install
 * @card_guid: the I/O card port an INSTALL object names, in CPU order
 *
 * An INSTALL arrives before any device exists, so what xscore must read in
 * a class's payload comes from the class's service, not from a device.
 * xscore reads the object header common to every class (type, length,
 * resource id) itself.  The callbacks are given a whole object of
 * XSMP_VDEV_OBJECT_SIZE bytes, must not sleep, and run under xscore's
 * service lock, which xscore_service_unregister() takes.
 *
 * While no service of a class is registered, xscore still makes a device of
 * each INSTALL, so that the class's driver can be loaded for it (its
 * modalias) and bind to it.  Its name and card GUID are then empty until
 * the service registers; a name that proves invalid stays empty, and the
 * driver refuses the device.  Refusals xscore makes meanwhile carry reason 0.
 */
struct xscore_service {
	u8 msg_class;
	u32 resource;
	u8 nack_invalid;
	u8 nack_limit;
	u8 nack_alloc;
	const char *(*install_name)(const void *install);
	u64 (*card_guid)(const void *install);
};

int xscore_service_register(const struct xscore_service *service);
void xscore_service_unregister(const struct xscore_service *service);

#endif /* _XSIGO_XSCORE_H */
