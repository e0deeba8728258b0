/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The director's FC gateway: the card side of the vHBA card protocol
 * (specs/xsvhba_card.yaml) as a LIO fabric module.
 *
 * Objects:
 * - struct xsfcgw_port: a card FC port ("fc/1"), the fabric's WWN.  It
 *   listens with rdma_cm at the address the director writes to its
 *   `listen` attribute and owns the vHBAs that connected to it.
 * - struct xsfcgw_tpg: an FC target port behind the card port, named by
 *   its port WWN; its LUNs are LIO LUNs, its node ACLs are keyed by the
 *   vHBAs' port WWNs.
 * - struct xsfcgw_vhba: one host vHBA: its control and data connections,
 *   the ring it told us about, its commands and one LIO session (nexus)
 *   per target it may see.
 * - struct xsfcgw_cmd: one command IOCB taken from a host's ring.
 *
 * The RC connections are xsconn's (include/xsigo/xscore_conn.h): the port
 * listens with xscore_conn_listen(), each request is accepted with
 * xscore_conn_accept_request(), and each connection hands its messages
 * over in its completion work (the params' recv).  Their events kick the
 * vHBA's conn_work, which steps them and closes a vHBA whose connection
 * failed.
 *
 * Lock order (outer first):
 *   xsfcgw_port.mutex  - the port's TPGs, vHBAs, initiators, listener, link
 *                        state, a vHBA's connections (set and stepped
 *                        under it)
 *   xsfcgw_vhba.mutex  - enable state, what the vHBA was told, nexus set-up
 *   xsfcgw_vhba.lock   - (spinlock, irqsave) commands, held commands,
 *                        nexus lookup, the dead flag
 *   conn->tx_lock      - (xsconn's spinlock, BH, leaf) a send ring; never
 *                        taken under vhba->lock
 * The data connection's completion work takes no mutex: what it needs
 * (nexus lookup, command pool) is under vhba->lock, so that a thread
 * holding a mutex may wait for commands to end.
 */
#ifndef _XSFCGW_H
#define _XSFCGW_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>
#include <rdma/rw.h>
#include <target/target_core_base.h>

#include <xsigo/wire/xsvhba_card.h>
#include <xsigo/xscore_conn.h>

#define XSFCGW_NAME		"xsfcgw"
#define XSFCGW_DEPTH		64	/* commands per vHBA: the host's most */
#define XSFCGW_MAX_XFER		(2040 * 1024)	/* largest transfer a vHBA asks */
#define XSFCGW_FETCH		16	/* IOCBs one RDMA READ of the ring takes */
#define XSFCGW_CTRL_RX		16
#define XSFCGW_CTRL_TX		32
#define XSFCGW_DATA_RX		(2 * XSFCGW_DEPTH + 8)
#define XSFCGW_DATA_TX		8	/* abort answers */
#define XSFCGW_RX_SIZE		XSVHBA_CTRL_BUF_SIZE
#define XSFCGW_STATUS_LEN	(XSVHBA_STATUS_PREFIX + \
				 sizeof(struct xsvhba_status_iocb))
#define XSFCGW_FIRST_LOOP_ID	0x81
#define XSFCGW_FC_DOMAIN	0x010000
#define XSFCGW_DOWN_TIMEOUT	30
#define XSFCGW_STALE_MAX	(128 * 1024)
#define XSFCGW_REPORT_RETRY	(HZ / 10)	/* after a full control ring */
/*
 * A host sends HEART_BEAT every 2 s: one silent this long is gone (killed,
 * cut off), and its vHBA's connections, commands and sessions go with it.
 * The card heartbeats the host as often.
 */
#define XSFCGW_HOST_SILENCE	(15 * HZ)
#define XSFCGW_HEARTBEAT	(2 * HZ)
#define XSFCGW_WATCH_PERIOD	HZ
/*
 * Per card port: memory stays bounded, and the configfs listing of the
 * vHBAs (a line each, at most the sample below) fits in its one page.
 */
