/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The checks xscore makes on what the fabric sends it, as pure functions:
 * they read only the bytes and lengths they are given, so that the module
 * and its KUnit suite (xscore_check_test.c, built without ib_core) compile
 * the same code.  Each returns XSCORE_CHECK_OK or the first reason the
 * message is refused.
 */
#ifndef _XSCORE_CHECK_H
#define _XSCORE_CHECK_H

#include <linux/stddef.h>
#include <linux/types.h>
#include <xsigo/wire/xds.h>
#include <xsigo/wire/xsmp.h>

/* Longest hello interval (seconds) a REG_CONFIRM may ask for. */
#define XSCORE_HELLO_INTERVAL_MAX	3600
/* Bytes of a session name field (chassis, profile), its NUL included. */
#define XSCORE_XSMP_NAME_LEN	sizeof_field(struct xsmp_session_msg, chassis_name)
#define XSMP_SESSION_MSG_LEN \
	(sizeof(struct xsmp_message_header) + sizeof(struct xsmp_session_msg))

enum xscore_check {
	XSCORE_CHECK_OK,
	/* XSMP header */
	XSCORE_CHECK_XSMP_SHORT,		/* shorter than the header */
	XSCORE_CHECK_XSMP_LENGTH,		/* header length is not what arrived */
	XSCORE_CHECK_XSMP_DEST,			/* not addressed to this host */
	XSCORE_CHECK_XSMP_SOURCE,		/* not from the link's XCM */
	XSCORE_CHECK_XSMP_CLASS,		/* no such message class */
	/* what follows the header */
	XSCORE_CHECK_XSMP_UNREGISTERED,		/* configuration before REG_CONFIRM */
	XSCORE_CHECK_SESSION_LENGTH,		/* not one session object */
	XSCORE_CHECK_SESSION_OBJECT_LENGTH,	/* the object's own length */
	XSCORE_CHECK_SESSION_TYPE,		/* no such session message */
	XSCORE_CHECK_SESSION_STATE,		/* not in the session's state */
	/* REG_CONFIRM */
	XSCORE_CHECK_HELLO_ZERO,		/* no hello interval */
	XSCORE_CHECK_HELLO_LONG,		/* past XSCORE_HELLO_INTERVAL_MAX */
	XSCORE_CHECK_CHASSIS_UNTERMINATED,
	XSCORE_CHECK_CHASSIS_UNPRINTABLE,
	XSCORE_CHECK_PROFILE_UNTERMINATED,
	XSCORE_CHECK_PROFILE_UNPRINTABLE,
	/* VNIC and VHBA class objects */
	XSCORE_CHECK_VDEV_EMPTY,		/* no object */
	XSCORE_CHECK_VDEV_PARTIAL,		/* not whole objects */
	XSCORE_CHECK_VDEV_OBJECT_LENGTH,	/* an object's own length */
	XSCORE_CHECK_VDEV_NAME_EMPTY,
	XSCORE_CHECK_VDEV_NAME_UNTERMINATED,
	XSCORE_CHECK_VDEV_NAME_CHARSET,
	/* discovery answers */
	XSCORE_CHECK_MAD_METHOD,		/* not a GET response */
	XSCORE_CHECK_MAD_ATTR,			/* not the attribute asked for */
	XSCORE_CHECK_MAD_STATUS,		/* an answer saying no */
	XSCORE_CHECK_SERVICE_NAME,		/* not the XDS's ServiceRecord */
	XSCORE_CHECK_XDS_PORT,			/* answers another port's request */
	XSCORE_CHECK_XDS_COUNT,			/* more XCMs than the list holds */
	XSCORE_CHECK_XDS_VERSION,		/* XCM records of another version */
	XSCORE_CHECK_SOLICIT_TYPE,		/* not a discovery message */
	XSCORE_CHECK_SOLICIT_REQUEST,		/* not marked as a response */
	XSCORE_CHECK_SOLICIT_SHORT,		/* too short for an XCM list */
	XSCORE_CHECK_SOLICIT_LONG,		/* longer than what was received */
};

enum xscore_check xscore_xsmp_check_header(const void *data, u32 len,
					   u64 own_guid, u64 xcm_guid);
enum xscore_check xscore_xsmp_check_body(const void *data, u32 len, bool up);
enum xscore_check xscore_xsmp_check_session_type(u8 type, bool up);
enum xscore_check xscore_xsmp_check_confirm(const struct xsmp_session_msg *msg,
					    char *chassis, char *profile);

enum xscore_check xscore_vdev_check_length(u32 len);
enum xscore_check xscore_vdev_check_object(const void *obj);
enum xscore_check xscore_vdev_check_name(const char *field, char *name);

enum xscore_check xscore_check_mad_answer(const void *mad, u16 attr_id);
enum xscore_check xscore_check_service_record(const void *mad);
enum xscore_check xscore_check_xds_response(__be64 port_id,
					    const struct xds_response *resp);
enum xscore_check xscore_check_solicit_answer(const struct xdp_hdr *hdr,
					      u32 room);

#endif /* _XSCORE_CHECK_H */
