// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * KUnit cases for xsvhba's checks (xsvhba/xsvhba_check.c): the status
 * IOCBs on a vHBA's data connection and the link and target reports on its
 * control connection.  Table driven: one case per reason a message is
 * refused (or a length cut to what it may be), and good messages.
 */
#include <kunit/test.h>
#include <xsigo/wire/xsvhba_card.h>

#include "xs_kunit.h"
#include "xsvhba_check.h"

#define QUEUE_DEPTH	32
#define STS(field)	(XSVHBA_STATUS_PREFIX + offsetof(struct xsvhba_status_iocb, field))
#define STS_LEN		sizeof(struct xsvhba_status_iocb)
#define DATA_LEN	(XSVHBA_STATUS_PREFIX + STS_LEN)

/* The checks in the order xsvhba_data_deliver() and xsvhba_status() make them. */
static enum xsvhba_check data_deliver(const u8 *data, u32 len)
{
	const u8 *iocb = data + XSVHBA_STATUS_PREFIX;
	enum xsvhba_check ret;

	ret = xsvhba_check_data(data, len);
	if (ret)
		return ret;
	if (iocb[0] != XSVHBA_ENTRY_TYPE_STATUS && iocb[0] != XSVHBA_ENTRY_TYPE_COMMAND)
		return XSVHBA_CHECK_OK;
	return xsvhba_check_status(iocb, len - XSVHBA_STATUS_PREFIX, QUEUE_DEPTH);
}

#define ENTRY(t)	XS_U8(STS(entry_type), XSVHBA_ENTRY_TYPE_##t)

static const struct xs_case data_cases[] = {
	{ "status", { ENTRY(STATUS) }, DATA_LEN, XSVHBA_CHECK_OK },
	{ "command_not_executed", { ENTRY(COMMAND) }, DATA_LEN, XSVHBA_CHECK_OK },
	{ "abort", { ENTRY(ABORT) }, XSVHBA_STATUS_PREFIX + 4, XSVHBA_CHECK_OK },
	{ "status_continuation", { ENTRY(STATUS_CONT) }, XSVHBA_STATUS_PREFIX + 4,
	  XSVHBA_CHECK_OK },
	{ "last_slot", { ENTRY(STATUS), XS_LE32(STS(handle), QUEUE_DEPTH - 1) }, DATA_LEN,
	  XSVHBA_CHECK_OK },
	{ "handle_with_high_bits", { ENTRY(STATUS), XS_LE32(STS(handle), 0x5400 | 7) },
	  DATA_LEN, XSVHBA_CHECK_OK },

	{ "empty", { ENTRY(STATUS) }, 0, XSVHBA_CHECK_DATA_SHORT },
	{ "no_room_for_a_word", { ENTRY(ABORT) }, XSVHBA_STATUS_PREFIX + 3,
	  XSVHBA_CHECK_DATA_SHORT },
	{ "entry_type_unknown", { XS_U8(STS(entry_type), 0x55) }, DATA_LEN,
	  XSVHBA_CHECK_ENTRY_TYPE },
	{ "status_short", { ENTRY(STATUS) }, DATA_LEN - 1, XSVHBA_CHECK_STATUS_SHORT },
	{ "command_short", { ENTRY(COMMAND) }, XSVHBA_STATUS_PREFIX + 4,
	  XSVHBA_CHECK_STATUS_SHORT },
	{ "handle_past_the_queue", { ENTRY(STATUS), XS_LE32(STS(handle), QUEUE_DEPTH) },
	  DATA_LEN, XSVHBA_CHECK_STATUS_HANDLE },
	{ "handle_of_a_reset", { ENTRY(STATUS), XS_LE32(STS(handle), XSVHBA_TMF_HANDLE - 1) },
	  DATA_LEN, XSVHBA_CHECK_STATUS_HANDLE },
};

KUNIT_ARRAY_PARAM_DESC(data, data_cases, name);

static void data_deliver_case(struct kunit *test)
{
	const struct xs_case *c = test->param_value;
	u8 *data = xs_case_buf(test, DATA_LEN, c->poke);

	KUNIT_EXPECT_EQ(test, (int)data_deliver(data, c->len), c->want);
}

