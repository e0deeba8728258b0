/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The checks xsvnic makes on what its I/O card and the XCM send, as pure functions:
 * they read only the bytes and lengths they are given, so that the module
 * and its KUnit suite (xsvnic_check_test.c, built without ib_core) compile
 * the same code.  Each returns XSVNIC_CHECK_OK or the reason the message
 * is refused.
 */
#ifndef _XSVNIC_CHECK_H
#define _XSVNIC_CHECK_H

#include <linux/types.h>

enum xsvnic_check {
	XSVNIC_CHECK_OK,
	XSVNIC_CHECK_CTRL_SHORT,	/* shorter than the control header */
	XSVNIC_CHECK_CTRL_LENGTH,	/* says more follows than arrived */
	XSVNIC_CHECK_CTRL_TYPE,		/* not a message a card sends */
	XSVNIC_CHECK_REINSTALL_IDENTITY, /* INSTALL again as another vNIC */
};

enum xsvnic_check xsvnic_check_ctrl_length(const void *data, u32 len);
enum xsvnic_check xsvnic_check_ctrl_type(u8 type);
enum xsvnic_check xsvnic_check_reinstall(const void *installed,
					 const void *install);

#endif /* _XSVNIC_CHECK_H */
