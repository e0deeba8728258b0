// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * KUnit cases for xscore's checks (xscore/xscore_check.c): what an XCM
 * sends over XSMP, the VNIC and VHBA objects it carries, and the answers
 * of discovery.  Table driven: one case per reason a message is refused,
 * each a good message with one field spoilt, and the good messages too.
 */
#include <kunit/test.h>
#include <linux/string.h>
#include <xsigo/wire/ib_mad.h>
#include <xsigo/wire/xsvhba.h>
#include <xsigo/wire/xsvnic.h>

#include "xs_kunit.h"
#include "xscore_check.h"

#define OWN_GUID	0x0002c90300001111ULL
#define XCM_GUID	0x0002c90300002222ULL
#define OTHER_GUID	0x0002c90300003333ULL

/* XSMP receive: a header and a session object, or a VNIC/VHBA object. */
struct xsmp_frame {
	struct xsmp_message_header hdr;
	union {
		struct xsmp_session_msg session;
		u8 vdev[XSMP_VDEV_OBJECT_SIZE];
	};
};

#define HDR(field)	offsetof(struct xsmp_frame, hdr.field)
#define SES(field)	offsetof(struct xsmp_frame, session.field)
#define XSMP_VDEV_LEN	(sizeof(struct xsmp_message_header) + XSMP_VDEV_OBJECT_SIZE)
#define CHASSIS		"director-1"
#define PROFILE		"web servers"

static void xsmp_good(struct xsmp_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->hdr.type = XSMP_CLASS_SESSION;
	f->hdr.length = cpu_to_be16(XSMP_SESSION_MSG_LEN);
	f->hdr.source_id.primary = cpu_to_be64(XCM_GUID);
	f->hdr.dest_id.primary = cpu_to_be64(OWN_GUID);
	f->session.type = XSMP_SESSION_TYPE_REG_CONFIRM;
	f->session.length = cpu_to_be16(sizeof(f->session));
	f->session.version = cpu_to_be32(30);
	strscpy(f->session.chassis_name, CHASSIS, sizeof(f->session.chassis_name));
	strscpy(f->session.session_name, PROFILE, sizeof(f->session.session_name));
}

/* The checks in the order xscore_xsmp_receive() makes them. */
static enum xscore_check xsmp_receive(const struct xsmp_frame *f, u32 len,
				      bool up, char *chassis, char *profile)
{
	enum xscore_check ret;

	ret = xscore_xsmp_check_header(f, len, OWN_GUID, XCM_GUID);
	if (ret)
		return ret;
	ret = xscore_xsmp_check_body(f, len, up);
	if (ret || f->hdr.type != XSMP_CLASS_SESSION)
		return ret;
	ret = xscore_xsmp_check_session_type(f->session.type, up);
	if (ret || f->session.type != XSMP_SESSION_TYPE_REG_CONFIRM)
		return ret;
	return xscore_xsmp_check_confirm(&f->session, chassis, profile);
}

struct xsmp_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	u32 len;		/* what arrived; 0: a session message */
	bool up;		/* the session is registered */
	enum xscore_check want;
};

