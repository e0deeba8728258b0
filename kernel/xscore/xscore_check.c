// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Checks on what the fabric sends xscore: XSMP messages, the VNIC and VHBA
 * objects they carry, and the answers of discovery.  Pure functions of the
 * bytes given (xscore_check.h says why); the callers count and drop.
 */
#include <linux/ctype.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#include <xsigo/wire/ib_mad.h>

#include "xscore_check.h"

/*
 * The header of a message that arrived on a link: its length against what
 * arrived, its addressing and its class.
 */
enum xscore_check xscore_xsmp_check_header(const void *data, u32 len,
					   u64 own_guid, u64 xcm_guid)
{
	const struct xsmp_message_header *hdr = data;

	if (len < sizeof(*hdr))
		return XSCORE_CHECK_XSMP_SHORT;
	if (be16_to_cpu(hdr->length) != len)
		return XSCORE_CHECK_XSMP_LENGTH;
	if (be64_to_cpu(hdr->dest_id.primary) != own_guid)
		return XSCORE_CHECK_XSMP_DEST;
	if (be64_to_cpu(hdr->source_id.primary) != xcm_guid)
		return XSCORE_CHECK_XSMP_SOURCE;
	if (hdr->type < XSMP_CLASS_SESSION || hdr->type > XSMP_CLASS_XVE)
		return XSCORE_CHECK_XSMP_CLASS;
	return XSCORE_CHECK_OK;
}

/*
 * What follows a good header: configuration only from a registered XCM
 * (up), a session message as one whole session object.  Classes no driver
 * here serves pass; the caller counts them.
 */
enum xscore_check xscore_xsmp_check_body(const void *data, u32 len, bool up)
{
	const struct xsmp_message_header *hdr = data;
	const struct xsmp_session_msg *msg = (const void *)(hdr + 1);

	if (hdr->type == XSMP_CLASS_VNIC || hdr->type == XSMP_CLASS_VHBA) {
		if (!up)
			return XSCORE_CHECK_XSMP_UNREGISTERED;
		return XSCORE_CHECK_OK;
	}
	if (hdr->type != XSMP_CLASS_SESSION)
		return XSCORE_CHECK_OK;
	if (len != XSMP_SESSION_MSG_LEN)
		return XSCORE_CHECK_SESSION_LENGTH;
	if (be16_to_cpu(msg->length) != sizeof(*msg))
		return XSCORE_CHECK_SESSION_OBJECT_LENGTH;
	return XSCORE_CHECK_OK;
}

/* The session messages a host takes: REG_CONFIRM until up, HELLO once up. */
enum xscore_check xscore_xsmp_check_session_type(u8 type, bool up)
{
	switch (type) {
	case XSMP_SESSION_TYPE_REG_CONFIRM:
		if (up)
			return XSCORE_CHECK_SESSION_STATE;
		return XSCORE_CHECK_OK;
	case XSMP_SESSION_TYPE_HELLO:
		if (!up)
			return XSCORE_CHECK_SESSION_STATE;
		return XSCORE_CHECK_OK;
	case XSMP_SESSION_TYPE_REG_REJECT:
	case XSMP_SESSION_TYPE_SHUTDOWN:
		return XSCORE_CHECK_OK;
	default:
		return XSCORE_CHECK_SESSION_TYPE;
	}
}

/*
 * A name from a fixed-size field into dst (XSCORE_XSMP_NAME_LEN bytes):
 * it must end inside the field and hold only printable ASCII, since sysfs
 * and the log show it (the kernel's isprint() takes 0xa0-0xff as Latin-1).
 */
static enum xscore_check xscore_copy_name(char *dst, const char *src,
					  enum xscore_check unterminated,
					  enum xscore_check unprintable)
{
	size_t len = strnlen(src, XSCORE_XSMP_NAME_LEN);
	size_t i;

	if (len == XSCORE_XSMP_NAME_LEN)
		return unterminated;
	for (i = 0; i < len; i++)
		if (!isascii(src[i]) || !isprint(src[i]))
			return unprintable;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return XSCORE_CHECK_OK;
}

/*
 * REG_CONFIRM: a hello interval in range and two names, copied into
 * chassis and profile (XSCORE_XSMP_NAME_LEN bytes each) when good.
 */
enum xscore_check xscore_xsmp_check_confirm(const struct xsmp_session_msg *msg,
					    char *chassis, char *profile)
{
	u32 interval = be32_to_cpu(msg->version);
	enum xscore_check ret;

	if (!interval)
		return XSCORE_CHECK_HELLO_ZERO;
	if (interval > XSCORE_HELLO_INTERVAL_MAX)
		return XSCORE_CHECK_HELLO_LONG;
	ret = xscore_copy_name(chassis, msg->chassis_name,
			       XSCORE_CHECK_CHASSIS_UNTERMINATED,
			       XSCORE_CHECK_CHASSIS_UNPRINTABLE);
	if (ret)
		return ret;
	return xscore_copy_name(profile, msg->session_name,
				XSCORE_CHECK_PROFILE_UNTERMINATED,
				XSCORE_CHECK_PROFILE_UNPRINTABLE);
}

