// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * KUnit cases for xsvnic's checks (xsvnic/xsvnic_check.c): the control
 * messages of a vNIC's I/O card.  Table driven: one case per reason a
 * message is refused, and each message a card may send.
 */
#include <kunit/test.h>
#include <xsigo/wire/xsvnic.h>
#include <xsigo/wire/xsvnic_card.h>

#include "xs_kunit.h"
#include "xsvnic_check.h"

#define CTRL(field)	offsetof(struct xsvnic_control_msg, field)
#define HEAD		sizeof(struct xsvnic_control_msg)
#define LIST		16
#define MSG_LEN		(HEAD + LIST)

/* The checks in the order xsvnic_ctrl_deliver() makes them. */
static enum xsvnic_check ctrl_deliver(const u8 *data, u32 len)
{
	const struct xsvnic_control_msg *msg = (const void *)data;
	enum xsvnic_check ret;

	ret = xsvnic_check_ctrl_length(data, len);
	if (ret)
		return ret;
	return xsvnic_check_ctrl_type(msg->type);
}

#define TYPE(t)		XS_U8(CTRL(type), XSVNIC_CTRL_TYPE_##t)

static const struct xs_case ctrl_cases[] = {
	{ "link_up", { TYPE(LINK_UP) }, HEAD, XSVNIC_CHECK_OK },
	{ "link_down", { TYPE(LINK_DOWN) }, HEAD, XSVNIC_CHECK_OK },
	{ "start_rx_response", { TYPE(START_RX_RESPONSE) }, HEAD, XSVNIC_CHECK_OK },
	{ "multicast_list_response", { TYPE(MULTICAST_LIST_RESPONSE) }, HEAD, XSVNIC_CHECK_OK },
	{ "heart_beat", { TYPE(HEART_BEAT) }, HEAD, XSVNIC_CHECK_OK },
	{ "stats_response", { TYPE(STATS_RESPONSE) }, HEAD, XSVNIC_CHECK_OK },
	{ "vport_status_update", { TYPE(VPORT_STATUS_UPDATE) }, HEAD, XSVNIC_CHECK_OK },
	{ "list_as_long_as_sent", { TYPE(STATS_RESPONSE), XS_LE16(CTRL(length), LIST) }, MSG_LEN,
	  XSVNIC_CHECK_OK },
	{ "list_shorter_than_sent", { TYPE(STATS_RESPONSE), XS_LE16(CTRL(length), 1) }, MSG_LEN,
	  XSVNIC_CHECK_OK },

	{ "empty", { TYPE(LINK_UP) }, 0, XSVNIC_CHECK_CTRL_SHORT },
	{ "shorter_than_header", { TYPE(LINK_UP) }, HEAD - 1, XSVNIC_CHECK_CTRL_SHORT },
	{ "list_longer_than_sent", { TYPE(STATS_RESPONSE), XS_LE16(CTRL(length), LIST + 1) },
	  MSG_LEN, XSVNIC_CHECK_CTRL_LENGTH },
	{ "list_without_bytes", { TYPE(LINK_UP), XS_LE16(CTRL(length), 0xffff) }, HEAD,
	  XSVNIC_CHECK_CTRL_LENGTH },
	{ "type_zero", { XS_U8(CTRL(type), 0) }, HEAD, XSVNIC_CHECK_CTRL_TYPE },
	{ "type_of_a_host", { TYPE(START_RX) }, HEAD, XSVNIC_CHECK_CTRL_TYPE },
	{ "type_past_the_last", { XS_U8(CTRL(type), XSVNIC_CTRL_TYPE_HEART_BEAT + 1) }, HEAD,
	  XSVNIC_CHECK_CTRL_TYPE },
};

KUNIT_ARRAY_PARAM_DESC(ctrl, ctrl_cases, name);

static void ctrl_deliver_case(struct kunit *test)
{
	const struct xs_case *c = test->param_value;
	u8 *msg = xs_case_buf(test, MSG_LEN, c->poke);

	KUNIT_EXPECT_EQ(test, (int)ctrl_deliver(msg, c->len), c->want);
}

#define VNIC(field)	offsetof(struct xsvnic_msg, field)

/* An INSTALL repeated for a vNIC that exists: len unused. */
static const struct xs_case reinstall_cases[] = {
	{ "same", {}, 0, XSVNIC_CHECK_OK },
	{ "other_mtu", { XS_BE16(VNIC(vn_mtu), 1500) }, 0, XSVNIC_CHECK_OK },
	{ "other_mac_high", { XS_BE16(VNIC(mac_high), 0x1234) }, 0,
	  XSVNIC_CHECK_REINSTALL_IDENTITY },
	{ "other_mac_low", { XS_BE32(VNIC(mac_low), 0x12345678) }, 0,
	  XSVNIC_CHECK_REINSTALL_IDENTITY },
	{ "other_card", { XS_BE64(VNIC(tca_guid), 1) }, 0, XSVNIC_CHECK_REINSTALL_IDENTITY },
	{ "other_name", { XS_U8(VNIC(vnic_name) + 15, 0) }, 0, XSVNIC_CHECK_REINSTALL_IDENTITY },
};

KUNIT_ARRAY_PARAM_DESC(reinstall, reinstall_cases, name);

static void reinstall_case(struct kunit *test)
{
	const struct xs_case *c = test->param_value;
	u8 *installed, *install;

	install = xs_repeat_buf(test, sizeof(struct xsvnic_msg), c->poke, &installed);
	KUNIT_EXPECT_EQ(test, (int)xsvnic_check_reinstall(installed, install), c->want);
}

static struct kunit_case xsvnic_ctrl_cases[] = {
	KUNIT_CASE_PARAM(ctrl_deliver_case, ctrl_gen_params),
	KUNIT_CASE_PARAM(reinstall_case, reinstall_gen_params),
	{}
};

static struct kunit_suite xsvnic_ctrl_suite = {
	.name = "xsvnic_ctrl",
	.test_cases = xsvnic_ctrl_cases,
};

kunit_test_suite(xsvnic_ctrl_suite);