static const struct xsmp_case xsmp_cases[] = {
	{ "reg_confirm", {}, 0, false, XSCORE_CHECK_OK },
	{ "hello_when_up", { XS_U8(SES(type), XSMP_SESSION_TYPE_HELLO) }, 0, true,
	  XSCORE_CHECK_OK },
	{ "reg_reject", { XS_U8(SES(type), XSMP_SESSION_TYPE_REG_REJECT) }, 0, false,
	  XSCORE_CHECK_OK },
	{ "shutdown_when_up", { XS_U8(SES(type), XSMP_SESSION_TYPE_SHUTDOWN) }, 0, true,
	  XSCORE_CHECK_OK },
	{ "vnic_when_up", { XS_U8(HDR(type), XSMP_CLASS_VNIC),
			    XS_BE16(HDR(length), XSMP_VDEV_LEN) },
	  XSMP_VDEV_LEN, true, XSCORE_CHECK_OK },
	{ "vhba_when_up", { XS_U8(HDR(type), XSMP_CLASS_VHBA),
			    XS_BE16(HDR(length), XSMP_VDEV_LEN) },
	  XSMP_VDEV_LEN, true, XSCORE_CHECK_OK },
	{ "unserved_class", { XS_U8(HDR(type), XSMP_CLASS_XVE) }, 0, true, XSCORE_CHECK_OK },
	{ "hello_interval_longest", { XS_BE32(SES(version), XSCORE_HELLO_INTERVAL_MAX) },
	  0, false, XSCORE_CHECK_OK },
	{ "names_longest", { XS_FILL(SES(chassis_name), XSCORE_XSMP_NAME_LEN - 1, 'c'),
			     XS_FILL(SES(session_name), XSCORE_XSMP_NAME_LEN - 1, 'p') },
	  0, false, XSCORE_CHECK_OK },

	{ "shorter_than_header", { XS_BE16(HDR(length), sizeof(struct xsmp_message_header) - 1) },
	  sizeof(struct xsmp_message_header) - 1, false, XSCORE_CHECK_XSMP_SHORT },
	{ "length_not_received", { XS_BE16(HDR(length), XSMP_SESSION_MSG_LEN - 1) }, 0, false,
	  XSCORE_CHECK_XSMP_LENGTH },
	{ "dest_other_host", { XS_BE64(HDR(dest_id.primary), OTHER_GUID) }, 0, false,
	  XSCORE_CHECK_XSMP_DEST },
	{ "source_other_xcm", { XS_BE64(HDR(source_id.primary), OTHER_GUID) }, 0, false,
	  XSCORE_CHECK_XSMP_SOURCE },
	{ "class_zero", { XS_U8(HDR(type), 0) }, 0, false, XSCORE_CHECK_XSMP_CLASS },
	{ "class_past_xve", { XS_U8(HDR(type), XSMP_CLASS_XVE + 1) }, 0, false,
	  XSCORE_CHECK_XSMP_CLASS },
	{ "vnic_before_registered", { XS_U8(HDR(type), XSMP_CLASS_VNIC),
				      XS_BE16(HDR(length), XSMP_VDEV_LEN) },
	  XSMP_VDEV_LEN, false, XSCORE_CHECK_XSMP_UNREGISTERED },
	{ "vhba_before_registered", { XS_U8(HDR(type), XSMP_CLASS_VHBA),
				      XS_BE16(HDR(length), XSMP_VDEV_LEN) },
	  XSMP_VDEV_LEN, false, XSCORE_CHECK_XSMP_UNREGISTERED },
	{ "session_not_one_object", { XS_BE16(HDR(length), XSMP_SESSION_MSG_LEN + 1) },
	  XSMP_SESSION_MSG_LEN + 1, false, XSCORE_CHECK_SESSION_LENGTH },
	{ "session_object_length", { XS_BE16(SES(length), sizeof(struct xsmp_session_msg) - 1) },
	  0, false, XSCORE_CHECK_SESSION_OBJECT_LENGTH },
	{ "session_type_unknown", { XS_U8(SES(type), XSMP_SESSION_TYPE_STALE_TIME + 1) }, 0, true,
	  XSCORE_CHECK_SESSION_TYPE },
	{ "session_type_of_a_host", { XS_U8(SES(type), XSMP_SESSION_TYPE_REGISTER) }, 0, false,
	  XSCORE_CHECK_SESSION_TYPE },
	{ "reg_confirm_when_up", {}, 0, true, XSCORE_CHECK_SESSION_STATE },
	{ "hello_before_registered", { XS_U8(SES(type), XSMP_SESSION_TYPE_HELLO) }, 0, false,
	  XSCORE_CHECK_SESSION_STATE },
	{ "hello_interval_zero", { XS_BE32(SES(version), 0) }, 0, false, XSCORE_CHECK_HELLO_ZERO },
	{ "hello_interval_too_long", { XS_BE32(SES(version), XSCORE_HELLO_INTERVAL_MAX + 1) },
	  0, false, XSCORE_CHECK_HELLO_LONG },
	{ "chassis_unterminated", { XS_FILL(SES(chassis_name), XSCORE_XSMP_NAME_LEN, 'c') },
	  0, false, XSCORE_CHECK_CHASSIS_UNTERMINATED },
	{ "chassis_unprintable", { XS_U8(SES(chassis_name[2]), '\n') }, 0, false,
	  XSCORE_CHECK_CHASSIS_UNPRINTABLE },
	{ "profile_unterminated", { XS_FILL(SES(session_name), XSCORE_XSMP_NAME_LEN, 'p') },
	  0, false, XSCORE_CHECK_PROFILE_UNTERMINATED },
	{ "profile_unprintable", { XS_U8(SES(session_name[0]), 0x7f) }, 0, false,
	  XSCORE_CHECK_PROFILE_UNPRINTABLE },
	{ "chassis_latin1", { XS_U8(SES(chassis_name[1]), 0xe9) }, 0, false,
	  XSCORE_CHECK_CHASSIS_UNPRINTABLE },
};