#define XSFCGW_MAX_INITIATORS	100
#define XSFCGW_MAX_VHBAS	100
#define XSFCGW_VHBA_LINE	"ffffffffffffffff connecting 4294967295\n"
#define XSFCGW_MAX_SGE		32
#define XSFCGW_SENSE_AREA	28

/* What hosts sent that was refused: counted per port, shown in `stats`. */
struct xsfcgw_stats {
	atomic_t	malformed;	/* a message that does not decode */
	atomic_t	ring_index;	/* a write index past the ring */
	atomic_t	bad_handle;	/* a handle outside the vHBA's slots */
	atomic_t	dup_handle;	/* a handle already in flight */
	atomic_t	bad_length;	/* byte count vs the data segment */
	atomic_t	bad_sg;		/* more than one data segment, too big */
	atomic_t	bad_lun;	/* a LUN outside 0..255 */
	atomic_t	length_mismatch; /* byte count vs the CDB's length */
	atomic_t	no_target;	/* a target the vHBA cannot see */
	atomic_t	too_many;	/* a vHBA past XSFCGW_MAX_VHBAS */
	atomic_t	unknown_vhba;	/* a resource id not configured */
	atomic_t	unbound;	/* before the director named its host */
	atomic_t	wrong_host;	/* not from the host that installed it */
	atomic_t	host_silent;	/* a vHBA closed: no message for 15 s */
	atomic_t	commands;
};

/*
 * A vHBA the director configured, <wwn>/card/initiators/<resource id>/:
 * the name of its node ACLs, and the host its connections must come from
 * (the GID of the session that installed it).
 */
struct xsfcgw_initiator {
	struct config_group	group;
	struct xsfcgw_port	*port;
	struct list_head	node;		/* port->initiators */
	u64			resource_id;
	u64			wwpn;		/* 0: named by its resource id */
	union ib_gid		host;		/* all zeroes: none yet */
};

struct xsfcgw_port {
	struct se_wwn		wwn;
	struct config_group	card_group;	/* <wwn>/card/: our attributes */
	char			name[32];
	struct mutex		mutex;		/* see the lock order */
	struct list_head	tpgs;
	struct list_head	vhbas;
	unsigned int		n_vhbas;
	struct xscore_conn_listener *listener;
	struct sockaddr_in6	addr;
	bool			link_up;
	struct ida		loop_ids;
	struct config_group	initiators_group; /* <wwn>/card/initiators/ */
	struct list_head	initiators;
	unsigned int		n_initiators;
	struct delayed_work	report_work;
	struct xsfcgw_stats	stats;
	struct dentry		*debugfs;	/* tests' send hook */
};

/* What an operator's fault does to a target's READs and WRITEs. */
enum xsfcgw_fault_kind {
	XSFCGW_FAULT_NONE,
	XSFCGW_FAULT_DELAY,	/* ended ms late */
	XSFCGW_FAULT_DROP,	/* held until aborted */
	XSFCGW_FAULT_STUCK,	/* held through aborts and resets too */
	XSFCGW_FAULT_STALE,	/* moved ms late with its keys, never ended */
};

/*
 * Written under port->mutex, read under none: a command that races a
 * change may see the new kind with the old time, as a fault injected on
 * a live target may.
 */
struct xsfcgw_fault {
	enum xsfcgw_fault_kind	kind;
	unsigned int		ms;
};

struct xsfcgw_tpg {
	struct se_portal_group	tpg;
	struct xsfcgw_port	*port;
	struct list_head	node;		/* port->tpgs */
	u64			wwpn;
	u16			loop_id;
	bool			enabled;
	bool			demo_mode;
	struct xsfcgw_fault	fault;		/* port->mutex, read under none */
};

struct xsfcgw_nacl {
	struct se_node_acl	nacl;
};

