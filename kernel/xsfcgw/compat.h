/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Kernel differences the FC gateway meets, in one place.  Kbuild probes
 * the headers (XSFCGW_HAVE_*): distribution kernels backport.
 */
#ifndef _XSFCGW_COMPAT_H
#define _XSFCGW_COMPAT_H

#include <target/target_core_base.h>
#include <target/target_core_fabric.h>

/*
 * 6.10 made submission a per-fabric choice (direct_submit_supp,
 * default_submit_type); before, target_submit() ran the command in the
 * caller's context.  The gateway submits from its completion work, where
 * running it there is fine either way.
 */
#ifdef XSFCGW_HAVE_DIRECT_SUBMIT
#define XSFCGW_FABRIC_SUBMIT_OPS \
	.direct_submit_supp = 1, \
	.default_submit_type = TARGET_DIRECT_SUBMIT,
#else
#define XSFCGW_FABRIC_SUBMIT_OPS
#endif

#endif /* _XSFCGW_COMPAT_H */