KUNIT_ARRAY_PARAM_DESC(xsmp, xsmp_cases, name);

static void xsmp_receive_case(struct kunit *test)
{
	const struct xsmp_case *c = test->param_value;
	char chassis[XSCORE_XSMP_NAME_LEN], profile[XSCORE_XSMP_NAME_LEN];
	struct xsmp_frame *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	xsmp_good(f);
	xs_poke((u8 *)f, c->poke);
	KUNIT_EXPECT_EQ(test, xsmp_receive(f, c->len ?: XSMP_SESSION_MSG_LEN, c->up,
					   chassis, profile), c->want);
}

/* A good REG_CONFIRM's names are handed back whole and terminated. */
static void xsmp_confirm_copies_names(struct kunit *test)
{
	char chassis[XSCORE_XSMP_NAME_LEN], profile[XSCORE_XSMP_NAME_LEN];
	struct xsmp_frame *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	xsmp_good(f);
	memset(chassis, 'x', sizeof(chassis));
	memset(profile, 'x', sizeof(profile));
	KUNIT_ASSERT_EQ(test, xscore_xsmp_check_confirm(&f->session, chassis, profile),
			XSCORE_CHECK_OK);
	KUNIT_EXPECT_STREQ(test, chassis, CHASSIS);
	KUNIT_EXPECT_STREQ(test, profile, PROFILE);
}

static struct kunit_case xscore_xsmp_cases[] = {
	KUNIT_CASE_PARAM(xsmp_receive_case, xsmp_gen_params),
	KUNIT_CASE(xsmp_confirm_copies_names),
	{}
};

static struct kunit_suite xscore_xsmp_suite = {
	.name = "xscore_xsmp",
	.test_cases = xscore_xsmp_cases,
};

/* VNIC and VHBA objects: two INSTALLs, each with a name in both fields. */
#define VNIC_NAME(i)	(XSMP_VDEV_OBJECT_SIZE * (i) + offsetof(struct xsvnic_msg, vnic_name))
#define VHBA_NAME(i)	(XSMP_VDEV_OBJECT_SIZE * (i) + offsetof(struct xsvhba_msg, vh_name))
#define OBJ_LENGTH(i)	(XSMP_VDEV_OBJECT_SIZE * (i) + \
			 offsetof(struct xsmp_vdev_object_header, length))

static void vdev_good(u8 *objs, unsigned int count)
{
	struct xsmp_vdev_object_header *hdr;
	unsigned int i;

	memset(objs, 0, count * XSMP_VDEV_OBJECT_SIZE);
	for (i = 0; i < count; i++) {
		hdr = (void *)(objs + i * XSMP_VDEV_OBJECT_SIZE);
		hdr->type = XSMP_VDEV_MSG_TYPE_INSTALL;
		hdr->length = cpu_to_be16(XSMP_VDEV_OBJECT_SIZE);
		hdr->resource_id = cpu_to_be64(0x1000 + i);
		strscpy((char *)hdr + VNIC_NAME(0), "eth_x-1.0", XSMP_VDEV_NAME_LEN);
		strscpy((char *)hdr + VHBA_NAME(0), "fc.A_1-b", XSMP_VDEV_NAME_LEN);
	}
}

/*
 * The checks in the order xscore_vdev_receive() and _install() make them,
 * on the name field the class's service names (xsvnic_install_name(),
 * xsvhba_install_name()).
 */
static enum xscore_check vdev_receive(u8 msg_class, const u8 *objs, u32 len)
{
	size_t field = msg_class == XSMP_CLASS_VNIC ? VNIC_NAME(0) : VHBA_NAME(0);
	char name[XSMP_VDEV_NAME_LEN];
	enum xscore_check ret;
	u32 offset;

