/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The checks the FC gateway makes on what a host's vHBA sends it, as pure
 * functions of the bytes and lengths given, so that the module and its
 * KUnit suite (built without ib_core or the target core) compile the same
 * code.  Each returns XSFCGW_CHECK_OK or the first reason the input is
 * refused; the callers count and refuse.
 */
#ifndef _XSFCGW_CHECK_H
#define _XSFCGW_CHECK_H

#include <linux/types.h>
#include <xsigo/wire/xsvhba_card.h>

enum xsfcgw_check {
	XSFCGW_CHECK_OK,
	/* a command IOCB */
	XSFCGW_CHECK_HANDLE,		/* a tag past the vHBA's slots */
	XSFCGW_CHECK_ENTRY_TYPE,	/* not a command */
	XSFCGW_CHECK_DIRECTION,		/* data both ways */
	XSFCGW_CHECK_SG,		/* more than one segment, or too big */
	XSFCGW_CHECK_SEGMENT,		/* the segment short of the byte count */
	XSFCGW_CHECK_LUN,		/* past 255: the target core refuses it */
	/* data connection messages */
	XSFCGW_CHECK_INIT_SHORT,
	XSFCGW_CHECK_INIT_ENTRY,	/* an IOCB size other than 128 */
	XSFCGW_CHECK_INIT_RING,		/* no ring, or one past 1024 entries */
	XSFCGW_CHECK_INDEX_SHORT,
	XSFCGW_CHECK_INDEX_RANGE,	/* past the ring, or no ring yet */
};

enum xsfcgw_dir {
	XSFCGW_DIR_NONE,
	XSFCGW_DIR_READ,		/* target to host */
	XSFCGW_DIR_WRITE,		/* host to target */
};

/* What a command IOCB says, decoded (valid as far as the check got). */
struct xsfcgw_iocb_info {
	u32 handle;
	u32 tag;
	enum xsfcgw_dir dir;
	u32 length;
	u64 lun;
	u8 cdb[16];
};

void xsfcgw_fcp_swap(u8 *dst, const u8 *src, unsigned int len);
enum xsfcgw_check xsfcgw_check_iocb(const struct xsvhba_cmd_iocb *iocb,
				    u32 slots, u32 max_xfer,
				    struct xsfcgw_iocb_info *info);
enum xsfcgw_check xsfcgw_check_init_block(const void *msg, u32 len);
enum xsfcgw_check xsfcgw_check_write_index(const void *msg, u32 len,
					   u16 ring_size);

#endif /* _XSFCGW_CHECK_H */
