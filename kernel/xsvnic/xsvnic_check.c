// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checks on the control messages of a vNIC's I/O card.  Pure functions of
 * the bytes given (xsvnic_check.h says why); the caller counts and drops.
 */
#include <asm/byteorder.h>
#include <linux/string.h>
#include <xsigo/wire/xsvnic.h>
#include <xsigo/wire/xsvnic_card.h>

#include "xsvnic_check.h"

/* A control header, and no more after it than the message holds. */
enum xsvnic_check xsvnic_check_ctrl_length(const void *data, u32 len)
{
	const struct xsvnic_control_msg *msg = data;

	if (len < sizeof(*msg))
		return XSVNIC_CHECK_CTRL_SHORT;
	if (le16_to_cpu(msg->length) > len - sizeof(*msg))
		return XSVNIC_CHECK_CTRL_LENGTH;
	return XSVNIC_CHECK_OK;
}

/* The control messages a card sends a host. */
enum xsvnic_check xsvnic_check_ctrl_type(u8 type)
{
	switch (type) {
	case XSVNIC_CTRL_TYPE_START_RX_RESPONSE:
	case XSVNIC_CTRL_TYPE_LINK_UP:
	case XSVNIC_CTRL_TYPE_LINK_DOWN:
	case XSVNIC_CTRL_TYPE_MULTICAST_LIST_RESPONSE:
	case XSVNIC_CTRL_TYPE_HEART_BEAT:
	case XSVNIC_CTRL_TYPE_STATS_RESPONSE:
	case XSVNIC_CTRL_TYPE_VPORT_STATUS_UPDATE:
		return XSVNIC_CHECK_OK;
	default:
		return XSVNIC_CHECK_CTRL_TYPE;
	}
}

/*
 * An XCM's INSTALL of a vNIC that exists (after a reconnect): it must name
 * the same interface, MAC and card port; another identity under the same
 * resource id is refused, as an UPDATE that changes them is.
 */
enum xsvnic_check xsvnic_check_reinstall(const void *installed,
					 const void *install)
{
	const struct xsvnic_msg *a = installed, *b = install;

	if (a->tca_guid != b->tca_guid || a->mac_high != b->mac_high ||
	    a->mac_low != b->mac_low ||
	    memcmp(a->vnic_name, b->vnic_name, sizeof(a->vnic_name)))
		return XSVNIC_CHECK_REINSTALL_IDENTITY;
	return XSVNIC_CHECK_OK;
}