	ret = xscore_vdev_check_length(len);
	for (offset = 0; !ret && offset < len; offset += XSMP_VDEV_OBJECT_SIZE) {
		ret = xscore_vdev_check_object(objs + offset);
		if (!ret)
			ret = xscore_vdev_check_name((const char *)objs + offset + field, name);
	}
	return ret;
}

#define ONE	XSMP_VDEV_OBJECT_SIZE
#define TWO	(2 * XSMP_VDEV_OBJECT_SIZE)

/* The state of a vdev case is the class of its message. */
static const struct xs_state_case vdev_cases[] = {
	{ "vnic", {}, ONE, XSMP_CLASS_VNIC, XSCORE_CHECK_OK },
	{ "vhba", {}, ONE, XSMP_CLASS_VHBA, XSCORE_CHECK_OK },
	{ "two_objects", {}, TWO, XSMP_CLASS_VNIC, XSCORE_CHECK_OK },
	{ "vnic_name_longest", { XS_FILL(VNIC_NAME(0), XSMP_VDEV_NAME_LEN - 1, 'n') },
	  ONE, XSMP_CLASS_VNIC, XSCORE_CHECK_OK },

	{ "no_object", {}, 0, XSMP_CLASS_VNIC, XSCORE_CHECK_VDEV_EMPTY },
	{ "part_of_an_object", {}, ONE - 1, XSMP_CLASS_VNIC, XSCORE_CHECK_VDEV_PARTIAL },
	{ "object_and_a_part", {}, ONE + 16, XSMP_CLASS_VNIC, XSCORE_CHECK_VDEV_PARTIAL },
	{ "object_length", { XS_BE16(OBJ_LENGTH(0), ONE - 1) }, ONE, XSMP_CLASS_VNIC,
	  XSCORE_CHECK_VDEV_OBJECT_LENGTH },
	{ "second_object_length", { XS_BE16(OBJ_LENGTH(1), 0) }, TWO, XSMP_CLASS_VHBA,
	  XSCORE_CHECK_VDEV_OBJECT_LENGTH },
	{ "vnic_name_empty", { XS_U8(VNIC_NAME(0), 0) }, ONE, XSMP_CLASS_VNIC,
	  XSCORE_CHECK_VDEV_NAME_EMPTY },
	{ "vhba_name_empty", { XS_U8(VHBA_NAME(0), 0) }, ONE, XSMP_CLASS_VHBA,
	  XSCORE_CHECK_VDEV_NAME_EMPTY },
	{ "vnic_name_unterminated", { XS_FILL(VNIC_NAME(0), XSMP_VDEV_NAME_LEN, 'n') },
	  ONE, XSMP_CLASS_VNIC, XSCORE_CHECK_VDEV_NAME_UNTERMINATED },
	{ "vhba_name_unterminated", { XS_FILL(VHBA_NAME(0), XSMP_VDEV_NAME_LEN, 'n') },
	  ONE, XSMP_CLASS_VHBA, XSCORE_CHECK_VDEV_NAME_UNTERMINATED },
	{ "name_with_slash", { XS_U8(VNIC_NAME(0) + 3, '/') }, ONE, XSMP_CLASS_VNIC,
	  XSCORE_CHECK_VDEV_NAME_CHARSET },
	{ "name_with_space", { XS_U8(VHBA_NAME(0), ' ') }, ONE, XSMP_CLASS_VHBA,
	  XSCORE_CHECK_VDEV_NAME_CHARSET },
	{ "name_with_control_byte", { XS_U8(VNIC_NAME(0) + 1, 0x01) }, ONE, XSMP_CLASS_VNIC,
	  XSCORE_CHECK_VDEV_NAME_CHARSET },
	{ "name_with_latin1_letter", { XS_U8(VNIC_NAME(0) + 1, 0xc3) }, ONE, XSMP_CLASS_VNIC,
	  XSCORE_CHECK_VDEV_NAME_CHARSET },
	{ "second_name_with_colon", { XS_U8(VNIC_NAME(1), ':') }, TWO, XSMP_CLASS_VNIC,
	  XSCORE_CHECK_VDEV_NAME_CHARSET },
};

KUNIT_ARRAY_PARAM_DESC(vdev, vdev_cases, name);

static void vdev_receive_case(struct kunit *test)
{
	const struct xs_state_case *c = test->param_value;
	u8 *objs;

	objs = kunit_kzalloc(test, TWO, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, objs);
	vdev_good(objs, 2);
	xs_poke(objs, c->poke);
	KUNIT_EXPECT_EQ(test, vdev_receive(c->state, objs, c->len), c->want);
}

