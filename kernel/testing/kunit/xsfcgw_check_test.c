// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * KUnit cases for the FC gateway's checks (xsfcgw/xsfcgw_check.c): what a
 * host's vHBA sends the card.  Table driven: a good command IOCB, then one
 * case per kind of bad input the card refuses and counts; INIT_BLOCK and
 * WRITE_INDEX_UPDATE likewise.
 */
#include <kunit/test.h>
#include <xsigo/wire/xsvhba_card.h>

#include "xs_kunit.h"
#include "xsfcgw_check.h"

#define SLOTS		64
#define MAX_XFER	(2040 * 1024)
#define IOCB(field)	offsetof(struct xsvhba_cmd_iocb, field)
#define IOCB_LEN	sizeof(struct xsvhba_cmd_iocb)

/*
 * Every case starts from a READ of 4 KiB in one segment to LUN 0, and
 * changes up to two fields.
 */
static void good_read(u8 *buf)
{
	struct xsvhba_cmd_iocb *iocb = (struct xsvhba_cmd_iocb *)buf;

	iocb->entry_type = XSVHBA_ENTRY_TYPE_COMMAND;
	iocb->entry_count = 1;
	iocb->handle = cpu_to_le32(3);
	iocb->task_mgmt_flags = cpu_to_le16(XSVHBA_TASK_FLAG_READ_DATA);
	iocb->dseg_count = cpu_to_le16(1);
	iocb->byte_count = cpu_to_le32(4096);
	iocb->dseg_0_len = cpu_to_le32(4096);
}

struct iocb_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	int want;
};

static const struct iocb_case iocb_cases[] = {
	{ "read", {}, XSFCGW_CHECK_OK },
	{ "last_slot", { XS_LE32(IOCB(handle), SLOTS - 1) }, XSFCGW_CHECK_OK },
	{ "generation_above_the_tag", { XS_LE32(IOCB(handle), 0xfc00 | 5) },
	  XSFCGW_CHECK_OK },
	{ "no_data_any_count", { XS_LE16(IOCB(task_mgmt_flags), 0),
				 XS_LE32(IOCB(byte_count), 0xffffffff) },
	  XSFCGW_CHECK_OK },
	{ "largest_transfer", { XS_LE32(IOCB(byte_count), MAX_XFER),
				XS_LE32(IOCB(dseg_0_len), MAX_XFER) },
	  XSFCGW_CHECK_OK },
	{ "lun_255", { XS_U8(IOCB(lun) + 3, 0), XS_U8(IOCB(lun) + 2, 255) },
	  XSFCGW_CHECK_OK },

	{ "handle_past_the_slots", { XS_LE32(IOCB(handle), SLOTS) },
	  XSFCGW_CHECK_HANDLE },
	{ "handle_of_a_reset", { XS_LE32(IOCB(handle), XSVHBA_TMF_HANDLE - 1) },
	  XSFCGW_CHECK_HANDLE },
	{ "status_entry", { XS_U8(IOCB(entry_type), XSVHBA_ENTRY_TYPE_STATUS) },
	  XSFCGW_CHECK_ENTRY_TYPE },
	{ "data_both_ways", { XS_LE16(IOCB(task_mgmt_flags), 3) },
	  XSFCGW_CHECK_DIRECTION },
	{ "two_segments", { XS_LE16(IOCB(dseg_count), 2) }, XSFCGW_CHECK_SG },
	{ "past_the_largest_transfer",
	  { XS_LE32(IOCB(byte_count), MAX_XFER + 1),
	    XS_LE32(IOCB(dseg_0_len), MAX_XFER + 1) }, XSFCGW_CHECK_SG },
	{ "segment_short_of_the_count", { XS_LE32(IOCB(dseg_0_len), 4095) },
	  XSFCGW_CHECK_SEGMENT },
	/* LUN 300, flat space: 0x41 0x2c, each word byte-reversed */
	{ "lun_300", { XS_U8(IOCB(lun) + 3, 0x41), XS_U8(IOCB(lun) + 2, 0x2c) },
	  XSFCGW_CHECK_LUN },
};

KUNIT_ARRAY_PARAM_DESC(iocb, iocb_cases, name);

