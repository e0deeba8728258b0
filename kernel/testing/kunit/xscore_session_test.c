// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * KUnit cases for the reconnecting session (xscore/xscore_session.c), the
 * state machine behind links, vNICs and vHBAs: backoff, each phase's
 * deadline, the owner's timers, reset and stop.  A fake owner counts its
 * ops; time is moved on by setting a deadline to now under the mutex, and
 * each run of the work is one kick and one flush.
 */
#include <kunit/test.h>
#include <linux/workqueue.h>
#include <xsigo/xscore_session.h>

#define BACKOFF_MAX	(5 * HZ)
/* Jiffies that may pass between a deadline's setting and its reading. */
#define SLACK		(HZ / 2)

struct fake_owner {
	struct xscore_session session;
	int connect_ret;
	bool connect_at_step;	/* CONNECTING: connected() in the step */
	bool open_at_step;	/* OPENING: opened() in the step */
	bool alive_at_step;	/* UP: alive(10 s) in the step */
	unsigned long wake_in;	/* UP: wake_at(now + wake_in) in the step */
	const char *fail_why;	/* fail() in the step */
	unsigned int connects, steps, teardowns, downs;
	enum xscore_session_state down_from;
	const char *down_why;
	int down_err;
};

static struct fake_owner *owner_of(struct xscore_session *session)
{
	return container_of(session, struct fake_owner, session);
}

static int fake_connect(struct xscore_session *session)
{
	struct fake_owner *o = owner_of(session);

	o->connects++;
	return o->connect_ret;
}

static void fake_step(struct xscore_session *session)
{
	struct fake_owner *o = owner_of(session);

	o->steps++;
	if (o->fail_why) {
		xscore_session_fail(session, o->fail_why, -EPIPE);
		return;
	}
	if (session->state == XSCORE_SESSION_CONNECTING && o->connect_at_step)
		xscore_session_connected(session);
	else if (session->state == XSCORE_SESSION_OPENING && o->open_at_step)
		xscore_session_opened(session);
	else if (session->state == XSCORE_SESSION_UP && o->alive_at_step)
		xscore_session_alive(session, 10 * HZ);
	if (session->state == XSCORE_SESSION_UP && o->wake_in)
		xscore_session_wake_at(session, jiffies + o->wake_in);
}

static void fake_teardown(struct xscore_session *session)
{
	owner_of(session)->teardowns++;
}

static void fake_down(struct xscore_session *session,
		      enum xscore_session_state old, const char *why, int err)
{
	struct fake_owner *o = owner_of(session);

	o->downs++;
	o->down_from = old;
	o->down_why = why;
	o->down_err = err;
}

static const char *fake_name(struct xscore_session *session)
{
	return "fake";
}

static const struct xscore_session_ops fake_ops = {
	.connect	= fake_connect,
	.step		= fake_step,
	.teardown	= fake_teardown,
	.down		= fake_down,
	.name		= fake_name,
};

static const struct xscore_session_params fake_params = {
	.ops			= &fake_ops,
	.connect_timeout	= 20 * HZ,
	.open_timeout		= 10 * HZ,
	.backoff_max		= BACKOFF_MAX,
	.open_timeout_why	= "no answer",
	.alive_timeout_why	= "peer silent",
};

static struct fake_owner *new_owner(struct kunit *test)
{
	struct fake_owner *o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, o);
	xscore_session_init(&o->session, &fake_params);
	return o;
}

/* One run of the session's work. */
static void run(struct fake_owner *o)
{
	xscore_session_kick(&o->session);
	flush_delayed_work(&o->session.work);
}

static void stop(struct fake_owner *o)
{
	xscore_session_stop(&o->session);
}

/* Time moves on to a deadline: it is now. */
static void expire(struct fake_owner *o, unsigned long *deadline)
{
	mutex_lock(&o->session.mutex);
	*deadline = jiffies;
	mutex_unlock(&o->session.mutex);
}

static long left(unsigned long deadline)
{
	return (long)(deadline - jiffies);
}

static void expect_about(struct kunit *test, long got, long want)
{
	KUNIT_EXPECT_LE(test, got, want);
	KUNIT_EXPECT_GT(test, got, want - SLACK);
}

