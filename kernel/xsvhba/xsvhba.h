/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * xsvhba: one SCSI host per virtual HBA an XCM installs.  Each vHBA has two
 * RC connections to its FC I/O card port: control (enable, discovery, task
 * management) and data (a ring of command IOCBs in host memory that the
 * card reads, data moved by the card against per-command memory keys,
 * status IOCBs sent back).
 *
 * Locking, outermost first:
 *
 *   vdev->ops_lock (xscore's)     message() and link_event() run under it
 *     vhba->session.mutex         the card session: the work, targets_work
 *                                 (not across fc_remote_port_add(), which
 *                                 waits for I/O), host reset, remove
 *       vhba->ring_lock (spin, BH)  the ring, ready, and the order of key
 *                                   registration and invalidation
 *         data conn->tx_lock (xscore's)
 *       vhba->lock (spin, BH, leaf) counters
 *
 * The error handler's take-back waits for invalidations and must not hold
 * the session mutex (lockdep_assert_not_held()): a host reset takes it.
 */
#ifndef _XSVHBA_H
#define _XSVHBA_H

#include <linux/irq_poll.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_host.h>
#include <xsigo/xscore.h>
#include <xsigo/xscore_conn.h>
#include <xsigo/xscore_session.h>
#include <xsigo/wire/xsvhba.h>
#include <xsigo/wire/xsvhba_card.h>

#include "compat.h"
#include "xsvhba_check.h"

#define XSVHBA_QUEUE_DEPTH_MAX	64	/* commands in flight per vHBA */
#define XSVHBA_QUEUE_DEPTH_DEF	16
#define XSVHBA_XFER_KB_DEF	256	/* largest transfer when INSTALL says 0 */
#define XSVHBA_XFER_KB_MAX	2040
#define XSVHBA_LINK_DOWN_DEF	30	/* seconds, when INSTALL says 0 */
#define XSVHBA_LINK_DOWN_MAX	60
/* The u64 counters of a STATS answer, totalio to the last reserved one. */
#define XSVHBA_STATS_COUNTERS	31
#define XSVHBA_CTRL_RING	8
#define XSVHBA_CONNECT_TIMEOUT	(10 * HZ)	/* both connections */
#define XSVHBA_ENABLE_TIMEOUT	(10 * HZ)	/* ENABLE_RSP */
#define XSVHBA_RETRY_MAX	(8 * HZ)
#define XSVHBA_TMF_WAIT		(10 * HZ)	/* abort and resets */
/*
 * HEART_BEAT on control when nothing else went for this long: the card
 * closes a vHBA silent for 15 s (a killed host's connections fail only
 * when the card sends on them).  A card that heartbeats us and then stops
 * for XSVHBA_CARD_SILENCE is gone.
 */
#define XSVHBA_HEARTBEAT	(2 * HZ)
#define XSVHBA_CARD_SILENCE	(15 * HZ)
#define XSVHBA_POLL_BUDGET	32
/* Bits of a command handle above the tag: a generation, so that a late or
 * forged status for an earlier use of the tag matches nothing.
 */
#define XSVHBA_HANDLE_GEN_SHIFT	10
#define XSVHBA_HANDLE_GEN_MASK	0x3f

/* Where one command is; only the winner of a change completes it. */
enum xsvhba_cmd_state {
	XSVHBA_CMD_IDLE,	/* not with the card */
	XSVHBA_CMD_ISSUED,	/* in the ring */
	XSVHBA_CMD_ENDING,	/* status in or taken back: key being invalidated */
};

/* Bits of xsvhba.flags. */
enum {
	XSVHBA_RESET_ASKED,	/* the work resets both connections */
};

/* Per command (the SCSI command's private data). */
struct xsvhba_cmd {
	struct scsi_cmnd *scmnd;
	struct xsvhba *vhba;
	struct ib_mr *mr;		/* the data's key, NULL without data */
	struct ib_cqe reg_cqe;
	struct ib_cqe inv_cqe;
	atomic_t state;			/* enum xsvhba_cmd_state */
	u32 handle;
	int mapped;			/* scatterlist entries mapped */
	u8 generation;
};

/* What the FC transport keeps for each remote port (rport->dd_data). */
struct xsvhba_rport {
	u16 loop_id;
	u32 port_id;
};

/* A target the card reported. */
struct xsvhba_target {
	u64 wwpn;
	u64 wwnn;
	u32 port_id;
	u16 loop_id;
	bool present;			/* the card has it: targets_work adds it */
	unsigned long lost_at;		/* jiffies when it was last lost */
	struct fc_rport *rport;		/* NULL while not registered */
	u8 lun_map[32];			/* LUNs 0..255 the card listed last */
	bool rescan;			/* the list changed: targets_work syncs it */
};

struct xsvhba_counters {
	u64 ctrl_in;
	u64 ctrl_malformed;
	u64 status_malformed;
	u64 status_stale;
	u64 reconnects;
	u64 aborts;
	u64 resets;		/* LUN, target and host resets */
	/* Only reported to the XCM (STATS), not in sysfs: */
	u64 lun_resets;
	u64 target_resets;
	u64 host_resets;
	u64 fc_link_downs;
	u64 disc_updates;
	u64 targets_lost;
	u64 targets_found;
	u64 xt_downs;
	u64 oper_reqs;
};

/* The commands through the ring, counted under ring_lock. */
struct xsvhba_io_counters {
	u64 reads;
	u64 writes;
	u64 nodata;
	u64 read_bytes;
	u64 write_bytes;
	u64 keys;		/* data keys registered */
};

struct xsvhba {
	struct xscore_vdev *vdev;
	struct Scsi_Host *shost;
	u64 resource_id;
	u64 wwn;
	u64 card_guid;
	unsigned int queue_depth;
	unsigned int xfer_kb;
	unsigned int link_down_timeout;
	struct xscore_card_route route;
	struct xsvhba_cm_private_data ctrl_pdata;
	struct xsvhba_cm_private_data data_pdata;

	struct xscore_conn *ctrl;
	struct xscore_conn *data;
	struct irq_poll iop;		/* status IOCBs */

	/*
	 * The session with the card: CONNECTING, OPENING (ring registered,
	 * ENABLE_VHBA_Q sent), UP (ENABLE_RSP came: commands flow).  Its
	 * mutex guards what follows, up to the ring: the work, remove, host
	 * reset and targets_work take it.
	 */
	struct xscore_session session;
	struct work_struct targets_work; /* outside mutex: it waits for I/O */
	bool oper_up;			/* what the XCM was last told */
	bool admin_down;		/* the XCM took the vHBA down: no session */
	bool fc_link_up;
	u8 vp_index;
	u32 port_id;			/* our own FC id */
	/* jiffies; the error handler's sends write it too (WRITE_ONCE) */
	unsigned long last_ctrl_sent;
	struct xsvhba_target targets[XSVHBA_MAX_TARGETS];

	/* The command ring and the read index the card writes. */
	struct xsvhba_cmd_iocb *ring;
	u64 ring_dma;
	__le32 *read_index;
	u64 read_index_dma;
	struct ib_mr *ring_mr;
	struct ib_mr *index_mr;
	struct ib_mr **mrs;		/* one data key per tag */
	struct ib_cqe ring_reg_cqe;
	/* Guards the ring and ready; taken before the data connection's
	 * send lock (queuecommand and xsvhba_take_back() post under it).
	 */
	spinlock_t ring_lock;
	bool ready;			/* commands may go to the card */
	u16 write_index;
	struct xsvhba_io_counters io;

	wait_queue_head_t cmd_wait;	/* a command went idle */
	unsigned long flags;
	atomic_t dma_mapped;		/* commands whose data is mapped */
	struct dentry *debugfs;
	spinlock_t lock;		/* guards counters */
	struct xsvhba_counters counters;
	/* What the card sent that was refused, by reason (debugfs refusals). */
	u64 refused[XSVHBA_CHECK_REASONS];
	/* What a STATS clear saw: later answers count from it (ops_lock). */
	u64 stats_base[XSVHBA_STATS_COUNTERS];
};

/* Which commands xsvhba_take_back() and xsvhba_idle() mean: one, a LUN's or a
 * target's (the first of scmnd, sdev, target that is set).
 */
struct xsvhba_scope {
	struct scsi_cmnd *scmnd;
	struct scsi_device *sdev;
	unsigned int target;
};

static inline struct xsvhba *shost_to_vhba(struct Scsi_Host *shost)
{
	return shost_priv(shost);
}

/* xsvhba_main.c: what the XCM is told */
void xsvhba_report_oper(struct xsvhba *vhba, bool up);
void xsvhba_count(struct xsvhba *vhba, u64 *counter);
void xsvhba_refused(struct xsvhba *vhba, enum xsvhba_check why, u64 *counter);

/* xsvhba_card.c: the connections' state machine and control messages */
int xsvhba_conns_init(struct xsvhba *vhba);
void xsvhba_conns_cleanup(struct xsvhba *vhba);
void xsvhba_kick(struct xsvhba *vhba);
void xsvhba_stop(struct xsvhba *vhba);
bool xsvhba_enabled_on_card(struct xsvhba *vhba);
void xsvhba_reconnect(struct xsvhba *vhba, const char *why);
void xsvhba_stats(struct xsvhba *vhba, const struct xsvhba_stats *req);
void xsvhba_set_admin(struct xsvhba *vhba, bool up);
void xsvhba_set_lun_depth(struct xsvhba *vhba, unsigned int depth);
void xsvhba_set_loss_timeout(struct xsvhba *vhba, unsigned int seconds);
void xsvhba_ask_reset(struct xsvhba *vhba);
int xsvhba_send_tmf(struct xsvhba *vhba, u8 type, struct scsi_device *sdev);
int xsvhba_send_abort(struct xsvhba *vhba, struct xsvhba_cmd *cmd);

/* xsvhba_io.c: the ring, memory keys and status */
int xsvhba_ring_alloc(struct xsvhba *vhba);
void xsvhba_ring_free(struct xsvhba *vhba);
int xsvhba_keys_setup(struct xsvhba *vhba);
void xsvhba_keys_release(struct xsvhba *vhba);
void xsvhba_purge(struct xsvhba *vhba, int result);
void xsvhba_data_rx_notify(struct xscore_conn *conn);
int xsvhba_poll(struct irq_poll *iop, int budget);
int xsvhba_init_cmd_priv(struct Scsi_Host *shost, struct scsi_cmnd *scmnd);
xsvhba_qc_status xsvhba_queuecommand(struct Scsi_Host *shost,
				     struct scsi_cmnd *scmnd);
bool xsvhba_idle(struct xsvhba *vhba, const struct xsvhba_scope *scope);
void xsvhba_take_back(struct xsvhba *vhba, const struct xsvhba_scope *scope);
int xsvhba_inject(struct xsvhba *vhba, const char *kind, u16 loop_id);
void xsvhba_debugfs_init(void);
void xsvhba_debugfs_exit(void);
void xsvhba_debugfs_add(struct xsvhba *vhba);
void xsvhba_debugfs_remove(struct xsvhba *vhba);

/* xsvhba_scsi.c: the SCSI host and the FC transport */
extern struct scsi_transport_template *xsvhba_transport;
int xsvhba_transport_init(void);
void xsvhba_transport_exit(void);
struct Scsi_Host *xsvhba_host_alloc(void);
void xsvhba_host_setup(struct xsvhba *vhba);
void xsvhba_host_attrs(struct xsvhba *vhba);
void xsvhba_set_port_state(struct xsvhba *vhba);
void xsvhba_targets_lost(struct xsvhba *vhba);
void xsvhba_target_update(struct xsvhba *vhba, u64 wwpn, u64 wwnn,
			  u32 port_id, u16 loop_id, const u8 *lun_map,
			  bool present);
void xsvhba_targets_work(struct work_struct *work);

#endif /* _XSVHBA_H */