static void iocb_case(struct kunit *test)
{
	const struct iocb_case *c = test->param_value;
	struct xsfcgw_iocb_info info;
	u8 *buf;

	buf = kunit_kzalloc(test, IOCB_LEN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	good_read(buf);
	xs_poke(buf, c->poke);
	KUNIT_EXPECT_EQ(test, xsfcgw_check_iocb((void *)buf, SLOTS, MAX_XFER,
						&info), c->want);
}

/* The decoded fields of a good command: byte order, FCP swap, LUN. */
static void iocb_decoded(struct kunit *test)
{
	static const u8 read10[16] = { 0x28, 0, 0, 0, 0, 8, 0, 0, 1 };
	struct xsvhba_cmd_iocb *iocb;
	struct xsfcgw_iocb_info info;

	iocb = kunit_kzalloc(test, sizeof(*iocb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, iocb);
	good_read((u8 *)iocb);
	iocb->handle = cpu_to_le32(0x1c07);
	xsfcgw_fcp_swap(iocb->fcp_cdb, read10, sizeof(read10));
	iocb->lun[3] = 0;
	iocb->lun[2] = 7;
	KUNIT_ASSERT_EQ(test, xsfcgw_check_iocb(iocb, SLOTS, MAX_XFER, &info),
			XSFCGW_CHECK_OK);
	KUNIT_EXPECT_EQ(test, info.handle, 0x1c07);
	KUNIT_EXPECT_EQ(test, info.tag, 7);
	KUNIT_EXPECT_EQ(test, info.dir, XSFCGW_DIR_READ);
	KUNIT_EXPECT_EQ(test, info.length, 4096);
	KUNIT_EXPECT_EQ(test, info.lun, 7);
	KUNIT_EXPECT_MEMEQ(test, info.cdb, read10, sizeof(read10));
}

#define INIT(field)	offsetof(struct xsvhba_init_block, field)
#define INIT_LEN	sizeof(struct xsvhba_init_block)
#define INDEX(field)	offsetof(struct xsvhba_write_index, field)
#define INDEX_LEN	sizeof(struct xsvhba_write_index)

static const struct xs_case init_cases[] = {
	{ "ring", { XS_U8(INIT(entry_size), XSVHBA_IOCB_SIZE),
		    XS_LE16(INIT(ring_size), XSVHBA_RING_SIZE) }, INIT_LEN,
	  XSFCGW_CHECK_OK },
	{ "short", { XS_U8(INIT(entry_size), XSVHBA_IOCB_SIZE),
		     XS_LE16(INIT(ring_size), 8) }, INIT_LEN - 1,
	  XSFCGW_CHECK_INIT_SHORT },
	{ "entry_size_64", { XS_U8(INIT(entry_size), 64),
			     XS_LE16(INIT(ring_size), 8) }, INIT_LEN,
	  XSFCGW_CHECK_INIT_ENTRY },
	{ "no_ring", { XS_U8(INIT(entry_size), XSVHBA_IOCB_SIZE) }, INIT_LEN,
	  XSFCGW_CHECK_INIT_RING },
	{ "ring_past_1024", { XS_U8(INIT(entry_size), XSVHBA_IOCB_SIZE),
			      XS_LE16(INIT(ring_size), XSVHBA_RING_SIZE + 1) },
	  INIT_LEN, XSFCGW_CHECK_INIT_RING },
};

KUNIT_ARRAY_PARAM_DESC(init, init_cases, name);

static void init_case(struct kunit *test)
{
	const struct xs_case *c = test->param_value;
	u8 *buf = xs_case_buf(test, INIT_LEN, c->poke);

	KUNIT_EXPECT_EQ(test, xsfcgw_check_init_block(buf, c->len), c->want);
}

static const struct xs_case index_cases[] = {
	{ "last_entry", { XS_LE16(INDEX(write_index), 1023) }, INDEX_LEN,
	  XSFCGW_CHECK_OK },
	{ "short", { XS_LE16(INDEX(write_index), 1) }, INDEX_LEN - 1,
	  XSFCGW_CHECK_INDEX_SHORT },
	{ "past_the_ring", { XS_LE16(INDEX(write_index), 1024) }, INDEX_LEN,
	  XSFCGW_CHECK_INDEX_RANGE },
	{ "far_past_the_ring", { XS_LE16(INDEX(write_index), 5000) }, INDEX_LEN,
	  XSFCGW_CHECK_INDEX_RANGE },
};

KUNIT_ARRAY_PARAM_DESC(index, index_cases, name);

static void index_case(struct kunit *test)
{
	const struct xs_case *c = test->param_value;
	u8 *buf = xs_case_buf(test, INDEX_LEN, c->poke);

	KUNIT_EXPECT_EQ(test, xsfcgw_check_write_index(buf, c->len, 1024),
			c->want);
}

/* Before INIT_BLOCK there is no ring: every index is past it. */
static void index_without_a_ring(struct kunit *test)
{
	static const struct xs_poke zero[XS_POKES];
	u8 *buf = xs_case_buf(test, INDEX_LEN, zero);

	KUNIT_EXPECT_EQ(test, xsfcgw_check_write_index(buf, INDEX_LEN, 0),
			XSFCGW_CHECK_INDEX_RANGE);
}

static struct kunit_case xsfcgw_check_cases[] = {
	KUNIT_CASE_PARAM(iocb_case, iocb_gen_params),
	KUNIT_CASE(iocb_decoded),
	KUNIT_CASE_PARAM(init_case, init_gen_params),
	KUNIT_CASE_PARAM(index_case, index_gen_params),
	KUNIT_CASE(index_without_a_ring),
	{}
};

static struct kunit_suite xsfcgw_check_suite = {
	.name = "xsfcgw_check",
	.test_cases = xsfcgw_check_cases,
};

kunit_test_suites(&xsfcgw_check_suite);
