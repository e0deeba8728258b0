// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checks on what a vHBA's FC card sends: status IOCBs on the data
 * connection, link and target reports on the control connection.  Pure
 * functions of the bytes given (xsvhba_check.h says why); the callers
 * count and drop.
 */
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#include <xsigo/wire/xsvhba.h>

#include "xsvhba_check.h"

/* As debugfs lists them (refusals), and the fuzz kinds name them. */
static const char *const xsvhba_check_names[XSVHBA_CHECK_REASONS] = {
	[XSVHBA_CHECK_OK]	= "ok",
	[XSVHBA_CHECK_DATA_SHORT]	= "data_short",
	[XSVHBA_CHECK_ENTRY_TYPE]	= "entry_type",
	[XSVHBA_CHECK_STATUS_SHORT]	= "status_short",
	[XSVHBA_CHECK_STATUS_HANDLE]	= "status_handle",
	[XSVHBA_CHECK_RESIDUAL]	= "residual",
	[XSVHBA_CHECK_UNDERFLOW]	= "underflow",
	[XSVHBA_CHECK_CTRL_EMPTY]	= "ctrl_empty",
	[XSVHBA_CHECK_CTRL_TYPE]	= "ctrl_type",
	[XSVHBA_CHECK_ENABLE_SHORT]	= "enable_short",
	[XSVHBA_CHECK_ENABLE_STATE]	= "enable_state",
	[XSVHBA_CHECK_PLINK_SHORT]	= "plink_short",
	[XSVHBA_CHECK_TGT_STATUS_SHORT]	= "tgt_status_short",
	[XSVHBA_CHECK_DISC_SHORT]	= "disc_short",
	[XSVHBA_CHECK_DISC_COUNT]	= "disc_count",
	[XSVHBA_CHECK_DISC_TRUNCATED]	= "disc_truncated",
	[XSVHBA_CHECK_REINSTALL_IDENTITY]	= "reinstall_identity",
};

/**
 * xsvhba_check_name() - a check's verdict as a word
 * @why: the verdict
 *
 * Return: its name, or "unknown" for a value past the enum.
 */
const char *xsvhba_check_name(enum xsvhba_check why)
{
	if ((unsigned int)why >= ARRAY_SIZE(xsvhba_check_names))
		return "unknown";
	return xsvhba_check_names[why];
}

/* One message on the data connection: a prefix, then an IOCB a card sends. */
enum xsvhba_check xsvhba_check_data(const void *data, u32 len)
{
	const u8 *iocb = data + XSVHBA_STATUS_PREFIX;

	if (len < XSVHBA_STATUS_PREFIX + 4)
		return XSVHBA_CHECK_DATA_SHORT;
	switch (iocb[0]) {
	case XSVHBA_ENTRY_TYPE_STATUS:
	case XSVHBA_ENTRY_TYPE_COMMAND:
	case XSVHBA_ENTRY_TYPE_ABORT:
	case XSVHBA_ENTRY_TYPE_STATUS_CONT:
		return XSVHBA_CHECK_OK;
	default:
		return XSVHBA_CHECK_ENTRY_TYPE;
	}
}

/* A whole status IOCB (len: what arrived of it) for one of the slots. */
enum xsvhba_check xsvhba_check_status(const void *iocb, u32 len,
				      u32 queue_depth)
{
	const struct xsvhba_status_iocb *sts = iocb;

	if (len < sizeof(*sts))
		return XSVHBA_CHECK_STATUS_SHORT;
	if ((le32_to_cpu(sts->handle) & XSVHBA_HANDLE_MASK) >= queue_depth)
		return XSVHBA_CHECK_STATUS_HANDLE;
	return XSVHBA_CHECK_OK;
}

/*
 * The residual, response info and sense of a status IOCB, every length
 * checked against the command's buffer (bufflen, of which underflow bytes
 * must move) and the IOCB's data; sense_max is the room for sense.  A
 * residual the buffer cannot have, or too little moved for a command the
 * card says went well (host_ok), is refused; the lengths in out are usable
 * either way.
 */
enum xsvhba_check
xsvhba_check_status_lengths(const struct xsvhba_status_iocb *sts, u32 bufflen,
			    u32 underflow, bool host_ok, u32 sense_max,
			    struct xsvhba_status_lengths *out)
{
	u16 scsi_status = le16_to_cpu(sts->scsi_status);
	enum xsvhba_check ret = XSVHBA_CHECK_OK;
	u32 resid = 0, rsp_len = 0, sense_len = 0;

