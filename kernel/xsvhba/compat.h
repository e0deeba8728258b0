/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Differences between the kernels xsvhba builds against, bridged here so
 * that the driver reads as if written for the newest one.  Probe for a
 * feature where the kernel lets us; compare versions only where it does not.
 *
 * Identical from 6.1 to 7.2, so not bridged: auxiliary_driver.remove()
 * returns void, module_auxiliary_driver() and MODULE_DEVICE_TABLE(auxiliary)
 * exist.
 */
#ifndef _XSVHBA_COMPAT_H
#define _XSVHBA_COMPAT_H

#include <scsi/scsi.h>

/*
 * queuecommand returns enum scsi_qc_status on 7.x, whose members replaced
 * the SCSI_MLQUEUE_* macros: a macro still defined means the older int.
 */
#ifdef SCSI_MLQUEUE_HOST_BUSY
#define xsvhba_qc_status int
#else
#define xsvhba_qc_status enum scsi_qc_status
#endif

/*
 * 6.14 renamed the host template's per-device hooks (slave_* to sdev_*);
 * no macro tells, so Kbuild looks for the new name in scsi_host.h.
 */
#ifdef XSVHBA_HAVE_SDEV_INIT
#define xsvhba_sdev_init_hook sdev_init
#else
#define xsvhba_sdev_init_hook slave_alloc
#endif

#endif /* _XSVHBA_COMPAT_H */