/* Up through CONNECTING and OPENING, in three runs. */
static void bring_up(struct kunit *test, struct fake_owner *o)
{
	o->connect_at_step = true;
	o->open_at_step = true;
	run(o);
	run(o);
	run(o);
	KUNIT_ASSERT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_UP);
}

static void session_starts_down_and_connects_on_the_first_kick(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	KUNIT_EXPECT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_DOWN);
	run(o);
	KUNIT_EXPECT_EQ(test, o->connects, 1U);
	KUNIT_EXPECT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_CONNECTING);
	expect_about(test, left(o->session.connect_by), 20 * HZ);
	stop(o);
}

static void failures_back_off_doubling_up_to_the_maximum(struct kunit *test)
{
	static const long want[] = { HZ, 2 * HZ, 4 * HZ, BACKOFF_MAX,
				     BACKOFF_MAX };
	struct fake_owner *o = new_owner(test);
	unsigned int i;

	o->connect_ret = -EIO;
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		expire(o, &o->session.retry_at);
		run(o);
		KUNIT_EXPECT_EQ(test, o->connects, i + 1);
		KUNIT_EXPECT_EQ(test, xscore_session_state(&o->session),
				XSCORE_SESSION_DOWN);
		KUNIT_EXPECT_STREQ(test, o->down_why, "cannot connect");
		KUNIT_EXPECT_EQ(test, o->down_err, -EIO);
		expect_about(test, left(o->session.retry_at), want[i]);
	}
	stop(o);
}

static void no_reconnect_before_the_backoff_ends(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	o->connect_ret = -EIO;
	run(o);
	run(o);
	run(o);
	KUNIT_EXPECT_EQ(test, o->connects, 1U);
	stop(o);
}

static void connecting_past_its_deadline_fails(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	run(o);
	run(o);
	KUNIT_EXPECT_EQ(test, o->downs, 0U);
	expire(o, &o->session.connect_by);
	run(o);
	KUNIT_EXPECT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_DOWN);
	KUNIT_EXPECT_EQ(test, o->down_from, XSCORE_SESSION_CONNECTING);
	KUNIT_EXPECT_STREQ(test, o->down_why, "connection timed out");
	KUNIT_EXPECT_EQ(test, o->down_err, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, o->teardowns, 1U);
	stop(o);
}

static void opening_past_its_deadline_fails(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	o->connect_at_step = true;
	run(o);
	run(o);
	KUNIT_ASSERT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_OPENING);
	expect_about(test, left(o->session.open_by), 10 * HZ);
	run(o);
	KUNIT_EXPECT_EQ(test, o->downs, 0U);
	expire(o, &o->session.open_by);
	run(o);
	KUNIT_EXPECT_EQ(test, o->down_from, XSCORE_SESSION_OPENING);
	KUNIT_EXPECT_STREQ(test, o->down_why, "no answer");
	stop(o);
}

static void an_open_session_forgets_its_failures(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	o->connect_ret = -EIO;
	run(o);
	expire(o, &o->session.retry_at);
	run(o);
	KUNIT_EXPECT_EQ(test, o->session.failures, 2U);
	o->connect_ret = 0;
	expire(o, &o->session.retry_at);
	bring_up(test, o);
	KUNIT_EXPECT_EQ(test, o->session.failures, 0U);
	o->fail_why = "lost";
	run(o);
	expect_about(test, left(o->session.retry_at), HZ);
	stop(o);
}

static void an_up_session_has_no_periodic_tick(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	bring_up(test, o);
	run(o);
	KUNIT_EXPECT_FALSE(test, delayed_work_pending(&o->session.work));
	stop(o);
}

static void a_silent_peer_fails_the_session_at_its_deadline(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	bring_up(test, o);
	o->alive_at_step = true;
	run(o);
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&o->session.work));
	expect_about(test, left(o->session.work.timer.expires), 10 * HZ);
	o->alive_at_step = false;
	expire(o, &o->session.alive_by);
	run(o);
	KUNIT_EXPECT_EQ(test, o->down_from, XSCORE_SESSION_UP);
	KUNIT_EXPECT_STREQ(test, o->down_why, "peer silent");
	stop(o);
}

static void the_owners_timer_runs_the_work(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	bring_up(test, o);
	o->wake_in = 3 * HZ;
	run(o);
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&o->session.work));
	expect_about(test, left(o->session.work.timer.expires), 3 * HZ);
	/* Asked for in each step: one that does not ask has no timer. */
	o->wake_in = 0;
	run(o);
	KUNIT_EXPECT_FALSE(test, delayed_work_pending(&o->session.work));
	stop(o);
}