	if (scsi_status & XSVHBA_SS_RESIDUAL_UNDER ||
	    le16_to_cpu(sts->comp_status) == XSVHBA_COMP_STATUS_DATA_UNDERRUN)
		resid = le32_to_cpu(sts->residual_len);
	if (resid > bufflen) {
		ret = XSVHBA_CHECK_RESIDUAL;
		resid = bufflen;
	}
	if (!ret && host_ok && resid && bufflen - resid < underflow &&
	    !(scsi_status & XSVHBA_SS_MASK))
		ret = XSVHBA_CHECK_UNDERFLOW;

	if (scsi_status & XSVHBA_SS_RESPONSE_INFO_VALID)
		rsp_len = le32_to_cpu(sts->rsp_data_len);
	if (scsi_status & XSVHBA_SS_SENSE_VALID)
		sense_len = le32_to_cpu(sts->sense_len);
	if (rsp_len > sizeof(sts->data))
		rsp_len = sizeof(sts->data);
	sense_len = min3(sense_len, (u32)sizeof(sts->data) - rsp_len, sense_max);

	out->resid = resid;
	out->rsp_len = rsp_len;
	out->sense_len = sense_len;
	return ret;
}

/* One control message: not empty, of a type a card sends. */
enum xsvhba_check xsvhba_check_ctrl(const void *data, u32 len)
{
	const u8 *type = data;

	if (!len)
		return XSVHBA_CHECK_CTRL_EMPTY;
	switch (*type) {
	case XSVHBA_CTRL_TYPE_ENABLE_RSP:
	case XSVHBA_CTRL_TYPE_PLINK_STATUS_UPDATE:
	case XSVHBA_CTRL_TYPE_DISC_INFO_UPDATE:
	case XSVHBA_CTRL_TYPE_DISC_INFO_CONT_UPDATE:
	case XSVHBA_CTRL_TYPE_TGT_STATUS_UPDATE:
	case XSVHBA_CTRL_TYPE_HEART_BEAT:
		return XSVHBA_CHECK_OK;
	default:
		return XSVHBA_CHECK_CTRL_TYPE;
	}
}

/* ENABLE_RSP: whole, and only while the host waits for it (enabling). */
enum xsvhba_check xsvhba_check_enable_rsp(u32 len, bool enabling)
{
	if (len < sizeof(struct xsvhba_enable_rsp))
		return XSVHBA_CHECK_ENABLE_SHORT;
	if (!enabling)
		return XSVHBA_CHECK_ENABLE_STATE;
	return XSVHBA_CHECK_OK;
}

enum xsvhba_check xsvhba_check_plink(u32 len)
{
	if (len < sizeof(struct xsvhba_plink_status))
		return XSVHBA_CHECK_PLINK_SHORT;
	return XSVHBA_CHECK_OK;
}

enum xsvhba_check xsvhba_check_tgt_status(u32 len)
{
	if (len < sizeof(struct xsvhba_tgt_status))
		return XSVHBA_CHECK_TGT_STATUS_SHORT;
	return XSVHBA_CHECK_OK;
}

/*
 * DISC_INFO_UPDATE (first) or DISC_INFO_CONT_UPDATE: a header, then the
 * targets it counts (returned in count), the count checked against the
 * length before any target is read.
 */
enum xsvhba_check xsvhba_check_disc_info(const void *data, u32 len,
					 bool first, unsigned int *count)
{
	u32 head = first ? sizeof(struct xsvhba_disc_info) :
		   sizeof(struct xsvhba_disc_cont);
	unsigned int n;

	if (len < head)
		return XSVHBA_CHECK_DISC_SHORT;
	n = first ?
	    be16_to_cpu(((const struct xsvhba_disc_info *)data)->target_count) :
	    be16_to_cpu(((const struct xsvhba_disc_cont *)data)->target_count);
	if (n > XSVHBA_MAX_TARGETS)
		return XSVHBA_CHECK_DISC_COUNT;
	if ((len - head) / sizeof(struct xsvhba_tgt_info) < n)
		return XSVHBA_CHECK_DISC_TRUNCATED;
	*count = n;
	return XSVHBA_CHECK_OK;
}

/*
 * An XCM's INSTALL of a vHBA that exists (after a reconnect): it must name
 * the same vHBA, WWN and card port; another identity under the same
 * resource id is refused, as an UPDATE that changes them is.
 */
enum xsvhba_check xsvhba_check_reinstall(const void *installed,
					 const void *install)
{
	const struct xsvhba_msg *a = installed, *b = install;

	if (a->wwn != b->wwn || a->tca_guid != b->tca_guid ||
	    memcmp(a->vh_name, b->vh_name, sizeof(a->vh_name)))
		return XSVHBA_CHECK_REINSTALL_IDENTITY;
	return XSVHBA_CHECK_OK;
}
