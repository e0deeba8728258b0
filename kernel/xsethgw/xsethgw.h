/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xsethgw: the director's Ethernet I/O card in the kernel.  Each card port
 * ("eth/1") listens with rdma_cm for hosts' vNICs and is bridged to an
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
 *         vnic->lock (mutex)      the vNIC's connections
 *           vnic->filter_lock (spin, BH)  the multicast list's writers
 *           conn->tx_lock (spin, BH, leaf) the send ring
 *
 * The data path (completions in softirq, the rx_handler) takes no mutex:
 * it reads the uplink, the vNIC list, each vNIC's data connection and its
 * multicast list under RCU, and a connection's send ring under tx_lock.
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

#include "compat.h"

/* Frames are at most this long on the wire, tag and TSO prefix included. */
#define XSETHGW_MAX_MTU		9000
#define XSETHGW_FRAME_BUF	(XSETHGW_MAX_MTU + ETH_HLEN + VLAN_HLEN + 8)
/* Send and receive buffers of one data connection, each. */
#define XSETHGW_DATA_RING	64
/* A host that sends no control message this long is gone (it heartbeats every 2 s). */
#define XSETHGW_HOST_SILENCE	(15 * HZ)
#define XSETHGW_SPEED		XSVNIC_SPEED_S10G

struct xsethgw_vnic;

/* One pre-mapped buffer of a connection's ring. */
struct xsethgw_buf {
	struct ib_cqe cqe;
	struct xsethgw_conn *conn;
	void *data;
	u64 dma;
};

/* A host's control or data RC connection, accepted from a port's listener. */
struct xsethgw_conn {
	struct xsethgw_vnic *vnic;	/* holds a reference */
	struct rdma_cm_id *cm_id;
	struct ib_pd *pd;
	struct ib_cq *cq;
	bool is_data;
	unsigned int ring;
	unsigned int buf_size;
	struct xsethgw_buf *rx;
	struct xsethgw_buf *tx;

	spinlock_t tx_lock;		/* the send ring */
	unsigned int tx_next;
	bool tx_open;			/* the QP takes sends */
	atomic_t tx_inflight;

	/* Set by callbacks; the vNIC's work closes a failed connection. */
	bool failed;
};

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

	/* Guards the connections and removed. */
	struct mutex lock;
	bool removed;
	struct xsethgw_conn *ctrl;
	struct xsethgw_conn __rcu *data;
	/* Closes failed connections and watches for a silent host. */
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
	struct rdma_cm_id *listen_id;
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
struct xsethgw_vnic *xsethgw_port_find_vnic(struct xsethgw_port *port,
					    u64 resource_id);
int xsethgw_netdev_notifier_init(void);
void xsethgw_netdev_notifier_exit(void);

/* xsethgw_conn.c: accepted RC connections and their rings */
struct xsethgw_conn *xsethgw_conn_accept(struct xsethgw_vnic *vnic,
					 struct rdma_cm_id *id, bool is_data);
void xsethgw_conn_destroy(struct xsethgw_conn *conn);
int xsethgw_conn_cm_event(struct xsethgw_conn *conn,
			  struct rdma_cm_event *event);
int xsethgw_conn_send(struct xsethgw_conn *conn, u32 len,
		      void (*fill)(void *dst, const void *src, u32 len),
		      const void *src);
int xsethgw_conn_repost(struct xsethgw_conn *conn, struct xsethgw_buf *buf);
void xsethgw_conn_fail(struct xsethgw_conn *conn);

/* xsethgw_vnic.c: a vNIC's connections and control messages */
struct xsethgw_vnic *xsethgw_vnic_alloc(struct xsethgw_port *port,
					u64 resource_id);
void xsethgw_vnic_get(struct xsethgw_vnic *vnic);
void xsethgw_vnic_put(struct xsethgw_vnic *vnic);
void xsethgw_vnic_remove(struct xsethgw_vnic *vnic);
int xsethgw_vnic_attach(struct xsethgw_vnic *vnic, struct rdma_cm_id *id,
			bool is_data);
void xsethgw_vnic_drop(struct xsethgw_vnic *vnic, const char *why);
void xsethgw_vnic_kick(struct xsethgw_vnic *vnic);
void xsethgw_vnic_ctrl(struct xsethgw_conn *conn, const void *msg, u32 len);
void xsethgw_vnic_send_link(struct xsethgw_vnic *vnic, bool up);
void xsethgw_vnic_sync_uplink(struct xsethgw_vnic *vnic);

/* xsethgw_data.c: frames both ways */
void xsethgw_data_from_host(struct xsethgw_conn *conn, void *frame, u32 len);
rx_handler_result_t xsethgw_handle_frame(struct sk_buff **pskb);

static inline void xsethgw_count(struct xsethgw_vnic *vnic,
				 enum xsethgw_drop why)
{
	atomic64_inc(&vnic->drops[why]);
}

#endif /* _XSETHGW_H */
