/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel-version differences the FC gateway meets, in one place.
 */
#ifndef _XSFCGW_COMPAT_H
#define _XSFCGW_COMPAT_H

#include <linux/version.h>
#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

/*
 * 6.10 made submission a per-fabric choice (direct_submit_supp,
 * default_submit_type); before, target_submit_cmd() queued nothing.
 * The gateway submits from its completion work, where a direct
 * submission is fine either way.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define XSFCGW_FABRIC_SUBMIT_OPS \
	.direct_submit_supp = 1, \
	.default_submit_type = TARGET_DIRECT_SUBMIT,
#else
#define XSFCGW_FABRIC_SUBMIT_OPS
#endif

#endif /* _XSFCGW_COMPAT_H */