/* A target the vHBA was told of, by loop id. */
struct xsfcgw_told {
	u64		wwpn;
	bool		found;
	unsigned long	luns[BITS_TO_LONGS(XSVHBA_MAX_LUNS)];
};

/* The LIO session of one vHBA with one target port. */
struct xsfcgw_nexus {
	struct list_head	node;		/* vhba->nexuses, vhba->lock */
	struct xsfcgw_vhba	*vhba;
	struct xsfcgw_tpg	*tpg;
	struct se_session	*sess;
	unsigned int		users;		/* submitting; vhba->lock */
	bool			gone;
};

enum xsfcgw_cmd_state {
	XSFCGW_CMD_FREE,
	XSFCGW_CMD_HELD,	/* an operator's fault holds it */
	XSFCGW_CMD_LIO,		/* submitted to the target core */
	XSFCGW_CMD_LOCAL,	/* ended here: a status, no se_cmd */
	XSFCGW_CMD_STALE,	/* its data moved late, no status */
};

struct xsfcgw_cmd {
	struct se_cmd		se_cmd;
	struct xsfcgw_vhba	*vhba;
	struct xsfcgw_nexus	*nexus;
	enum xsfcgw_cmd_state	state;
	struct list_head	held;		/* vhba->held, vhba->lock */
	unsigned long		due;		/* jiffies; 0: never */
	bool			stuck;
	bool			stale;
	u32			handle;
	u64			lun;
	u32			length;
	u64			remote_addr;
	u32			rkey;
	int			dir;		/* DMA_TO_DEVICE: a write */
	u8			cdb[16];
	u8			sense[TRANSPORT_SENSE_BUFFER];
	bool			rw_ready;
	bool			status_only;
	struct rdma_rw_ctx	rw;
	struct ib_cqe		rdma_cqe;
	struct ib_cqe		send_cqe;
	u8			*status;	/* XSFCGW_STATUS_LEN, DMA mapped */
	u64			status_dma;
};

struct xsfcgw_vhba {
	struct xsfcgw_port	*port;
	struct list_head	node;		/* port->vhbas */
	struct kref		kref;
	u64			resource_id;
	u8			vp_index;
	struct ib_device	*ibdev;
	/* Set under port->mutex, gone with the vHBA; each one's context. */
	struct xscore_conn	*ctrl;
	struct xscore_conn	*data;
	/* Steps ctrl and data, watches for a silent host, heartbeats it. */
	struct delayed_work	conn_work;
	unsigned long		last_heard;	/* jiffies of its last message */
	unsigned long		heartbeat_due;	/* jiffies; conn_work only */
	struct mutex		mutex;		/* see the lock order */
	spinlock_t		lock;		/* see the lock order */
	bool			enable_asked;
	bool			enabled;
	bool			dead;
	bool			closing;
	bool			link_told;
	bool			link_told_valid;
	/* The ring: written by the data completion work only. */
	bool			ring_known;
	u16			ring_size;
	u64			ring_addr;
	u32			ring_rkey;
	u64			index_addr;
	u32			index_rkey;
	u16			read_index;
	u16			write_index;
	bool			fetching;
	u16			fetch_count;
	void			*fetch_buf;
	u64			fetch_dma;
	struct ib_cqe		fetch_cqe;
	struct ib_cqe		index_cqe;
	__le32			*index_buf;
	u64			index_dma;
	void			*stale_buf;
	u64			stale_dma;
	struct xsfcgw_cmd	*cmds;		/* XSFCGW_DEPTH */
	struct xsfcgw_cmd	*by_tag[XSFCGW_DEPTH];
	unsigned int		in_use;
	wait_queue_head_t	idle;
	struct list_head	held;
	struct delayed_work	held_work;
	struct list_head	nexuses;
	struct xsfcgw_told	told[XSVHBA_MAX_TARGETS];
	struct work_struct	close_work;
	const char		*why;
};

extern struct workqueue_struct *xsfcgw_wq;
extern const struct target_core_fabric_ops xsfcgw_ops;

