/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Differences between the kernels xsconn builds against, bridged here so
 * that the library reads as if written for the newest one.
 */
#ifndef _XSCONN_COMPAT_H
#define _XSCONN_COMPAT_H

/*
 * 6.10 dropped __assign_str()'s source argument (the string given to
 * __string() is copied).  No macro tells a macro's arity, so Kbuild looks
 * for the one-argument definition in the trace stage headers.
 */
#ifdef XSCONN_ASSIGN_STR_ONE_ARG
#define xsconn_assign_str(dst, src)	__assign_str(dst)
#else
#define xsconn_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * hex2bin() moved from kernel.h to hex.h, which kernel.h stopped including
 * by 7.2; Kbuild looks for hex.h (sparse 0.6.4 cannot parse
 * __has_include).
 */
#ifdef XSCONN_HAVE_HEX_H
#include <linux/hex.h>
#else
#include <linux/kernel.h>
#endif

#endif /* _XSCONN_COMPAT_H */
