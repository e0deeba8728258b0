// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checks on what a host's vHBA sends the FC gateway: command IOCBs from its
 * ring, INIT_BLOCK and WRITE_INDEX_UPDATE.  Pure functions (see
 * xsfcgw_check.h); the callers count and refuse.
 */
#include <linux/string.h>
#include <asm/byteorder.h>

#include "xsfcgw_check.h"

/* Each 32-bit word byte-reversed: the FCP order of LUNs and CDBs. */
void xsfcgw_fcp_swap(u8 *dst, const u8 *src, unsigned int len)
{
	unsigned int i;

	for (i = 0; i + 4 <= len; i += 4) {
		dst[i] = src[i + 3];
		dst[i + 1] = src[i + 2];
		dst[i + 2] = src[i + 1];
		dst[i + 3] = src[i];
	}
}

/* A SAM LUN as Linux numbers it (scsilun_to_int()'s layout). */
static u64 xsfcgw_lun(const u8 *sam)
{
	u64 lun = 0;
	unsigned int i;

	for (i = 0; i < 8; i += 2)
		lun |= (u64)sam[i] << ((i + 1) * 8) | (u64)sam[i + 1] << (i * 8);
	return lun;
}

/**
 * xsfcgw_check_iocb() - check one command IOCB from a host's ring
 * @iocb: the IOCB, as read from the host
 * @slots: command slots of the vHBA (tags below this)
 * @max_xfer: the largest transfer the card takes
 * @info: what the IOCB says, filled as far as the checks got
 *
 * Return: XSFCGW_CHECK_OK, XSFCGW_CHECK_LUN (count it; the target core
 * refuses the LUN itself), or why the command must not run.
 */
enum xsfcgw_check xsfcgw_check_iocb(const struct xsvhba_cmd_iocb *iocb,
				    u32 slots, u32 max_xfer,
				    struct xsfcgw_iocb_info *info)
{
	u16 flags = le16_to_cpu(iocb->task_mgmt_flags);
	u8 lun[8];

	info->handle = le32_to_cpu(iocb->handle);
	info->tag = info->handle & XSVHBA_HANDLE_MASK;
	if (info->tag >= slots)
		return XSFCGW_CHECK_HANDLE;
	info->length = le32_to_cpu(iocb->byte_count);
	xsfcgw_fcp_swap(info->cdb, iocb->fcp_cdb, sizeof(info->cdb));
	xsfcgw_fcp_swap(lun, iocb->lun, sizeof(lun));
	info->lun = xsfcgw_lun(lun);
	info->dir = XSFCGW_DIR_NONE;
	if (iocb->entry_type != XSVHBA_ENTRY_TYPE_COMMAND)
		return XSFCGW_CHECK_ENTRY_TYPE;
	switch (flags & (XSVHBA_TASK_FLAG_READ_DATA |
			 XSVHBA_TASK_FLAG_WRITE_DATA)) {
	case XSVHBA_TASK_FLAG_READ_DATA:
		info->dir = XSFCGW_DIR_READ;
		break;
	case XSVHBA_TASK_FLAG_WRITE_DATA:
		info->dir = XSFCGW_DIR_WRITE;
		break;
	case 0:
		info->length = 0;	/* no data: the count means nothing */
		break;
	default:
		return XSFCGW_CHECK_DIRECTION;
	}
	if (info->dir != XSFCGW_DIR_NONE &&
	    (le16_to_cpu(iocb->dseg_count) > 1 || info->length > max_xfer))
		return XSFCGW_CHECK_SG;
	if (info->dir != XSFCGW_DIR_NONE &&
	    le32_to_cpu(iocb->dseg_0_len) < info->length)
		return XSFCGW_CHECK_SEGMENT;
	if (info->lun >= XSVHBA_MAX_LUNS)
		return XSFCGW_CHECK_LUN;
	return XSFCGW_CHECK_OK;
}

/* INIT_BLOCK: whole, 128-byte IOCBs, a ring of 1 to 1024 of them. */
enum xsfcgw_check xsfcgw_check_init_block(const void *msg, u32 len)
{
	const struct xsvhba_init_block *init = msg;
	u16 size;

	if (len < sizeof(*init))
		return XSFCGW_CHECK_INIT_SHORT;
	if (init->entry_size != XSVHBA_IOCB_SIZE)
		return XSFCGW_CHECK_INIT_ENTRY;
	size = le16_to_cpu(init->ring_size);
	if (!size || size > XSVHBA_RING_SIZE)
		return XSFCGW_CHECK_INIT_RING;
	return XSFCGW_CHECK_OK;
}

/* WRITE_INDEX_UPDATE: whole, inside a ring of ring_size (0: none yet). */
enum xsfcgw_check xsfcgw_check_write_index(const void *msg, u32 len,
					   u16 ring_size)
{
	const struct xsvhba_write_index *update = msg;

	if (len < sizeof(*update))
		return XSFCGW_CHECK_INDEX_SHORT;
	if (le16_to_cpu(update->write_index) >= ring_size)
		return XSFCGW_CHECK_INDEX_RANGE;
	return XSFCGW_CHECK_OK;
}
