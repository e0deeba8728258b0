// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * KUnit cases for the Ethernet gateway's checks (xsethgw/xsethgw_check.c):
 * what a host sends the card.  Table driven: one case per reason a frame
 * or message is refused, and the good ones beside them.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/if_vlan.h>
#include <xsigo/wire/xsvnic_card.h>

#include "xs_kunit.h"
#include "xsethgw_check.h"

#define MTU		1500
#define VID		10
#define FRAME_MAX	(VLAN_ETH_HLEN + MTU + 8)

static const u8 vnic_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x0a, 0x00, 0x02 };

/* An 802.1Q tag: the TPID and the TCI, two pokes. */
#define TAG(tci)	{ XS_BE16(12, ETH_P_8021Q), XS_BE16(14, (tci)) }

/* A frame from the vNIC's MAC, untagged, pokes on top; VLANs 0 and 10 assigned. */
static const struct xs_case frame_cases[] = {
	{ "minimum", {}, XSVNIC_MIN_FRAME, XSETHGW_CHECK_OK },
	{ "at_the_mtu", {}, ETH_HLEN + MTU, XSETHGW_CHECK_OK },
	{ "tagged_assigned", TAG(VID), XSVNIC_MIN_FRAME, XSETHGW_CHECK_OK },
	{ "tagged_at_the_mtu", TAG(VID), VLAN_ETH_HLEN + MTU, XSETHGW_CHECK_OK },
	{ "priority_tagged", TAG(0x6000), XSVNIC_MIN_FRAME, XSETHGW_CHECK_OK },
	{ "priority_bits_ignored", TAG(0xe000 | VID), XSVNIC_MIN_FRAME,
	  XSETHGW_CHECK_OK },

	{ "empty", {}, 0, XSETHGW_CHECK_RUNT },
	{ "header_only", {}, ETH_HLEN, XSETHGW_CHECK_RUNT },
	{ "unpadded", {}, XSVNIC_MIN_FRAME - 1, XSETHGW_CHECK_RUNT },
	{ "tagged_unassigned", TAG(VID + 1), XSVNIC_MIN_FRAME, XSETHGW_CHECK_VLAN },
	{ "tagged_last_vid", TAG(VLAN_VID_MASK), XSVNIC_MIN_FRAME, XSETHGW_CHECK_VLAN },
	{ "service_tagged", { XS_BE16(12, ETH_P_8021AD), XS_BE16(14, VID) },
	  XSVNIC_MIN_FRAME, XSETHGW_CHECK_VLAN },
	{ "qinq_9100_tagged", { XS_BE16(12, ETH_P_QINQ1), XS_BE16(14, VID) },
	  XSVNIC_MIN_FRAME, XSETHGW_CHECK_VLAN },
	/* The TCI and the inner type in one poke: VID, then a second tag. */
	{ "double_tagged", { XS_BE16(12, ETH_P_8021Q),
			     XS_BE32(14, (VID << 16) | ETH_P_8021Q) },
	  XSVNIC_MIN_FRAME, XSETHGW_CHECK_VLAN },
	{ "service_tag_inside", { XS_BE16(12, ETH_P_8021Q),
				  XS_BE32(14, (VID << 16) | ETH_P_8021AD) },
	  XSVNIC_MIN_FRAME, XSETHGW_CHECK_VLAN },
	{ "tagged_ipv4", { XS_BE16(12, ETH_P_8021Q),
			   XS_BE32(14, (VID << 16) | ETH_P_IP) },
	  XSVNIC_MIN_FRAME, XSETHGW_CHECK_OK },
	{ "foreign_source", { XS_U8(11, 0x03) }, XSVNIC_MIN_FRAME, XSETHGW_CHECK_SRC_MAC },
	{ "multicast_source", { XS_U8(6, 0x53) }, XSVNIC_MIN_FRAME, XSETHGW_CHECK_SRC_MAC },
	{ "above_the_mtu", {}, ETH_HLEN + MTU + 1, XSETHGW_CHECK_OVERSIZE },
	{ "tagged_above_the_mtu", TAG(VID), VLAN_ETH_HLEN + MTU + 1,
	  XSETHGW_CHECK_OVERSIZE },
	{ "untagged_with_room_of_a_tag", {}, VLAN_ETH_HLEN + MTU, XSETHGW_CHECK_OVERSIZE },
};

