/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Public interface of xscore for the Xsigo virtual I/O service drivers.
 *
 * xscore creates one auxiliary device per virtual device that a
 * configuration manager installs on this server: "xscore.vnic.<id>" for a
 * virtual NIC, "xscore.vhba.<id>" for a virtual HBA.  The service drivers
 * bind to them by these names.
 */
#ifndef _XSIGO_XSCORE_H
#define _XSIGO_XSCORE_H

#define XSCORE_MODNAME		"xscore"
#define XSCORE_AUXDEV_VNIC	"vnic"
#define XSCORE_AUXDEV_VHBA	"vhba"

#define XSCORE_AUXDEV_ID(kind)	XSCORE_MODNAME "." kind

#endif /* _XSIGO_XSCORE_H */
