/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A reconnecting session: the state machine that xscore's XSMP links and
 * the service drivers' sessions with their I/O cards share.
 *
 * A session owns a mutex and a work item on xsconn's connection-recovery
 * workqueue (WQ_MEM_RECLAIM: a root filesystem on a vHBA waits on it).
 * The work runs only on events (xscore_session_kick(), from the owner's
 * connection callbacks and its other inputs) and on the session's own
 * deadlines; there is no periodic tick.  Under the mutex it calls the
 * owner's ops, which move the session on with xscore_session_connected(),
 * xscore_session_opened() and xscore_session_fail().
 *
 *   DOWN --connect()--> CONNECTING --connected()--> OPENING --opened()--> UP
 *     ^                     |                          |                 |
 *     +------ fail(): teardown(), down(), backoff -----+-----------------+
 *
 * Each phase has a deadline of its own: connect_timeout in CONNECTING,
 * open_timeout in OPENING (the owner's REGISTER or ENABLE exchange), and
 * in UP the liveness deadline that the owner pushes on with
 * xscore_session_alive() (a peer's HELLO).  The owner's own timers
 * (a heartbeat to send, an answer to wait for) are asked for in each step
 * with xscore_session_wake_at().  After a failure the session waits
 * HZ << min(failures, 3), at most backoff_max, before it connects again.
 *
 * The work must never add or remove a device, nor flush a queue that is
 * not WQ_MEM_RECLAIM: owners do that from work of their own.
 */
#ifndef _XSIGO_XSCORE_SESSION_H
#define _XSIGO_XSCORE_SESSION_H

#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

struct xscore_session;

/**
 * enum xscore_session_state - where a session is
 * @XSCORE_SESSION_DOWN: waiting out the backoff before it connects
 * @XSCORE_SESSION_CONNECTING: the owner's connections are on their way
 * @XSCORE_SESSION_OPENING: connected; the owner's opening exchange runs
 * @XSCORE_SESSION_UP: open
 * @XSCORE_SESSION_STOPPED: stopped for good (the owner is going away)
 */
enum xscore_session_state {
	XSCORE_SESSION_DOWN,
	XSCORE_SESSION_CONNECTING,
	XSCORE_SESSION_OPENING,
	XSCORE_SESSION_UP,
	XSCORE_SESSION_STOPPED,
};

/**
 * struct xscore_session_ops - what an owner does for its session
 * @connect: DOWN, backoff over: start connecting.  The session is in
 *	CONNECTING already; an error fails it ("cannot connect").
 * @step: CONNECTING, OPENING or UP: move on by what the connections
 *	recorded (receive, check progress, send what is due).
 * @teardown: undo one connection attempt (close the connections); called
 *	by xscore_session_fail() and xscore_session_stop().  Also called in
 *	DOWN or CONNECTING, so it must take what is not there.
 * @down: optional: report a session that failed (after @teardown), from
 *	the state it was in, with why and an errno.
 * @name: the owner's name as operators know it (a link, a net_device, a
 *	SCSI host), for the session's trace events.
 *
 * All are called with the session's mutex held, from its work, or from
 * xscore_session_reset() and xscore_session_stop().
 */
struct xscore_session_ops {
	int (*connect)(struct xscore_session *session);
	void (*step)(struct xscore_session *session);
	void (*teardown)(struct xscore_session *session);
	void (*down)(struct xscore_session *session,
		     enum xscore_session_state old, const char *why, int err);
	const char *(*name)(struct xscore_session *session);
};

/**
 * struct xscore_session_params - an owner's constants
 * @ops: the owner's ops
 * @connect_timeout: jiffies CONNECTING may last
 * @open_timeout: jiffies OPENING may last
 * @backoff_max: the longest wait before a reconnect, in jiffies
 * @open_timeout_why: what a session that OPENING timed out reports
 * @alive_timeout_why: what a session whose liveness deadline passed reports
 */
struct xscore_session_params {
	const struct xscore_session_ops *ops;
	unsigned long connect_timeout;
	unsigned long open_timeout;
	unsigned long backoff_max;
	const char *open_timeout_why;
	const char *alive_timeout_why;
};

/**
 * struct xscore_session - one reconnecting session
 * @params: the owner's constants
 * @mutex: serialises the state machine and whatever the owner keeps
 *	under it; taken by the work
 * @work: runs the state machine on xscore's recovery workqueue
 * @state: where the session is: written under @mutex, read anywhere
 *	with READ_ONCE()
 * @failures: failures since the session was last up
 * @retry_at: DOWN: when to connect again
 * @connect_by: CONNECTING: when to give up
 * @open_by: OPENING: when to give up
 * @alive_by: UP: when the peer counts as gone, if @alive_armed
 * @wake_at: when the owner's step wants to run next, if @wake_armed
 * @alive_armed: @alive_by holds
 * @wake_armed: @wake_at holds (cleared at every run of the work)
 */
struct xscore_session {
	const struct xscore_session_params *params;
	struct mutex mutex;		/* the state machine, the owner's state */
	struct delayed_work work;
	enum xscore_session_state state;
	unsigned int failures;
	unsigned long retry_at;
	unsigned long connect_by;
	unsigned long open_by;
	unsigned long alive_by;
	unsigned long wake_at;
	bool alive_armed;
	bool wake_armed;
};

void xscore_session_init(struct xscore_session *session,
			 const struct xscore_session_params *params);
void xscore_session_kick(struct xscore_session *session);
void xscore_session_connected(struct xscore_session *session);
void xscore_session_opened(struct xscore_session *session);
void xscore_session_fail(struct xscore_session *session, const char *why,
			 int err);
void xscore_session_alive(struct xscore_session *session,
			  unsigned long timeout);
void xscore_session_wake_at(struct xscore_session *session,
			    unsigned long when);
void xscore_session_reset(struct xscore_session *session, const char *why);
void xscore_session_stop(struct xscore_session *session);

/* xsconn's own, from its module init and exit: the recovery workqueue. */
int xscore_session_wq_init(void);
void xscore_session_wq_exit(void);

/**
 * xscore_session_state() - where a session is, read without its mutex
 * @session: the session
 *
 * Return: the state; a snapshot unless the caller holds the mutex.
 */
static inline enum xscore_session_state
xscore_session_state(const struct xscore_session *session)
{
	return READ_ONCE(session->state);
}

/**
 * xscore_session_retry_in() - how long a failed session waits to reconnect
 * @session: the session, DOWN, its mutex held
 *
 * Return: milliseconds until it connects again.
 */
static inline unsigned int
xscore_session_retry_in(const struct xscore_session *session)
{
	long left = (long)(session->retry_at - jiffies);

	return left > 0 ? jiffies_to_msecs(left) : 0;
}

#endif /* _XSIGO_XSCORE_SESSION_H */
