// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reconnecting sessions (include/xsigo/xscore_session.h): the one state
 * machine behind xscore's XSMP links and the service drivers' sessions
 * with their I/O cards.  Backoff, the deadline of each phase, the owner's
 * work and its teardown live here once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <xsigo/xscore_session.h>

#define CREATE_TRACE_POINTS
#include "xsconn_trace.h"

/*
 * Connection recovery: a root filesystem on a vHBA may wait on it, so it
 * can make progress under memory pressure.  Unbound: a session's work has
 * no CPU of its own (and 7.x WARNs on a queue that names neither).
 */
static struct workqueue_struct *xscore_recovery_wq;

static unsigned long xscore_session_backoff(struct xscore_session *session)
{
	unsigned int shift = min(session->failures, 3U);

	return min_t(unsigned long, HZ << shift, session->params->backoff_max);
}

static void xscore_session_set_state(struct xscore_session *session,
				     enum xscore_session_state state)
{
	lockdep_assert_held(&session->mutex);
	if (session->state != state)
		trace_xscore_session_state(session->params->ops->name(session),
					   session->state, state);
	WRITE_ONCE(session->state, state);
}

/**
 * xscore_session_kick() - run a session's work now
 * @session: the session
 *
 * For the owner's callbacks and inputs (connection events, a new filter to
 * push): callable from any context.  A stopped session's work does nothing.
 */
void xscore_session_kick(struct xscore_session *session)
{
	mod_delayed_work(xscore_recovery_wq, &session->work, 0);
}
EXPORT_SYMBOL_GPL(xscore_session_kick);

/**
 * xscore_session_connected() - the owner's connections are up
 * @session: the session, CONNECTING, its mutex held
 *
 * Starts OPENING and its deadline.
 */
void xscore_session_connected(struct xscore_session *session)
{
	lockdep_assert_held(&session->mutex);
	if (WARN_ON_ONCE(session->state != XSCORE_SESSION_CONNECTING))
		return;
	session->open_by = jiffies + session->params->open_timeout;
	xscore_session_set_state(session, XSCORE_SESSION_OPENING);
}
EXPORT_SYMBOL_GPL(xscore_session_connected);

/**
 * xscore_session_opened() - the session is up
 * @session: the session, CONNECTING or OPENING, its mutex held
 *
 * Its failures are forgotten: the next one backs off from the start.  No
 * liveness deadline holds until the owner sets one.
 */
void xscore_session_opened(struct xscore_session *session)
{
	lockdep_assert_held(&session->mutex);
	if (WARN_ON_ONCE(session->state != XSCORE_SESSION_CONNECTING &&
			 session->state != XSCORE_SESSION_OPENING))
		return;
	session->failures = 0;
	session->alive_armed = false;
	xscore_session_set_state(session, XSCORE_SESSION_UP);
}
EXPORT_SYMBOL_GPL(xscore_session_opened);

/**
 * xscore_session_fail() - give up on this connection attempt
 * @session: the session, its mutex held
 * @why: what failed, for the owner's report
 * @err: an errno, for the owner's report
 *
 * Tears the attempt down, reports it through the owner's down(), and
 * reconnects after a backoff.  Nothing happens to a stopped session.
 */
void xscore_session_fail(struct xscore_session *session, const char *why,
			 int err)
{
	const struct xscore_session_ops *ops = session->params->ops;
	enum xscore_session_state old = session->state;
	unsigned long backoff;

	lockdep_assert_held(&session->mutex);
	if (old == XSCORE_SESSION_STOPPED)
		return;
	ops->teardown(session);
	xscore_session_set_state(session, XSCORE_SESSION_DOWN);
	backoff = xscore_session_backoff(session);
	session->retry_at = jiffies + backoff;
	trace_xscore_session_fail(ops->name(session), old, why, err,
				  jiffies_to_msecs(backoff));
	session->failures++;
	session->alive_armed = false;
	if (ops->down)
		ops->down(session, old, why, err);
}
EXPORT_SYMBOL_GPL(xscore_session_fail);

/**
 * xscore_session_alive() - the peer was heard from
 * @session: the session, UP, its mutex held
 * @timeout: jiffies from now after which silence fails the session
 */
void xscore_session_alive(struct xscore_session *session,
			  unsigned long timeout)
{
	lockdep_assert_held(&session->mutex);
	if (session->state != XSCORE_SESSION_UP)
		return;
	session->alive_by = jiffies + timeout;
	session->alive_armed = true;
}
EXPORT_SYMBOL_GPL(xscore_session_alive);

/**
 * xscore_session_wake_at() - run the owner's step again at a time
 * @session: the session, its mutex held (from the owner's step)
 * @when: jiffies
 *
 * The earliest time asked for since the work last ran wins.  Asked for
 * again in each step that still wants it.
 */
void xscore_session_wake_at(struct xscore_session *session,
			    unsigned long when)
{
	lockdep_assert_held(&session->mutex);
	if (!session->wake_armed || time_before(when, session->wake_at))
		session->wake_at = when;
	session->wake_armed = true;
}
EXPORT_SYMBOL_GPL(xscore_session_wake_at);

