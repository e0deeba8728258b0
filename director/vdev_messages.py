"""VNIC and VHBA class messages as the XCM builds them from its configuration, and the answers
hosts send back."""

from __future__ import annotations

from dataclasses import dataclass

from director.config import Vhba, Vnic, io_port_guid
from xswire.xsmp import (
    XSMP_VDEV_CODE_NACK,
    XSMP_VDEV_OBJECT_SIZE,
    XsmpClass,
    XsmpMessageHeader,
    XsmpNodeId,
    XsmpVdevMsgType,
    XsmpVdevObjectHeader,
)
from xswire.xsvhba import XsvhbaMsg, XsvhbaUpdate
from xswire.xsvnic import XsvnicInstallFlag, XsvnicMsg, XsvnicUpdate

ADMIN_UP = 1
ADMIN_DOWN = 0
VHBA_MAX_TRANSFER_KB = 256


def mac_fields(mac: str) -> tuple[int, int]:
    """mac_high and mac_low: the six bytes travel reversed (research §3.1)."""
    raw = bytes(reversed(bytes.fromhex(mac.replace(":", ""))))
    return int.from_bytes(raw[:2], "big"), int.from_bytes(raw[2:], "big")


def vnic_object(vnic: Vnic, msg_type: int, card_guid: int, bitmask: int = 0) -> bytes:
    mac_high, mac_low = mac_fields(vnic.mac)
    return XsvnicMsg(
        type=msg_type,
        length=XSMP_VDEV_OBJECT_SIZE,
        bitmask=bitmask,
        resource_id=vnic.resource_id,
        tca_guid=card_guid,
        mac_high=mac_high,
        mac_low=mac_low,
        admin_state=ADMIN_UP if vnic.admin_up else ADMIN_DOWN,
        vn_mtu=vnic.mtu,
        install_flag=XsvnicInstallFlag.TSO if vnic.tso else 0,
        vnic_name=vnic.name.encode(),
    ).encode()


def vhba_object(vhba: Vhba, msg_type: int, card_guid: int, bit_mask: int = 0) -> bytes:
    return XsvhbaMsg(
        type=msg_type,
        length=XSMP_VDEV_OBJECT_SIZE,
        bit_mask=bit_mask,
        resource_id=vhba.resource_id,
        wwn=int(vhba.wwn.replace(":", ""), 16),
        tca_guid=card_guid,
        scsiqueuedepth=vhba.queue_depth,
        linkdowntimeout=vhba.link_down_timeout,
        adminstate=ADMIN_UP if vhba.admin_up else ADMIN_DOWN,
        num_queues=1,
        vh_name=vhba.name.encode(),
        mtu=VHBA_MAX_TRANSFER_KB,
    ).encode()


def device_object(device: Vnic | Vhba, msg_type: int, director_guid: int) -> tuple[int, bytes]:
    """The class and object that install or delete one configured device."""
    card_guid = io_port_guid(director_guid, device.port)
    if isinstance(device, Vnic):
        return XsmpClass.VNIC, vnic_object(device, msg_type, card_guid)
    return XsmpClass.VHBA, vhba_object(device, msg_type, card_guid)


def install(device: Vnic | Vhba, director_guid: int) -> tuple[int, bytes]:
    return device_object(device, XsmpVdevMsgType.INSTALL, director_guid)


def delete(device: Vnic | Vhba, director_guid: int) -> tuple[int, bytes]:
    return device_object(device, XsmpVdevMsgType.DELETE, director_guid)


def update(old: Vnic | Vhba, new: Vnic | Vhba, director_guid: int) -> tuple[int, bytes]:
    """The UPDATE that changes an installed device from `old` to `new` in place, naming only
    the fields that changed."""
    if isinstance(old, Vhba) and isinstance(new, Vhba):
        return _vhba_update(old, new, director_guid)
    assert isinstance(old, Vnic) and isinstance(new, Vnic)
    bitmask = XsvnicUpdate(0)
    if new.mtu != old.mtu:
        bitmask |= XsvnicUpdate.MTU
    if new.admin_up != old.admin_up:
        bitmask |= XsvnicUpdate.ADMIN_STATE
    card_guid = io_port_guid(director_guid, new.port)
    return XsmpClass.VNIC, vnic_object(new, XsmpVdevMsgType.UPDATE, card_guid, bitmask)


def _vhba_update(old: Vhba, new: Vhba, director_guid: int) -> tuple[int, bytes]:
    bit_mask = XsvhbaUpdate(0)
    if new.queue_depth != old.queue_depth:
        bit_mask |= XsvhbaUpdate.QUEUE_DEPTH
    if new.link_down_timeout != old.link_down_timeout:
        bit_mask |= XsvhbaUpdate.LINK_DOWN_TIMEOUT
    if new.admin_up != old.admin_up:
        bit_mask |= XsvhbaUpdate.ADMIN_STATE
    card_guid = io_port_guid(director_guid, new.port)
    return XsmpClass.VHBA, vhba_object(new, XsmpVdevMsgType.UPDATE, card_guid, bit_mask)


def sync_marker(msg_class: int, msg_type: int) -> tuple[int, bytes]:
    """SYNC_BEGIN or SYNC_END of a class: an object of no device (resource id 0)."""
    header = XsmpVdevObjectHeader(type=msg_type, length=XSMP_VDEV_OBJECT_SIZE)
    return msg_class, header.encode().ljust(XSMP_VDEV_OBJECT_SIZE, b"\0")


def frame(msg_class: int, seq: int, source: int, dest: int, payload: bytes) -> bytes:
    header = XsmpMessageHeader(
        type=msg_class,
        length=XsmpMessageHeader.SIZE + len(payload),
        seq_number=seq,
        source_id=XsmpNodeId(primary=source),
        dest_id=XsmpNodeId(primary=dest),
    )
    return header.encode() + payload


@dataclass(frozen=True)
class Answer:
    """A host's answer about one device: an echo of the object with ACK or NACK in code."""

    msg_type: int
    resource_id: int
    refused: bool
    reason: int


def parse_answers(payload: bytes) -> list[Answer]:
    """The objects of a VNIC or VHBA class message from a host."""
    if not payload or len(payload) % XSMP_VDEV_OBJECT_SIZE:
        raise ValueError(f"{len(payload)} bytes is not a whole number of objects")
    answers = []
    for offset in range(0, len(payload), XSMP_VDEV_OBJECT_SIZE):
        obj = XsmpVdevObjectHeader.decode(payload, offset)
        answers.append(
            Answer(
                msg_type=obj.type,
                resource_id=obj.resource_id,
                refused=bool(obj.code & XSMP_VDEV_CODE_NACK),
                reason=obj.code & ~XSMP_VDEV_CODE_NACK & 0x3F,
            )
        )
    return answers