static inline struct xsfcgw_port *xsfcgw_port_of(struct se_wwn *wwn)
{
	return container_of(wwn, struct xsfcgw_port, wwn);
}

static inline struct xsfcgw_tpg *xsfcgw_tpg_of(struct se_portal_group *tpg)
{
	return container_of(tpg, struct xsfcgw_tpg, tpg);
}

static inline struct xsfcgw_cmd *xsfcgw_cmd_of(struct se_cmd *se_cmd)
{
	return container_of(se_cmd, struct xsfcgw_cmd, se_cmd);
}

/* xsfcgw_configfs.c */
extern const struct config_item_type xsfcgw_card_cit;
extern const struct config_item_type xsfcgw_initiators_cit;
extern struct configfs_attribute *xsfcgw_tpg_attrs[];
extern struct configfs_attribute *xsfcgw_tpg_attrib_attrs[];

/* xsfcgw_debugfs.c */
void xsfcgw_debugfs_add(struct xsfcgw_port *port);
void xsfcgw_debugfs_remove(struct xsfcgw_port *port);
void xsfcgw_debugfs_init(void);
void xsfcgw_debugfs_exit(void);

/* xsfcgw_conn.c */
int xsfcgw_listen(struct xsfcgw_port *port, const struct sockaddr_in6 *addr);
void xsfcgw_unlisten(struct xsfcgw_port *port);
void xsfcgw_conn_work(struct work_struct *work);
int xsfcgw_conn_send(struct xsfcgw_vhba *vhba, struct xscore_conn *conn,
		     const void *head, u32 head_len, const void *body,
		     u32 body_len);

/* xsfcgw_vhba.c */
struct xsfcgw_vhba *xsfcgw_vhba_create(struct xsfcgw_port *port,
				       u64 resource_id);
void xsfcgw_vhba_close(struct xsfcgw_vhba *vhba, const char *why);
void xsfcgw_vhba_put(struct xsfcgw_vhba *vhba);
void xsfcgw_vhba_control(struct xsfcgw_vhba *vhba, const void *msg, u32 len);
int xsfcgw_vhba_heartbeat(struct xsfcgw_vhba *vhba);
void xsfcgw_vhba_ring_known(struct xsfcgw_vhba *vhba);
void xsfcgw_port_report(struct xsfcgw_port *port);
void xsfcgw_report_work(struct work_struct *work);
void xsfcgw_port_close_all(struct xsfcgw_port *port, const char *why);
void xsfcgw_tpg_unlink_nexuses(struct xsfcgw_tpg *tpg);
struct xsfcgw_initiator *xsfcgw_initiator_find(struct xsfcgw_port *port,
					       u64 resource_id);
u64 xsfcgw_initiator_wwpn(struct xsfcgw_port *port, u64 resource_id);
void xsfcgw_port_close_rid(struct xsfcgw_port *port, u64 resource_id,
			   const char *why);

/* xsfcgw_cmd.c */
int xsfcgw_cmds_alloc(struct xsfcgw_vhba *vhba);
void xsfcgw_cmds_free(struct xsfcgw_vhba *vhba);
void xsfcgw_data_message(struct xsfcgw_vhba *vhba, const void *msg, u32 len);
void xsfcgw_held_work(struct work_struct *work);
void xsfcgw_held_end_all(struct xsfcgw_vhba *vhba, bool stuck_too, u16 status);
bool xsfcgw_abort(struct xsfcgw_vhba *vhba, u32 handle, const char **outcome);
void xsfcgw_send_abort_iocb(struct xsfcgw_vhba *vhba,
			    const struct xsvhba_abort_cmd *abort, bool done);
int xsfcgw_write_pending(struct se_cmd *se_cmd);
int xsfcgw_queue_data_in(struct se_cmd *se_cmd);
int xsfcgw_queue_status(struct se_cmd *se_cmd);
void xsfcgw_release_cmd(struct se_cmd *se_cmd);

#endif /* _XSFCGW_H */