/* Move the state machine on; the owner's step does its part. */
static void xscore_session_step(struct xscore_session *session)
{
	const struct xscore_session_params *params = session->params;
	int ret;

	lockdep_assert_held(&session->mutex);
	if (session->state == XSCORE_SESSION_DOWN) {
		if (time_before(jiffies, session->retry_at))
			return;
		session->connect_by = jiffies + params->connect_timeout;
		xscore_session_set_state(session, XSCORE_SESSION_CONNECTING);
		ret = params->ops->connect(session);
		if (ret)
			xscore_session_fail(session, "cannot connect", ret);
		return;
	}

	params->ops->step(session);

	switch (session->state) {
	case XSCORE_SESSION_CONNECTING:
		if (time_after_eq(jiffies, session->connect_by))
			xscore_session_fail(session, "connection timed out",
					    -ETIMEDOUT);
		break;
	case XSCORE_SESSION_OPENING:
		if (time_after_eq(jiffies, session->open_by))
			xscore_session_fail(session, params->open_timeout_why,
					    -ETIMEDOUT);
		break;
	case XSCORE_SESSION_UP:
		if (session->alive_armed &&
		    time_after_eq(jiffies, session->alive_by))
			xscore_session_fail(session, params->alive_timeout_why,
					    -ETIMEDOUT);
		break;
	case XSCORE_SESSION_DOWN:
	case XSCORE_SESSION_STOPPED:
		break;
	}
}

/* When the work must run next without a kick; false: only on a kick. */
static bool xscore_session_next(struct xscore_session *session,
				unsigned long *next)
{
	bool armed = true;

	switch (session->state) {
	case XSCORE_SESSION_DOWN:
		*next = session->retry_at;
		break;
	case XSCORE_SESSION_CONNECTING:
		*next = session->connect_by;
		break;
	case XSCORE_SESSION_OPENING:
		*next = session->open_by;
		break;
	case XSCORE_SESSION_UP:
		*next = session->alive_by;
		armed = session->alive_armed;
		break;
	case XSCORE_SESSION_STOPPED:
		return false;
	}
	if (session->wake_armed && (!armed ||
				    time_before(session->wake_at, *next))) {
		*next = session->wake_at;
		armed = true;
	}
	return armed;
}

static void xscore_session_work(struct work_struct *work)
{
	struct xscore_session *session =
		container_of(to_delayed_work(work), struct xscore_session,
			     work);
	unsigned long next;

	mutex_lock(&session->mutex);
	if (session->state == XSCORE_SESSION_STOPPED)
		goto out;
	session->wake_armed = false;
	xscore_session_step(session);
	/* A kick that came meanwhile keeps its earlier run. */
	if (xscore_session_next(session, &next))
		queue_delayed_work(xscore_recovery_wq, &session->work,
				   max_t(long, (long)(next - jiffies), 1));
out:
	mutex_unlock(&session->mutex);
}

/**
 * xscore_session_init() - set a session up, DOWN and ready to connect
 * @session: the session, zeroed or not
 * @params: the owner's constants; they must outlive the session
 *
 * Nothing runs until the first xscore_session_kick().
 */
void xscore_session_init(struct xscore_session *session,
			 const struct xscore_session_params *params)
{
	session->params = params;
	mutex_init(&session->mutex);
	INIT_DELAYED_WORK(&session->work, xscore_session_work);
	session->state = XSCORE_SESSION_DOWN;
	session->failures = 0;
	session->retry_at = jiffies;
	session->alive_armed = false;
	session->wake_armed = false;
}
EXPORT_SYMBOL_GPL(xscore_session_init);

/**
 * xscore_session_reset() - drop the connection and reconnect at once
 * @session: the session, its mutex not held
 * @why: what the owner's down() reports
 *
 * For a host reset or a peer that is stuck: a session that is connecting
 * or up fails now and connects again without a backoff.  A session that
 * is down waiting out its backoff connects at once.
 */
void xscore_session_reset(struct xscore_session *session, const char *why)
{
	lockdep_assert_not_held(&session->mutex);
	mutex_lock(&session->mutex);
	if (session->state != XSCORE_SESSION_STOPPED) {
		if (session->state != XSCORE_SESSION_DOWN)
			xscore_session_fail(session, why, -ECONNRESET);
		session->retry_at = jiffies;
	}
	mutex_unlock(&session->mutex);
	xscore_session_kick(session);
}
EXPORT_SYMBOL_GPL(xscore_session_reset);

/**
 * xscore_session_stop() - stop a session for good
 * @session: the session, its mutex not held
 *
 * Tears the connection down and waits for the work.  No op of the owner
 * runs after it returns; a later kick runs a work that does nothing, so
 * the owner must stop its kickers before it frees the session.
 */
void xscore_session_stop(struct xscore_session *session)
{
	lockdep_assert_not_held(&session->mutex);
	mutex_lock(&session->mutex);
	xscore_session_set_state(session, XSCORE_SESSION_STOPPED);
	session->params->ops->teardown(session);
	mutex_unlock(&session->mutex);
	cancel_delayed_work_sync(&session->work);
}
EXPORT_SYMBOL_GPL(xscore_session_stop);

/* xsconn's module init: the queue every session's work runs on. */
int xscore_session_wq_init(void)
{
	xscore_recovery_wq = alloc_workqueue("xscore_recovery",
					     WQ_MEM_RECLAIM | WQ_UNBOUND, 0);
	return xscore_recovery_wq ? 0 : -ENOMEM;
}

void xscore_session_wq_exit(void)
{
	destroy_workqueue(xscore_recovery_wq);
}
