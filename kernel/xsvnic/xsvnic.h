/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xsvnic: one net_device per virtual NIC an XCM installs.  Each vNIC has
 * two RC connections to its I/O card port: control messages and Ethernet
 * frames.
 *
 * Locking, outermost first:
 *
 *   vdev->ops_lock (xscore's)     message() and link_event() run under it
 *     rtnl_lock                   admin state from the XCM (dev_change_flags)
 *       vnic->session.mutex       the card session: the work, open, close,
 *                                 stop and what the XCM is told
 *         vnic->filter_lock (spin, BH)  what the stack asked for
 *         vnic->lock (spin, BH, leaf)   speed and counters
 *         xscore's link->seq_lock, conn->tx_lock (sends)
 *
 * The data path (xmit, NAPI) takes none of these but the connection's
 * tx_lock.
 */
#ifndef _XSVNIC_H
#define _XSVNIC_H

#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <xsigo/xscore.h>
#include <xsigo/xscore_conn.h>
#include <xsigo/xscore_session.h>
#include <xsigo/wire/xsvnic.h>
#include <xsigo/wire/xsvnic_card.h>

#define XSVNIC_START_RX_TIMEOUT	(5 * HZ)	/* for START_RX_RESPONSE */
/* A control send that found the ring full is tried again this soon. */
#define XSVNIC_SEND_RETRY	(HZ / 10)
#define XSVNIC_MAX_MTU		9000
#define XSVNIC_RETRY_MAX	(8 * HZ)
/* A control message at least this often, so the card knows the host lives. */
#define XSVNIC_HEARTBEAT	(2 * HZ)
/*
 * Frames this long or longer go from the skb's own memory (head and page
 * fragments gathered by the send); shorter ones are copied, which costs
 * less than mapping them and pads runts.
 */
#define XSVNIC_TX_COPYBREAK	256
/* Gather entries per frame: a head and a full set of page fragments. */
#define XSVNIC_TX_SGE		(MAX_SKB_FRAGS + 1)
/* Frame, tag and room for the card's TSO prefix. */
#define XSVNIC_FRAME_OVERHEAD	(ETH_HLEN + VLAN_HLEN + 8)

/* Frames from the card, as START_RX and STOP_RX left them. */
enum xsvnic_rx {
	XSVNIC_RX_STOPPED,	/* STOP_RX sent, or nothing yet */
	XSVNIC_RX_STARTING,	/* START_RX sent, no answer yet */
	XSVNIC_RX_STARTED,	/* START_RX answered */
};

struct xsvnic_counters {
	u64 ctrl_in;
	u64 ctrl_out;
	u64 ctrl_malformed;
	u64 reconnects;
	u64 link_changes;
	/* Of ctrl_malformed, by the check's reason (ethtool ctrl_refused_*). */
	u64 ctrl_short;
	u64 ctrl_length;
	u64 ctrl_type;
};

struct xsvnic {
	struct xscore_vdev *vdev;
	struct net_device *netdev;
	struct napi_struct napi;
	u64 resource_id;
	u64 card_guid;
	struct xscore_card_route route;
	struct xsvnic_cm_private_data ctrl_pdata;
	struct xsvnic_cm_private_data data_pdata;

	struct xscore_conn *ctrl;
	struct xscore_conn *data;
	unsigned int data_ring;
	unsigned int tx_buf_size;	/* the data connection's, for xmit */
	unsigned int tx_max_sge;
	/*
	 * The INSTALL offered TSO: the data connection asks for it, every
	 * frame goes after a TSO prefix, and a TCP segment of up to 64 KiB
	 * goes whole, for the card to cut up.
	 */
	bool tso;
	unsigned int tx_max_len;	/* the card's receive buffer: one SEND */

	/*
	 * The session with the card: CONNECTING until both connections are
	 * up, then UP (OPER_UP reported).  Its mutex guards what follows, up
	 * to filter_lock: the work, open, stop and remove take it.
	 */
	struct xscore_session session;
	bool napi_enabled;	/* between open and stop */
	enum xsvnic_rx rx;	/* what the card was asked and answered */
	bool card_link_up;
	bool oper_up;		/* what the XCM was last told */
	unsigned long start_rx_by;
	unsigned long last_ctrl_sent;

	/* What the stack asked for; the work pushes it to the card. */
	spinlock_t filter_lock;
	bool mcast_dirty;
	bool mcast_all;
	unsigned int mcast_count;
	u8 mcast[XSVNIC_MCAST_MAX][ETH_ALEN];
	unsigned long vlans[BITS_TO_LONGS(VLAN_N_VID)];
	unsigned long vlans_on_card[BITS_TO_LONGS(VLAN_N_VID)];

	spinlock_t lock;	/* guards speed and counters */
	u8 speed;		/* xsvnic_speed */
	struct xsvnic_counters counters;

	atomic64_t rx_dropped;
	atomic64_t tx_dropped;
	atomic64_t tx_gathered;	/* frames sent from the skb's memory */
	atomic64_t tx_gso;	/* of them: TCP segments the card cuts up */
	atomic64_t rx_errors;
	/* What the XCM's STATS clear saw: later answers count from it (ops_lock). */
	struct rtnl_link_stats64 stats_base;
	struct dentry *debugfs;	/* tests' send hook */
};

/* xsvnic_debugfs.c */
void xsvnic_debugfs_add(struct xsvnic *vnic);
void xsvnic_debugfs_remove(struct xsvnic *vnic);
void xsvnic_debugfs_init(void);
void xsvnic_debugfs_exit(void);

/* xsvnic_netdev.c */
extern const struct net_device_ops xsvnic_netdev_ops;
void xsvnic_netdev_setup(struct net_device *dev);
void xsvnic_netdev_offer_tso(struct xsvnic *vnic);

/* xsvnic_data.c: frames on the data connection */
netdev_tx_t xsvnic_start_xmit(struct sk_buff *skb, struct net_device *dev);
int xsvnic_napi_poll(struct napi_struct *napi, int budget);
void xsvnic_data_rx_notify(struct xscore_conn *conn);
void xsvnic_data_tx_done(struct xscore_conn *conn);
void xsvnic_data_tx_release(struct xscore_conn *conn, void *cookie,
			    const struct ib_sge *sg, unsigned int num_sg);

/* xsvnic_ctrl.c: the connections' state machine and control messages */
int xsvnic_conns_init(struct xsvnic *vnic);
void xsvnic_conns_cleanup(struct xsvnic *vnic);
void xsvnic_kick(struct xsvnic *vnic);
void xsvnic_stop(struct xsvnic *vnic);
bool xsvnic_connected_to_card(struct xsvnic *vnic);
u32 xsvnic_speed_mbps(u8 speed);

/* xsvnic_main.c: what the XCM is told */
void xsvnic_report_oper(struct xsvnic *vnic, bool up);

/* xsvnic_ethtool.c */
extern const struct ethtool_ops xsvnic_ethtool_ops;

#endif /* _XSVNIC_H */