KUNIT_ARRAY_PARAM_DESC(frame, frame_cases, name);

static void host_frame_case(struct kunit *test)
{
	const struct xs_case *c = test->param_value;
	size_t vlan_bytes = BITS_TO_LONGS(VLAN_N_VID) * sizeof(long);
	unsigned long *vlans = kunit_kzalloc(test, vlan_bytes, GFP_KERNEL);
	u8 *frame = kunit_kzalloc(test, FRAME_MAX, GFP_KERNEL);
	enum xsethgw_check got;

	KUNIT_ASSERT_NOT_NULL(test, vlans);
	KUNIT_ASSERT_NOT_NULL(test, frame);
	set_bit(0, vlans);
	set_bit(VID, vlans);
	memset(frame, 0xff, ETH_ALEN);
	memcpy(frame + ETH_ALEN, vnic_mac, ETH_ALEN);
	frame[12] = 0x08;
	xs_poke(frame, c->poke);
	got = xsethgw_check_host_frame(frame, c->len, vnic_mac, vlans, MTU);
	KUNIT_EXPECT_EQ(test, (int)got, c->want);
}

static struct kunit_case xsethgw_frame_cases[] = {
	KUNIT_CASE_PARAM(host_frame_case, frame_gen_params),
	{}
};

static struct kunit_suite xsethgw_frame_suite = {
	.name = "xsethgw_frame",
	.test_cases = xsethgw_frame_cases,
};

#define CTRL(field)	offsetof(struct xsvnic_control_msg, field)
#define HEAD		sizeof(struct xsvnic_control_msg)
#define LIST		16

static const struct xs_case ctrl_cases[] = {
	{ "header_only", {}, HEAD, XSETHGW_CHECK_OK },
	{ "list_as_long_as_sent", { XS_LE16(CTRL(length), LIST) }, HEAD + LIST,
	  XSETHGW_CHECK_OK },
	{ "list_shorter_than_sent", { XS_LE16(CTRL(length), 1) }, HEAD + LIST,
	  XSETHGW_CHECK_OK },

	{ "empty", {}, 0, XSETHGW_CHECK_CTRL_SHORT },
	{ "shorter_than_header", {}, HEAD - 1, XSETHGW_CHECK_CTRL_SHORT },
	{ "list_longer_than_sent", { XS_LE16(CTRL(length), LIST + 1) }, HEAD + LIST,
	  XSETHGW_CHECK_CTRL_LENGTH },
	{ "list_without_bytes", { XS_LE16(CTRL(length), 0xffff) }, HEAD,
	  XSETHGW_CHECK_CTRL_LENGTH },
};

KUNIT_ARRAY_PARAM_DESC(ctrl, ctrl_cases, name);

static void ctrl_case(struct kunit *test)
{
	const struct xs_case *c = test->param_value;
	u8 *msg = xs_case_buf(test, HEAD + LIST, c->poke);

	KUNIT_EXPECT_EQ(test, (int)xsethgw_check_ctrl_length(msg, c->len),
			c->want);
}

/* A list's length in bytes and the verdict of each list check. */
struct list_case {
	const char *name;
	u16 len;
	int vlan;
	int mcast;
};