/* The objects of a VNIC or VHBA class message: one or more, all whole. */
enum xscore_check xscore_vdev_check_length(u32 len)
{
	if (!len)
		return XSCORE_CHECK_VDEV_EMPTY;
	if (len % XSMP_VDEV_OBJECT_SIZE)
		return XSCORE_CHECK_VDEV_PARTIAL;
	return XSCORE_CHECK_OK;
}

enum xscore_check xscore_vdev_check_object(const void *obj)
{
	const struct xsmp_vdev_object_header *hdr = obj;

	if (be16_to_cpu(hdr->length) != XSMP_VDEV_OBJECT_SIZE)
		return XSCORE_CHECK_VDEV_OBJECT_LENGTH;
	return XSCORE_CHECK_OK;
}

/*
 * The name field (XSMP_VDEV_NAME_LEN bytes, where the class's service says
 * it is) of an INSTALL object, copied into name (as many bytes) if it is
 * one a device may carry: not empty, ending inside its field, and only
 * characters safe in a device or interface name.
 */
enum xscore_check xscore_vdev_check_name(const char *field, char *name)
{
	size_t len = strnlen(field, XSMP_VDEV_NAME_LEN);
	size_t i;

	if (!len)
		return XSCORE_CHECK_VDEV_NAME_EMPTY;
	if (len == XSMP_VDEV_NAME_LEN)
		return XSCORE_CHECK_VDEV_NAME_UNTERMINATED;
	for (i = 0; i < len; i++)
		if (!isascii(field[i]) ||
		    (!isalnum(field[i]) && field[i] != '_' && field[i] != '-' &&
		     field[i] != '.'))
			return XSCORE_CHECK_VDEV_NAME_CHARSET;
	memcpy(name, field, len);
	name[len] = '\0';
	return XSCORE_CHECK_OK;
}

/*
 * Method, attribute and status of a discovery MAD answer (mad:
 * XS_MAD_SIZE bytes), before its payload is read.
 */
enum xscore_check xscore_check_mad_answer(const void *mad, u16 attr_id)
{
	const struct xs_mad_hdr *hdr = mad;

	if (hdr->method != XS_MAD_METHOD_GET_RESP)
		return XSCORE_CHECK_MAD_METHOD;
	if (be16_to_cpu(hdr->attr_id) != attr_id)
		return XSCORE_CHECK_MAD_ATTR;
	if (hdr->status)
		return XSCORE_CHECK_MAD_STATUS;
	return XSCORE_CHECK_OK;
}

/* The ServiceRecord of a checked answer is the XDS's. */
enum xscore_check xscore_check_service_record(const void *mad)
{
	const struct xs_service_record *rec = mad + XS_SA_DATA_OFFSET;

	if (strncmp(rec->service_name, XDS_SERVICE_NAME,
		    sizeof(rec->service_name)))
		return XSCORE_CHECK_SERVICE_NAME;
	return XSCORE_CHECK_OK;
}

/*
 * An XDS answer (over a MAD or a UD solicitation) answers the request of
 * port_id, with an XCM list the host can read.
 */
enum xscore_check xscore_check_xds_response(__be64 port_id,
					    const struct xds_response *resp)
{
	unsigned int count = resp->list.count;

	if (resp->server_info.port_id != port_id)
		return XSCORE_CHECK_XDS_PORT;
	if (count > XDS_MAX_XCMS)
		return XSCORE_CHECK_XDS_COUNT;
	if (count && resp->list.xcm_version != XDS_XCM_REC_VERSION)
		return XSCORE_CHECK_XDS_VERSION;
	return XSCORE_CHECK_OK;
}

/*
 * The answer to a UD solicitation: an xdp_hdr marked as a response, long
 * enough for the XCM list it claims to carry and no longer than the room
 * it arrived in.
 */
enum xscore_check xscore_check_solicit_answer(const struct xdp_hdr *hdr,
					      u32 room)
{
	u16 len = be16_to_cpu(hdr->len);

	if (be16_to_cpu(hdr->type) != XDP_MSG_TYPE_DISC_SOL)
		return XSCORE_CHECK_SOLICIT_TYPE;
	if (!(be16_to_cpu(hdr->flags) & XDP_FLAGS_RSP))
		return XSCORE_CHECK_SOLICIT_REQUEST;
	if (len < sizeof(*hdr) + sizeof(struct xds_response))
		return XSCORE_CHECK_SOLICIT_SHORT;
	if (len > room)
		return XSCORE_CHECK_SOLICIT_LONG;
	return XSCORE_CHECK_OK;
}
