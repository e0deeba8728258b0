/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Differences between the kernels xscore builds against, bridged here so
 * that the driver reads as if written for the newest one.  Probe for a
 * feature where the kernel lets us; compare versions only where it does not.
 *
 * Identical from 6.1 to 6.12, so not bridged: ib_client.add() returns int,
 * rdma_for_each_port() iterates a u32, ib_register_event_handler() cannot
 * fail.
 */
#ifndef _XSCORE_COMPAT_H
#define _XSCORE_COMPAT_H

#include <linux/compiler.h>

/*
 * __counted_by() reached 6.1 through the stable series; the 6.1 releases
 * before that backport lack it.  Without it the bound check is merely lost.
 */
#ifndef __counted_by
#define __counted_by(member)
#endif

/*
 * 6.10 dropped __assign_str()'s source argument (the string given to
 * __string() is copied).  No macro tells a macro's arity, so Kbuild looks
 * for the one-argument definition in the trace stage headers.
 */
#ifdef XSCORE_ASSIGN_STR_ONE_ARG
#define xscore_assign_str(dst, src)	__assign_str(dst)
#else
#define xscore_assign_str(dst, src)	__assign_str(dst, src)
#endif

#endif /* _XSCORE_COMPAT_H */