static const struct list_case list_cases[] = {
	{ "empty", 0, XSETHGW_CHECK_OK, XSETHGW_CHECK_OK },
	{ "one", 6, XSETHGW_CHECK_OK, XSETHGW_CHECK_OK },
	{ "most_macs", XSVNIC_MCAST_MAX * ETH_ALEN, XSETHGW_CHECK_OK,
	  XSETHGW_CHECK_OK },
	{ "most_vlans", XSVNIC_VLAN_MAX * 2, XSETHGW_CHECK_OK,
	  XSETHGW_CHECK_LIST_LENGTH },
	{ "odd", 7, XSETHGW_CHECK_LIST_LENGTH, XSETHGW_CHECK_LIST_LENGTH },
	{ "a_mac_too_many", (XSVNIC_MCAST_MAX + 1) * ETH_ALEN, XSETHGW_CHECK_OK,
	  XSETHGW_CHECK_LIST_LENGTH },
	{ "a_vlan_too_many", (XSVNIC_VLAN_MAX + 1) * 2,
	  XSETHGW_CHECK_LIST_LENGTH, XSETHGW_CHECK_LIST_LENGTH },
};

KUNIT_ARRAY_PARAM_DESC(list, list_cases, name);

static void list_case(struct kunit *test)
{
	const struct list_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, (int)xsethgw_check_vlan_list(c->len), c->vlan);
	KUNIT_EXPECT_EQ(test, (int)xsethgw_check_mcast_list(c->len), c->mcast);
}

static struct kunit_case xsethgw_ctrl_cases[] = {
	KUNIT_CASE_PARAM(ctrl_case, ctrl_gen_params),
	KUNIT_CASE_PARAM(list_case, list_gen_params),
	{}
};

static struct kunit_suite xsethgw_ctrl_suite = {
	.name = "xsethgw_ctrl",
	.test_cases = xsethgw_ctrl_cases,
};

/*
 * TSO: a prefix, then a TCP segment of 3000 payload bytes with an MSS of
 * 1000 (IPv4, or IPv6 with .v6), pokes on top.  Offsets count the prefix.
 */
#define PFX		XSVNIC_TSO_PREFIX_LEN
#define L3		(PFX + ETH_HLEN)
#define HDR4		(ETH_HLEN + 20 + 20)
#define HDR6		(ETH_HLEN + 40 + 20)
#define MSS		1000
#define PAYLOAD		3000
#define SEG(hdr, mss)	(XSVNIC_TSO_FLAG_VALID | (hdr) << XSVNIC_TSO_HDR_LEN_SHIFT | (mss))

struct tso_case {
	const char *name;
	bool v6;
	struct xs_poke poke[XS_POKES];
	u32 len;
	int want;
};

#define LEN4	(PFX + HDR4 + PAYLOAD)
#define LEN6	(PFX + HDR6 + PAYLOAD)