/* Residual, response info and sense of a status IOCB for a 4 KiB command. */
#define BUFFLEN		4096
#define SENSE_MAX	96
#define IOCB(field)	offsetof(struct xsvhba_status_iocb, field)
#define SS(bits)	XS_LE16(IOCB(scsi_status), (bits))
#define DATA		sizeof_field(struct xsvhba_status_iocb, data)

struct lengths_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	u16 comp_status;
	u32 underflow;
	u32 sense_max;
	enum xsvhba_check want;
	struct xsvhba_status_lengths out;
};

static const struct lengths_case lengths_cases[] = {
	{ "complete", {}, XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK },
	{ "residual_under", { SS(XSVHBA_SS_RESIDUAL_UNDER), XS_LE32(IOCB(residual_len), 512) },
	  XSVHBA_COMP_STATUS_COMPLETE, 0, SENSE_MAX, XSVHBA_CHECK_OK, { 512, 0, 0 } },
	{ "residual_of_an_underrun", { XS_LE32(IOCB(residual_len), BUFFLEN) },
	  XSVHBA_COMP_STATUS_DATA_UNDERRUN, 0, SENSE_MAX, XSVHBA_CHECK_OK, { BUFFLEN, 0, 0 } },
	{ "residual_not_flagged", { XS_LE32(IOCB(residual_len), 512) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK },
	{ "underflow_with_scsi_status",
	  { SS(XSVHBA_SS_RESIDUAL_UNDER | 0x02), XS_LE32(IOCB(residual_len), 512) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK, { 512, 0, 0 } },
	{ "underflow_of_a_failed_command",
	  { SS(XSVHBA_SS_RESIDUAL_UNDER), XS_LE32(IOCB(residual_len), 512) },
	  XSVHBA_COMP_STATUS_RESET, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK, { 512, 0, 0 } },
	{ "response_and_sense", { SS(XSVHBA_SS_RESPONSE_INFO_VALID | XSVHBA_SS_SENSE_VALID |
				     0x02), XS_LE32(IOCB(rsp_data_len), 16) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK, { 0, 16, 12 } },

	{ "residual_past_the_buffer",
	  { SS(XSVHBA_SS_RESIDUAL_UNDER), XS_LE32(IOCB(residual_len), BUFFLEN + 1) },
	  XSVHBA_COMP_STATUS_COMPLETE, 0, SENSE_MAX, XSVHBA_CHECK_RESIDUAL, { BUFFLEN, 0, 0 } },
	{ "underrun_past_the_buffer", { XS_LE32(IOCB(residual_len), 0xffffffff) },
	  XSVHBA_COMP_STATUS_DATA_UNDERRUN, 0, SENSE_MAX, XSVHBA_CHECK_RESIDUAL,
	  { BUFFLEN, 0, 0 } },
	{ "underflow", { SS(XSVHBA_SS_RESIDUAL_UNDER), XS_LE32(IOCB(residual_len), 1) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_UNDERFLOW, { 1, 0, 0 } },
	{ "response_past_the_data",
	  { SS(XSVHBA_SS_RESPONSE_INFO_VALID), XS_LE32(IOCB(rsp_data_len), DATA + 1) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK, { 0, DATA, 0 } },
	{ "sense_past_the_data", { SS(XSVHBA_SS_SENSE_VALID), XS_LE32(IOCB(sense_len), DATA + 1) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK, { 0, 0, DATA } },
	{ "sense_past_its_room", { SS(XSVHBA_SS_SENSE_VALID), XS_LE32(IOCB(sense_len), 20) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, 10, XSVHBA_CHECK_OK, { 0, 0, 10 } },
	{ "sense_not_flagged", { XS_LE32(IOCB(sense_len), 20) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK },
	{ "response_not_flagged", { SS(XSVHBA_SS_SENSE_VALID), XS_LE32(IOCB(rsp_data_len), 8) },
	  XSVHBA_COMP_STATUS_COMPLETE, BUFFLEN, SENSE_MAX, XSVHBA_CHECK_OK, { 0, 0, 20 } },
};

KUNIT_ARRAY_PARAM_DESC(lengths, lengths_cases, name);

static void status_lengths_case(struct kunit *test)
{
	const struct lengths_case *c = test->param_value;
	struct xsvhba_status_lengths out;
	struct xsvhba_status_iocb *sts;
	bool host_ok;

	sts = kunit_kzalloc(test, sizeof(*sts), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sts);
	sts->entry_type = XSVHBA_ENTRY_TYPE_STATUS;
	sts->comp_status = cpu_to_le16(c->comp_status);
	sts->sense_len = cpu_to_le32(20);
	xs_poke((u8 *)sts, c->poke);
	/* What xsvhba_host_byte() maps to DID_OK. */
	host_ok = c->comp_status == XSVHBA_COMP_STATUS_COMPLETE ||
		  c->comp_status == XSVHBA_COMP_STATUS_DATA_UNDERRUN;
	KUNIT_EXPECT_EQ(test, xsvhba_check_status_lengths(sts, BUFFLEN, c->underflow, host_ok,
							  c->sense_max, &out), c->want);
	KUNIT_EXPECT_EQ(test, out.resid, c->out.resid);
	KUNIT_EXPECT_EQ(test, out.rsp_len, c->out.rsp_len);
	KUNIT_EXPECT_EQ(test, out.sense_len, c->out.sense_len);
}

static struct kunit_case xsvhba_status_cases[] = {
	KUNIT_CASE_PARAM(data_deliver_case, data_gen_params),
	KUNIT_CASE_PARAM(status_lengths_case, lengths_gen_params),
	{}
};

static struct kunit_suite xsvhba_status_suite = {
	.name = "xsvhba_status",
	.test_cases = xsvhba_status_cases,
};

/* Control messages; a DISC_INFO_UPDATE with room for two targets and an FC id. */
#define TGT		sizeof(struct xsvhba_tgt_info)
#define DISC		sizeof(struct xsvhba_disc_info)
#define CONT		sizeof(struct xsvhba_disc_cont)
#define CTRL_LEN	(DISC + 2 * TGT + 4)
#define DISC_COUNT	offsetof(struct xsvhba_disc_info, target_count)
#define CONT_COUNT	offsetof(struct xsvhba_disc_cont, target_count)

/* The checks in the order xsvhba_ctrl_deliver() and its handlers make them. */
static enum xsvhba_check ctrl_deliver(const u8 *data, u32 len, bool enabling,
				      unsigned int *count)
{
	enum xsvhba_check ret;

	ret = xsvhba_check_ctrl(data, len);
	if (ret)
		return ret;
	switch (data[0]) {
	case XSVHBA_CTRL_TYPE_ENABLE_RSP:
		return xsvhba_check_enable_rsp(len, enabling);
	case XSVHBA_CTRL_TYPE_PLINK_STATUS_UPDATE:
		return xsvhba_check_plink(len);
	case XSVHBA_CTRL_TYPE_DISC_INFO_UPDATE:
		return xsvhba_check_disc_info(data, len, true, count);
	case XSVHBA_CTRL_TYPE_DISC_INFO_CONT_UPDATE:
		return xsvhba_check_disc_info(data, len, false, count);
	case XSVHBA_CTRL_TYPE_TGT_STATUS_UPDATE:
		return xsvhba_check_tgt_status(len);
	default:
		return XSVHBA_CHECK_OK;
	}
}

/*
 * The state of a control case is whether an ENABLE answer is awaited; its
 * count, the targets a discovery update lists when want is OK.
 */

#define CTYPE(t)	XS_U8(0, XSVHBA_CTRL_TYPE_##t)

static const struct xs_state_case ctrl_cases[] = {
	{ "heart_beat", { CTYPE(HEART_BEAT) }, 1, false, XSVHBA_CHECK_OK },
	{ "enable_rsp", { CTYPE(ENABLE_RSP) }, sizeof(struct xsvhba_enable_rsp), true,
	  XSVHBA_CHECK_OK },
	{ "plink", { CTYPE(PLINK_STATUS_UPDATE) }, sizeof(struct xsvhba_plink_status), false,
	  XSVHBA_CHECK_OK },
	{ "tgt_status", { CTYPE(TGT_STATUS_UPDATE) }, sizeof(struct xsvhba_tgt_status), false,
	  XSVHBA_CHECK_OK },
	{ "disc_info_two_targets", { CTYPE(DISC_INFO_UPDATE), XS_BE16(DISC_COUNT, 2) },
	  DISC + 2 * TGT, false, XSVHBA_CHECK_OK, 2 },
	{ "disc_info_with_fc_id", { CTYPE(DISC_INFO_UPDATE), XS_BE16(DISC_COUNT, 2) },
	  CTRL_LEN, false, XSVHBA_CHECK_OK, 2 },
	{ "disc_info_no_target", { CTYPE(DISC_INFO_UPDATE) }, DISC, false, XSVHBA_CHECK_OK, 0 },
	{ "disc_cont_one_target", { CTYPE(DISC_INFO_CONT_UPDATE), XS_BE16(CONT_COUNT, 1) },
	  CONT + TGT, false, XSVHBA_CHECK_OK, 1 },

	{ "empty", { CTYPE(HEART_BEAT) }, 0, false, XSVHBA_CHECK_CTRL_EMPTY },
	{ "type_of_a_host", { CTYPE(ENABLE_VHBA_Q) }, CTRL_LEN, false, XSVHBA_CHECK_CTRL_TYPE },
	{ "type_unknown", { XS_U8(0, 0xee) }, CTRL_LEN, false, XSVHBA_CHECK_CTRL_TYPE },
	{ "enable_rsp_short", { CTYPE(ENABLE_RSP) }, sizeof(struct xsvhba_enable_rsp) - 1, true,
	  XSVHBA_CHECK_ENABLE_SHORT },
	{ "enable_rsp_not_asked", { CTYPE(ENABLE_RSP) }, sizeof(struct xsvhba_enable_rsp), false,
	  XSVHBA_CHECK_ENABLE_STATE },
	{ "plink_short", { CTYPE(PLINK_STATUS_UPDATE) }, sizeof(struct xsvhba_plink_status) - 1,
	  false, XSVHBA_CHECK_PLINK_SHORT },
	{ "tgt_status_short", { CTYPE(TGT_STATUS_UPDATE) }, sizeof(struct xsvhba_tgt_status) - 1,
	  false, XSVHBA_CHECK_TGT_STATUS_SHORT },
	{ "disc_info_short", { CTYPE(DISC_INFO_UPDATE) }, DISC - 1, false,
	  XSVHBA_CHECK_DISC_SHORT },
	{ "disc_cont_short", { CTYPE(DISC_INFO_CONT_UPDATE) }, CONT - 1, false,
	  XSVHBA_CHECK_DISC_SHORT },
	{ "disc_info_too_many_targets",
	  { CTYPE(DISC_INFO_UPDATE), XS_BE16(DISC_COUNT, XSVHBA_MAX_TARGETS + 1) },
	  CTRL_LEN, false, XSVHBA_CHECK_DISC_COUNT },
	{ "disc_cont_too_many_targets",
	  { CTYPE(DISC_INFO_CONT_UPDATE), XS_BE16(CONT_COUNT, 0xffff) },
	  CTRL_LEN, false, XSVHBA_CHECK_DISC_COUNT },
	{ "disc_info_truncated", { CTYPE(DISC_INFO_UPDATE), XS_BE16(DISC_COUNT, 2) },
	  DISC + 2 * TGT - 1, false, XSVHBA_CHECK_DISC_TRUNCATED },
	{ "disc_cont_truncated", { CTYPE(DISC_INFO_CONT_UPDATE), XS_BE16(CONT_COUNT, 2) },
	  CONT + TGT, false, XSVHBA_CHECK_DISC_TRUNCATED },
};

KUNIT_ARRAY_PARAM_DESC(ctrl, ctrl_cases, name);

static void ctrl_deliver_case(struct kunit *test)
{
	const struct xs_state_case *c = test->param_value;
	unsigned int count = UINT_MAX;
	u8 *data;

	data = kunit_kzalloc(test, CTRL_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, data);
	xs_poke(data, c->poke);
	KUNIT_EXPECT_EQ(test, ctrl_deliver(data, c->len, c->state, &count), c->want);
	if (c->want == XSVHBA_CHECK_OK && (data[0] == XSVHBA_CTRL_TYPE_DISC_INFO_UPDATE ||
					   data[0] == XSVHBA_CTRL_TYPE_DISC_INFO_CONT_UPDATE))
		KUNIT_EXPECT_EQ(test, count, c->count);
}

static struct kunit_case xsvhba_ctrl_cases[] = {
	KUNIT_CASE_PARAM(ctrl_deliver_case, ctrl_gen_params),
	{}
};

static struct kunit_suite xsvhba_ctrl_suite = {
	.name = "xsvhba_ctrl",
	.test_cases = xsvhba_ctrl_cases,
};

kunit_test_suites(&xsvhba_status_suite, &xsvhba_ctrl_suite);
