/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Differences between the kernels xsvhba builds against, bridged here so
 * that the driver reads as if written for the newest one.  Probe for a
 * feature where the kernel lets us; compare versions only where it does not.
 *
 * Identical from 6.1 to 6.12, so not bridged: auxiliary_driver.remove()
 * returns void, module_auxiliary_driver() and MODULE_DEVICE_TABLE(auxiliary)
 * exist.
 */
#ifndef _XSVHBA_COMPAT_H
#define _XSVHBA_COMPAT_H

#endif /* _XSVHBA_COMPAT_H */