static const struct tso_case tso_cases[] = {
	{ "segment_ipv4", false, {}, LEN4, XSETHGW_CHECK_OK },
	{ "segment_ipv6", true, {}, LEN6, XSETHGW_CHECK_OK },
	{ "not_a_segment", false,
	  { XS_BE32(0, XSVNIC_TSO_FLAG_VALID | XSVNIC_TSO_FLAG_NOT_GSO) }, PFX + 60,
	  XSETHGW_CHECK_OK },
	{ "segments_at_the_mtu", false, { XS_BE32(0, SEG(HDR4, MTU - 40)) },
	  PFX + HDR4 + 2 * (MTU - 40), XSETHGW_CHECK_OK },

	{ "no_prefix", false, {}, PFX - 1, XSETHGW_CHECK_TSO_PREFIX },
	{ "prefix_not_valid", false, { XS_BE32(0, 0) }, LEN4, XSETHGW_CHECK_TSO_PREFIX },
	{ "mss_zero", false, { XS_BE32(0, SEG(HDR4, 0)) }, LEN4, XSETHGW_CHECK_GSO },
	{ "headers_short_of_tcp", false, { XS_BE32(0, SEG(HDR4 - 1, MSS)) }, LEN4,
	  XSETHGW_CHECK_GSO },
	{ "headers_past_the_frame", false, { XS_BE32(0, SEG(0xfff, MSS)) }, LEN4,
	  XSETHGW_CHECK_GSO },
	{ "frame_shorter_than_a_header", false, {}, PFX + 10, XSETHGW_CHECK_GSO },
	{ "not_ip", false, { XS_BE16(PFX + 12, ETH_P_ARP) }, LEN4, XSETHGW_CHECK_GSO },
	{ "ipv4_not_tcp", false, { XS_U8(L3 + 9, IPPROTO_UDP) }, LEN4, XSETHGW_CHECK_GSO },
	{ "ipv4_fragment", false, { XS_BE16(L3 + 6, 0x2000) }, LEN4, XSETHGW_CHECK_GSO },
	{ "ipv4_header_short", false, { XS_U8(L3, 0x44) }, LEN4, XSETHGW_CHECK_GSO },
	{ "ipv4_options_past_the_headers", false, { XS_U8(L3, 0x46) }, LEN4,
	  XSETHGW_CHECK_GSO },
	{ "ipv4_says_ipv6", false, { XS_U8(L3, 0x65) }, LEN4, XSETHGW_CHECK_GSO },
	{ "ipv6_extension_header", true, { XS_U8(L3 + 6, 0) }, LEN6, XSETHGW_CHECK_GSO },
	{ "tcp_header_longer_than_said", false, { XS_U8(L3 + 20 + 12, 0x60) }, LEN4,
	  XSETHGW_CHECK_GSO },
	{ "tcp_header_short", false, { XS_U8(L3 + 20 + 12, 0x40) }, LEN4,
	  XSETHGW_CHECK_GSO },
	{ "frames_above_the_mtu", false, { XS_BE32(0, SEG(HDR4, MTU - 39)) },
	  PFX + HDR4 + 2 * MTU, XSETHGW_CHECK_GSO },
	{ "a_segment_of_one_frame", false, {}, PFX + HDR4 + MSS, XSETHGW_CHECK_GSO },
};

KUNIT_ARRAY_PARAM_DESC(tso, tso_cases, name);

static void tso_case(struct kunit *test)
{
	const struct tso_case *c = test->param_value;
	u8 *buf = kunit_kzalloc(test, LEN6 + 2 * MTU, GFP_KERNEL);
	struct xsethgw_gso gso;
	enum xsethgw_check got;
	u32 hdr = c->v6 ? HDR6 : HDR4;
	u32 l4 = c->v6 ? L3 + 40 : L3 + 20;
	__be32 prefix = cpu_to_be32(SEG(hdr, MSS));

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, &prefix, sizeof(prefix));
	buf[PFX + 12] = c->v6 ? 0x86 : 0x08;
	buf[PFX + 13] = c->v6 ? 0xdd : 0x00;
	if (c->v6) {
		buf[L3] = 0x60;
		buf[L3 + 6] = IPPROTO_TCP;
	} else {
		buf[L3] = 0x45;
		buf[L3 + 9] = IPPROTO_TCP;
	}
	buf[l4 + 12] = 0x50;
	xs_poke(buf, c->poke);
	got = xsethgw_check_tso(buf, c->len, MTU, &gso);
	KUNIT_EXPECT_EQ(test, (int)got, c->want);
	if (got == XSETHGW_CHECK_OK && !(buf[0] & 0x10)) {
		KUNIT_EXPECT_EQ(test, gso.l3, (u32)ETH_HLEN);
		KUNIT_EXPECT_EQ(test, gso.l4, l4 - PFX);
		KUNIT_EXPECT_EQ(test, gso.ipv6, c->v6);
	}
}

static struct kunit_case xsethgw_tso_cases[] = {
	KUNIT_CASE_PARAM(tso_case, tso_gen_params),
	{}
};

static struct kunit_suite xsethgw_tso_suite = {
	.name = "xsethgw_tso",
	.test_cases = xsethgw_tso_cases,
};

kunit_test_suites(&xsethgw_frame_suite, &xsethgw_ctrl_suite, &xsethgw_tso_suite);