static void a_failure_in_the_step_tears_down_and_reports(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	bring_up(test, o);
	o->fail_why = "lost";
	run(o);
	KUNIT_EXPECT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_DOWN);
	KUNIT_EXPECT_EQ(test, o->teardowns, 1U);
	KUNIT_EXPECT_EQ(test, o->downs, 1U);
	KUNIT_EXPECT_EQ(test, o->down_from, XSCORE_SESSION_UP);
	KUNIT_EXPECT_EQ(test, o->down_err, -EPIPE);
	stop(o);
}

static void reset_reconnects_without_backoff(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);
	unsigned int connects;

	bring_up(test, o);
	connects = o->connects;
	xscore_session_reset(&o->session, "host reset");
	KUNIT_EXPECT_STREQ(test, o->down_why, "host reset");
	KUNIT_EXPECT_EQ(test, o->down_err, -ECONNRESET);
	flush_delayed_work(&o->session.work);
	KUNIT_EXPECT_EQ(test, o->connects, connects + 1);
	KUNIT_EXPECT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_CONNECTING);
	stop(o);
}

static void reset_of_a_down_session_skips_its_backoff(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);

	o->connect_ret = -EIO;
	run(o);
	run(o);
	KUNIT_EXPECT_EQ(test, o->connects, 1U);
	o->connect_ret = 0;
	xscore_session_reset(&o->session, "admin up");
	flush_delayed_work(&o->session.work);
	KUNIT_EXPECT_EQ(test, o->connects, 2U);
	/* Nothing was up to tear down or report. */
	KUNIT_EXPECT_EQ(test, o->downs, 1U);
	stop(o);
}

static void a_stopped_session_runs_no_op(struct kunit *test)
{
	struct fake_owner *o = new_owner(test);
	unsigned int steps, connects;

	bring_up(test, o);
	stop(o);
	KUNIT_EXPECT_EQ(test, xscore_session_state(&o->session),
			XSCORE_SESSION_STOPPED);
	KUNIT_EXPECT_EQ(test, o->teardowns, 1U);
	steps = o->steps;
	connects = o->connects;
	run(o);
	xscore_session_reset(&o->session, "late");
	flush_delayed_work(&o->session.work);
	KUNIT_EXPECT_EQ(test, o->steps, steps);
	KUNIT_EXPECT_EQ(test, o->connects, connects);
	KUNIT_EXPECT_EQ(test, o->teardowns, 1U);
	KUNIT_EXPECT_EQ(test, o->downs, 0U);
}

static int session_suite_init(struct kunit_suite *suite)
{
	return xscore_session_wq_init();
}

static void session_suite_exit(struct kunit_suite *suite)
{
	xscore_session_wq_exit();
}

static struct kunit_case session_cases[] = {
	KUNIT_CASE(session_starts_down_and_connects_on_the_first_kick),
	KUNIT_CASE(failures_back_off_doubling_up_to_the_maximum),
	KUNIT_CASE(no_reconnect_before_the_backoff_ends),
	KUNIT_CASE(connecting_past_its_deadline_fails),
	KUNIT_CASE(opening_past_its_deadline_fails),
	KUNIT_CASE(an_open_session_forgets_its_failures),
	KUNIT_CASE(an_up_session_has_no_periodic_tick),
	KUNIT_CASE(a_silent_peer_fails_the_session_at_its_deadline),
	KUNIT_CASE(the_owners_timer_runs_the_work),
	KUNIT_CASE(a_failure_in_the_step_tears_down_and_reports),
	KUNIT_CASE(reset_reconnects_without_backoff),
	KUNIT_CASE(reset_of_a_down_session_skips_its_backoff),
	KUNIT_CASE(a_stopped_session_runs_no_op),
	{}
};

static struct kunit_suite session_suite = {
	.name		= "xscore_session",
	.suite_init	= session_suite_init,
	.suite_exit	= session_suite_exit,
	.test_cases	= session_cases,
};

kunit_test_suite(session_suite);

MODULE_DESCRIPTION("KUnit tests of xscore's reconnecting session");
MODULE_LICENSE("Dual BSD/GPL");