/* A good name is handed back whole and terminated. */
static void vdev_name_copied(struct kunit *test)
{
	char name[XSMP_VDEV_NAME_LEN];
	u8 *obj;

	obj = kunit_kzalloc(test, ONE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	vdev_good(obj, 1);
	memset(name, 'x', sizeof(name));
	KUNIT_ASSERT_EQ(test, xscore_vdev_check_name((const char *)obj + VHBA_NAME(0), name),
			XSCORE_CHECK_OK);
	KUNIT_EXPECT_STREQ(test, name, "fc.A_1-b");
}

static struct kunit_case xscore_vdev_cases[] = {
	KUNIT_CASE_PARAM(vdev_receive_case, vdev_gen_params),
	KUNIT_CASE(vdev_name_copied),
	{}
};

static struct kunit_suite xscore_vdev_suite = {
	.name = "xscore_vdev",
	.test_cases = xscore_vdev_cases,
};

/* Discovery: a MAD answer carrying a ServiceRecord, an XDS answer, a UD one. */
#define MAD(field)	offsetof(struct xs_mad_hdr, field)
#define REC(field)	(XS_SA_DATA_OFFSET + offsetof(struct xs_service_record, field))

static void mad_good(u8 *mad)
{
	struct xs_mad_hdr *hdr = (void *)mad;
	struct xs_service_record *rec = (void *)(mad + XS_SA_DATA_OFFSET);

	memset(mad, 0, XS_MAD_SIZE);
	hdr->base_version = XS_MAD_BASE_VERSION;
	hdr->mgmt_class = XS_MGMT_CLASS_SUBN_ADM;
	hdr->method = XS_MAD_METHOD_GET_RESP;
	hdr->attr_id = cpu_to_be16(XS_SA_ATTR_SERVICE_RECORD);
	strscpy(rec->service_name, XDS_SERVICE_NAME, sizeof(rec->service_name));
}

/* The checks in the order xscore_find_xds() makes them. */
static enum xscore_check mad_service_record(const u8 *mad)
{
	enum xscore_check ret;

	ret = xscore_check_mad_answer(mad, XS_SA_ATTR_SERVICE_RECORD);
	if (ret)
		return ret;
	return xscore_check_service_record(mad);
}

struct mad_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	enum xscore_check want;
};

static const struct mad_case mad_cases[] = {
	{ "service_record", {}, XSCORE_CHECK_OK },
	{ "method_get", { XS_U8(MAD(method), XS_MAD_METHOD_GET) }, XSCORE_CHECK_MAD_METHOD },
	{ "attribute_other", { XS_BE16(MAD(attr_id), XDS_ATTR_XCM_REQUEST) },
	  XSCORE_CHECK_MAD_ATTR },
	{ "status_no_records", { XS_BE16(MAD(status), XS_MAD_STATUS_SA_NO_RECORDS) },
	  XSCORE_CHECK_MAD_STATUS },
	{ "service_name_other", { XS_U8(REC(service_name[7]), 'Y') },
	  XSCORE_CHECK_SERVICE_NAME },
	{ "service_name_longer", { XS_U8(REC(service_name[8]), 'X') },
	  XSCORE_CHECK_SERVICE_NAME },
};

KUNIT_ARRAY_PARAM_DESC(mad, mad_cases, name);

static void mad_answer_case(struct kunit *test)
{
	const struct mad_case *c = test->param_value;
	u8 *mad;

	mad = kunit_kzalloc(test, XS_MAD_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mad);
	mad_good(mad);
	xs_poke(mad, c->poke);
	KUNIT_EXPECT_EQ(test, mad_service_record(mad), c->want);
}

#define PORT_ID		0x0002c90300004444ULL
#define XDS(field)	offsetof(struct xds_response, field)

struct xds_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	enum xscore_check want;
};

