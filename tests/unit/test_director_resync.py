"""The XCM's resynchronisation markers: SYNC_BEGIN and SYNC_END of each device class are
objects of no device, in the same XSMP framing as the INSTALLs between them."""

from __future__ import annotations

from director import vdev_messages
from xswire.xsmp import XSMP_VDEV_OBJECT_SIZE, XsmpClass, XsmpVdevMsgType, XsmpVdevObjectHeader


def test_sync_markers_are_whole_objects_of_no_device() -> None:
    for msg_class in (XsmpClass.VNIC, XsmpClass.VHBA):
        for msg_type in (XsmpVdevMsgType.SYNC_BEGIN, XsmpVdevMsgType.SYNC_END):
            got_class, obj = vdev_messages.sync_marker(msg_class, msg_type)
            assert got_class == msg_class
            assert len(obj) == XSMP_VDEV_OBJECT_SIZE
            header = XsmpVdevObjectHeader.decode(obj)
            assert (header.type, header.length, header.resource_id, header.code) == (
                msg_type, XSMP_VDEV_OBJECT_SIZE, 0, 0
            )  # fmt: skip
            assert not any(obj[XsmpVdevObjectHeader.SIZE :])


def test_the_shared_types_agree_with_each_class() -> None:
    from xswire.xsvhba import XsvhbaMsgType
    from xswire.xsvnic import XsvnicMsgType

    for shared, vnic, vhba in (
        (XsmpVdevMsgType.SYNC_BEGIN, XsvnicMsgType.SYNC_BEGIN, XsvhbaMsgType.SYNC_BEGIN),
        (XsmpVdevMsgType.SYNC_END, XsvnicMsgType.SYNC_END, XsvhbaMsgType.SYNC_END),
    ):
        assert int(shared) == int(vnic) == int(vhba)
