/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xsethgw: the director's Ethernet I/O card in the kernel.  Each card port
 * ("eth/1") listens with rdma_cm for hosts' vNICs (xsconn's listener and
 * accepted connections, include/xsigo/xscore_conn.h) and is bridged to an
 * uplink net_device: a vNIC's frames leave on the uplink, and frames the
 * uplink receives are steered by destination MAC, multicast list and VLAN
 * to the vNICs they are for (an rx_handler, as macvlan has).
 *
 * The operator (the director's control plane) configures it in configfs:
 * /sys/kernel/config/xsethgw/ports/<port>/{uplink,address,link,enable} and
 * ports/<port>/vnics/<resource id>/{mac,mtu,stats}.
 *
 * Locking, outermost first:
 *
 *   xsethgw_cfg_mutex             configfs writes of ports and vNICs
 *     rtnl_lock                   the uplink (attach, detach, its address
 *                                 filters) and the port's link state
 *       port->lock (mutex)        the port's vNIC list, its listener
 *         vnic->lock (mutex)      the vNIC's connections; its work steps
 *                                 them under it, and closes none there
 *           vnic->filter_lock (spin, BH)  the multicast list's writers
 *           conn->tx_lock (spin, BH, leaf) the send ring (xsconn's)
 *
 * The data path (receive completions in softirq, the rx_handler) takes no
 * mutex: it reads the uplink, the vNIC list, each vNIC's data connection
 * and its multicast list under RCU, and a connection's send ring under
 * tx_lock.  The control connection's messages are taken in its completion
 * work (process context), which takes rtnl_lock for the uplink's filters.
 * The connections' CM events only record and kick the vNIC's work
 * (xsconn), which drops the vNIC's connections when one failed.
 */
#ifndef _XSETHGW_H
#define _XSETHGW_H

#include <linux/atomic.h>
#include <linux/configfs.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/in6.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rculist.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <xsigo/wire/xsvnic_card.h>
#include <xsigo/xscore_conn.h>

#include "compat.h"

/* Frames are at most this long on the wire, tag and TSO prefix included. */
#define XSETHGW_MAX_MTU		9000
#define XSETHGW_FRAME_BUF	(XSETHGW_MAX_MTU + ETH_HLEN + VLAN_HLEN + 8)
/* Send and receive buffers of one data connection, each. */
#define XSETHGW_DATA_RING	64
/* Linear bytes of a host frame's skb: at least a GSO segment's headers. */
#define XSETHGW_SKB_HEAD	256
/* A host that sends no control message this long is gone (it heartbeats every 2 s). */
#define XSETHGW_HOST_SILENCE	(15 * HZ)
#define XSETHGW_SPEED		XSVNIC_SPEED_S10G

struct xsethgw_vnic;

/* What a vNIC's frames were dropped for, as configfs shows them. */
enum xsethgw_drop {
	XSETHGW_DROP_RUNT,		/* host frame shorter than the padded minimum */
	XSETHGW_DROP_OVERSIZE,		/* host frame above the vNIC's MTU */
	XSETHGW_DROP_SRC_MAC,		/* host frame from a MAC not the vNIC's */
	XSETHGW_DROP_VLAN,		/* host frame on a VLAN it did not assign */
	XSETHGW_DROP_LINK_DOWN,		/* either way while the port's link is down */
	XSETHGW_DROP_NO_MEM,		/* no skb for a host frame */
	XSETHGW_DROP_RING_FULL,		/* no send buffer toward the host */
	XSETHGW_DROP_TOO_BIG_FOR_HOST,	/* uplink frame above the vNIC's MTU */
	XSETHGW_DROP_CTRL_MALFORMED,	/* control message that does not decode */
	XSETHGW_DROP_TSO_PREFIX,	/* host frame without a valid TSO prefix */
	XSETHGW_DROP_GSO,		/* host GSO frame whose headers or MSS lie */
	XSETHGW_DROP_COUNT,
};

struct xsethgw_mcast {
	struct rcu_head rcu;
	bool all;
	unsigned int count;
	u8 addr[][ETH_ALEN];
};

struct xsethgw_port;

/*
 * A vNIC the configuration allows on a port: a configfs group, on the
 * port's list while configured, freed with its last reference (configfs
 * and each connection hold one).
 */
struct xsethgw_vnic {
	struct config_group group;
	struct kref ref;
	struct xsethgw_port *port;
	struct list_head node;		/* port->vnics, RCU */
	u64 resource_id;

	/* Written by configfs, read by the data path. */
	u8 mac[ETH_ALEN];
	unsigned int mtu;
	/* The host it takes connections from (the director's binding); lock. */
	union ib_gid host;

	/*
	 * Guards the connections (each holds a reference on the vNIC: its
	 * context) and removed.
	 */
	struct mutex lock;
	bool removed;
	struct xscore_conn *ctrl;
	struct xscore_conn __rcu *data;
	/* Steps the connections, drops failed ones, watches for a silent host. */
	struct delayed_work work;
	unsigned long last_heard;	/* jiffies of the last control message */

	/* What the host asked for; the rx_handler reads these. */
	bool rx_started;
	spinlock_t filter_lock;		/* the multicast list's writers */
	struct xsethgw_mcast __rcu *mcast;
	unsigned long vlans[BITS_TO_LONGS(VLAN_N_VID)];

	/* What this vNIC added to the uplink's filters; under rtnl_lock. */
	struct net_device *filtered_on;
	bool uc_added;
	bool allmulti_added;
	struct xsethgw_mcast *mc_added;

	atomic64_t frames_to_host;
	atomic64_t frames_from_host;
	atomic64_t gso_from_host;	/* of them: segments the card cut up */
	atomic64_t drops[XSETHGW_DROP_COUNT];
};

/* One card port: a listener at [address]:4097 and an uplink. */
struct xsethgw_port {
	struct config_group group;
	struct config_group vnics_group;

	/* Set by configfs before enable; under xsethgw_cfg_mutex. */
	char uplink_name[IFNAMSIZ];
	struct sockaddr_in6 addr;
	bool enabled;
	bool admin_up;			/* the operator's port-link */

	struct net_device __rcu *uplink;	/* rtnl_lock */
	netdevice_tracker uplink_tracker;
	bool link_up;			/* what the vNICs were told; rtnl_lock */

	struct mutex lock;		/* the list and the listener */
	struct list_head vnics;
	struct dentry *debugfs;		/* tests' send hook */
	struct xscore_conn_listener *listener;
	atomic64_t refused;
	atomic64_t unfinished;		/* receives not made whole frames */
};

/* xsethgw_configfs.c */
extern struct mutex xsethgw_cfg_mutex;
int xsethgw_configfs_init(void);
void xsethgw_configfs_exit(void);

/* xsethgw_port.c: listener, uplink, link state */
int xsethgw_port_enable(struct xsethgw_port *port);
void xsethgw_port_disable(struct xsethgw_port *port);
void xsethgw_port_update_link(struct xsethgw_port *port);
const char *xsethgw_port_name(const struct xsethgw_port *port);

/* xsethgw_debugfs.c */
void xsethgw_debugfs_add(struct xsethgw_port *port, const char *name);
void xsethgw_debugfs_remove(struct xsethgw_port *port);
void xsethgw_debugfs_init(void);
void xsethgw_debugfs_exit(void);
struct xsethgw_vnic *xsethgw_port_find_vnic(struct xsethgw_port *port,
					    u64 resource_id);
int xsethgw_netdev_notifier_init(void);
void xsethgw_netdev_notifier_exit(void);

/* xsethgw_vnic.c: a vNIC's connections and control messages */
struct xsethgw_vnic *xsethgw_vnic_alloc(struct xsethgw_port *port,
					u64 resource_id);
void xsethgw_vnic_get(struct xsethgw_vnic *vnic);
void xsethgw_vnic_put(struct xsethgw_vnic *vnic);
void xsethgw_vnic_remove(struct xsethgw_vnic *vnic);
int xsethgw_vnic_attach(struct xsethgw_vnic *vnic, struct rdma_cm_id *id,
			const struct rdma_conn_param *param, bool is_data,
			u32 flags);
void xsethgw_vnic_drop(struct xsethgw_vnic *vnic, const char *why);
void xsethgw_vnic_kick(struct xsethgw_vnic *vnic);
void xsethgw_vnic_send_link(struct xsethgw_vnic *vnic, bool up);
void xsethgw_vnic_sync_uplink(struct xsethgw_vnic *vnic);

/* xsethgw_data.c: frames both ways */
void xsethgw_data_from_host(struct xscore_conn *conn, void *frame, u32 len);
void xsethgw_data_from_host_tso(struct xscore_conn *conn, void *buf, u32 len);
rx_handler_result_t xsethgw_handle_frame(struct sk_buff **pskb);

static inline void xsethgw_count(struct xsethgw_vnic *vnic,
				 enum xsethgw_drop why)
{
	atomic64_inc(&vnic->drops[why]);
}

#endif /* _XSETHGW_H */