static const struct xds_case xds_cases[] = {
	{ "two_xcms", {}, XSCORE_CHECK_OK },
	{ "no_xcm_any_version", { XS_U8(XDS(list.count), 0), XS_U8(XDS(list.xcm_version), 9) },
	  XSCORE_CHECK_OK },
	{ "most_xcms", { XS_U8(XDS(list.count), XDS_MAX_XCMS) }, XSCORE_CHECK_OK },
	{ "other_port", { XS_BE64(XDS(server_info.port_id), OTHER_GUID) }, XSCORE_CHECK_XDS_PORT },
	{ "too_many_xcms", { XS_U8(XDS(list.count), XDS_MAX_XCMS + 1) }, XSCORE_CHECK_XDS_COUNT },
	{ "record_version", { XS_U8(XDS(list.xcm_version), XDS_XCM_REC_VERSION + 1) },
	  XSCORE_CHECK_XDS_VERSION },
};

KUNIT_ARRAY_PARAM_DESC(xds, xds_cases, name);

static void xds_good(struct xds_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->server_info.port_id = cpu_to_be64(PORT_ID);
	resp->list.count = 2;
	resp->list.xcm_version = XDS_XCM_REC_VERSION;
	resp->list.xcms[0].port_id = cpu_to_be64(XCM_GUID);
	resp->list.xcms[1].port_id = cpu_to_be64(OTHER_GUID);
}

static void xds_response_case(struct kunit *test)
{
	const struct xds_case *c = test->param_value;
	struct xds_response *resp;

	resp = kunit_kzalloc(test, sizeof(*resp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, resp);
	xds_good(resp);
	xs_poke((u8 *)resp, c->poke);
	KUNIT_EXPECT_EQ(test, xscore_check_xds_response(cpu_to_be64(PORT_ID), resp), c->want);
}

/* A UD answer: an xdp_hdr and an xds_response, in a receive buffer of ROOM. */
#define XDP(field)	offsetof(struct xdp_hdr, field)
#define XDP_LEN		(sizeof(struct xdp_hdr) + sizeof(struct xds_response))
#define ROOM		1024

struct solicit_case {
	const char *name;
	struct xs_poke poke[XS_POKES];
	enum xscore_check want;
};

static const struct solicit_case solicit_cases[] = {
	{ "answer", {}, XSCORE_CHECK_OK },
	{ "answer_filling_the_room", { XS_BE16(XDP(len), ROOM) }, XSCORE_CHECK_OK },
	{ "answer_and_request_flags", { XS_BE16(XDP(flags), XDP_FLAGS_RSP | XDP_FLAGS_REQ) },
	  XSCORE_CHECK_OK },
	{ "type_other", { XS_BE16(XDP(type), XDP_MSG_TYPE_DISC_SOL + 1) },
	  XSCORE_CHECK_SOLICIT_TYPE },
	{ "a_request", { XS_BE16(XDP(flags), XDP_FLAGS_REQ) }, XSCORE_CHECK_SOLICIT_REQUEST },
	{ "too_short_for_the_list", { XS_BE16(XDP(len), XDP_LEN - 1) },
	  XSCORE_CHECK_SOLICIT_SHORT },
	{ "longer_than_the_room", { XS_BE16(XDP(len), ROOM + 1) }, XSCORE_CHECK_SOLICIT_LONG },
};

KUNIT_ARRAY_PARAM_DESC(solicit, solicit_cases, name);

static void solicit_answer_case(struct kunit *test)
{
	const struct solicit_case *c = test->param_value;
	struct xdp_hdr *hdr;

	hdr = kunit_kzalloc(test, ROOM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, hdr);
	hdr->type = cpu_to_be16(XDP_MSG_TYPE_DISC_SOL);
	hdr->len = cpu_to_be16(XDP_LEN);
	hdr->flags = cpu_to_be16(XDP_FLAGS_RSP);
	xds_good((void *)(hdr + 1));
	xs_poke((u8 *)hdr, c->poke);
	KUNIT_EXPECT_EQ(test, xscore_check_solicit_answer(hdr, ROOM), c->want);
}

static struct kunit_case xscore_discovery_cases[] = {
	KUNIT_CASE_PARAM(mad_answer_case, mad_gen_params),
	KUNIT_CASE_PARAM(xds_response_case, xds_gen_params),
	KUNIT_CASE_PARAM(solicit_answer_case, solicit_gen_params),
	{}
};

static struct kunit_suite xscore_discovery_suite = {
	.name = "xscore_discovery",
	.test_cases = xscore_discovery_cases,
};

kunit_test_suites(&xscore_xsmp_suite, &xscore_vdev_suite, &xscore_discovery_suite);
