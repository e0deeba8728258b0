/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The checks xsvhba makes on what its FC card sends, as pure functions:
 * they read only the bytes and lengths they are given, so that the module
 * and its KUnit suite (xsvhba_check_test.c, built without ib_core or the
 * SCSI midlayer) compile the same code.  Each returns XSVHBA_CHECK_OK or
 * the first reason the message is refused.
 */
#ifndef _XSVHBA_CHECK_H
#define _XSVHBA_CHECK_H

#include <linux/types.h>
#include <xsigo/wire/xsvhba_card.h>

enum xsvhba_check {
	XSVHBA_CHECK_OK,
	/* data connection: status IOCBs */
	XSVHBA_CHECK_DATA_SHORT,	/* no room for an IOCB's first word */
	XSVHBA_CHECK_ENTRY_TYPE,	/* not an IOCB a card sends */
	XSVHBA_CHECK_STATUS_SHORT,	/* shorter than a status IOCB */
	XSVHBA_CHECK_STATUS_HANDLE,	/* names no command slot */
	XSVHBA_CHECK_RESIDUAL,		/* more left over than was asked */
	XSVHBA_CHECK_UNDERFLOW,		/* less moved than the command needs */
	/* control connection */
	XSVHBA_CHECK_CTRL_EMPTY,
	XSVHBA_CHECK_CTRL_TYPE,		/* not a message a card sends */
	XSVHBA_CHECK_ENABLE_SHORT,
	XSVHBA_CHECK_ENABLE_STATE,	/* ENABLE_RSP not asked for */
	XSVHBA_CHECK_PLINK_SHORT,
	XSVHBA_CHECK_TGT_STATUS_SHORT,
	XSVHBA_CHECK_DISC_SHORT,	/* shorter than its header */
	XSVHBA_CHECK_DISC_COUNT,	/* more targets than a vHBA takes */
	XSVHBA_CHECK_DISC_TRUNCATED,	/* fewer targets than it counts */
	/* the XCM's objects */
	XSVHBA_CHECK_REINSTALL_IDENTITY, /* INSTALL again as another vHBA */
};

/* Reasons and OK: the size of a table by reason. */
#define XSVHBA_CHECK_REASONS	(XSVHBA_CHECK_REINSTALL_IDENTITY + 1)

const char *xsvhba_check_name(enum xsvhba_check why);

/* What of a status IOCB's residual, response info and sense to use. */
struct xsvhba_status_lengths {
	u32 resid;	/* bytes not moved */
	u32 rsp_len;	/* bytes of response info before the sense */
	u32 sense_len;	/* bytes of sense to copy, at rsp_len in data */
};

enum xsvhba_check xsvhba_check_data(const void *data, u32 len);
enum xsvhba_check xsvhba_check_status(const void *iocb, u32 len,
				      u32 queue_depth);
enum xsvhba_check
xsvhba_check_status_lengths(const struct xsvhba_status_iocb *sts, u32 bufflen,
			    u32 underflow, bool host_ok, u32 sense_max,
			    struct xsvhba_status_lengths *out);

enum xsvhba_check xsvhba_check_ctrl(const void *data, u32 len);
enum xsvhba_check xsvhba_check_enable_rsp(u32 len, bool enabling);
enum xsvhba_check xsvhba_check_plink(u32 len);
enum xsvhba_check xsvhba_check_tgt_status(u32 len);
enum xsvhba_check xsvhba_check_disc_info(const void *data, u32 len,
					 bool first, unsigned int *count);

enum xsvhba_check xsvhba_check_reinstall(const void *installed,
					 const void *install);

#endif /* _XSVHBA_CHECK_H */
