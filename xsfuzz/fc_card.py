"""What a hostile or broken FC card sends a host's xsvhba: control messages that lie about
their length, count or state, and status IOCBs that name no command. The host must refuse
and count each (its debugfs refusals, by the reason xsvhba_check.h gives) and keep its
vHBA; none may reach a target, a command or memory."""

from __future__ import annotations

from xsfuzz.kind import Kind, Target
from xswire.xsvhba_card import (
    XSVHBA_HANDLE_MASK,
    XSVHBA_MAX_TARGETS,
    XSVHBA_STATUS_PREFIX,
    XsvhbaCtrlType,
    XsvhbaDiscCont,
    XsvhbaDiscInfo,
    XsvhbaEnable,
    XsvhbaEnableRsp,
    XsvhbaEntryType,
    XsvhbaPlinkStatus,
    XsvhbaStatusIocb,
    XsvhbaTgtInfo,
    XsvhbaTgtStatus,
)

# A command handle's generation bits, above the slot (kernel/xsvhba/xsvhba.h).
HANDLE_GEN_SHIFT = 10


def _ctrl(name: str, doc: str, reason: str, payload: bytes) -> Kind:
    return Kind(name, Target.FC_CARD_TO_HOST_CTRL, doc, f"refusals:{reason}", payload=payload)


def _data(name: str, doc: str, counted_as: str, iocb: bytes) -> Kind:
    payload = bytes(XSVHBA_STATUS_PREFIX) + iocb
    return Kind(name, Target.FC_CARD_TO_HOST_DATA, doc, counted_as, payload=payload)


def _disc(count: int, records: int) -> bytes:
    head = XsvhbaDiscInfo(type=XsvhbaCtrlType.DISC_INFO_UPDATE, target_count=count).encode()
    return head + bytes(XsvhbaTgtInfo.SIZE * records)


def _cont(count: int, records: int) -> bytes:
    head = XsvhbaDiscCont(type=XsvhbaCtrlType.DISC_INFO_CONT_UPDATE, target_count=count)
    return head.encode() + bytes(XsvhbaTgtInfo.SIZE * records)


def _status(handle: int) -> bytes:
    return XsvhbaStatusIocb(entry_type=XsvhbaEntryType.STATUS, handle=handle).encode()


ENABLE_RSP = XsvhbaEnableRsp(type=XsvhbaCtrlType.ENABLE_RSP, vp_index=1).encode()
TGT_STATUS = XsvhbaTgtStatus(type=XsvhbaCtrlType.TGT_STATUS_UPDATE).encode()

KINDS: list[Kind] = [
    _ctrl("card-ctrl-empty", "a control SEND with no bytes", "ctrl_empty", b""),
    _ctrl("card-ctrl-type", "control message of type 0x55", "ctrl_type", bytes([0x55]) + bytes(15)),
    _ctrl(
        "card-ctrl-host-type",
        "ENABLE_VHBA_Q, a host's own message, from the card",
        "ctrl_type",
        XsvhbaEnable(type=XsvhbaCtrlType.ENABLE_VHBA_Q).encode(),
    ),
    _ctrl("card-enable-short", "ENABLE_RSP cut to 4 bytes", "enable_short", ENABLE_RSP[:4]),
    _ctrl(
        "card-enable-again",
        "ENABLE_RSP while the vHBA is enabled (not asked for)",
        "enable_state",
        ENABLE_RSP,
    ),
    _ctrl(
        "card-plink-short",
        "PLINK_STATUS_UPDATE cut to 2 bytes",
        "plink_short",
        XsvhbaPlinkStatus(type=XsvhbaCtrlType.PLINK_STATUS_UPDATE).encode()[:2],
    ),
    _ctrl(
        "card-tgt-status-short",
        "TGT_STATUS_UPDATE cut short of its target record",
        "tgt_status_short",
        TGT_STATUS[:100],
    ),
    _ctrl(
        "card-disc-short", "DISC_INFO_UPDATE shorter than its header", "disc_short", _disc(0, 0)[:5]
    ),
    _ctrl(
        "card-disc-too-many",
        f"DISC_INFO_UPDATE counting {XSVHBA_MAX_TARGETS + 1} targets, more than a vHBA takes",
        "disc_count",
        _disc(XSVHBA_MAX_TARGETS + 1, 0),
    ),
    _ctrl(
        "card-disc-count-lies",
        "DISC_INFO_UPDATE counting 2 targets and carrying 1",
        "disc_truncated",
        _disc(2, 1),
    ),
    _ctrl(
        "card-disc-count-max",
        "DISC_INFO_UPDATE counting 65535 targets and carrying none",
        "disc_count",
        _disc(0xFFFF, 0),
    ),
    _ctrl(
        "card-cont-short",
        "DISC_INFO_CONT_UPDATE shorter than its header",
        "disc_short",
        _cont(0, 0)[:3],
    ),
    _ctrl(
        "card-cont-count-lies",
        "DISC_INFO_CONT_UPDATE counting 1 target and carrying none",
        "disc_truncated",
        _cont(1, 0),
    ),
    Kind(
        "card-data-short",
        Target.FC_CARD_TO_HOST_DATA,
        "a data SEND of 6 bytes, short of an IOCB's first word",
        "refusals:data_short",
        payload=bytes(6),
    ),
    _data(
        "card-data-entry-type",
        "an IOCB of entry type 0x77, none a card sends",
        "refusals:entry_type",
        bytes([0x77]) + bytes(63),
    ),
    _data(
        "card-status-short",
        "a status IOCB cut to 16 bytes",
        "refusals:status_short",
        _status(0)[:16],
    ),
    _data(
        "card-status-handle-range",
        "a status for slot 1023, past the vHBA's queue depth",
        "refusals:status_handle",
        _status(XSVHBA_HANDLE_MASK),
    ),
    _data(
        "card-status-forged",
        "a status for slot 5 of a generation never issued: no command in flight has it",
        "scsi_host:status_stale",
        _status(5 | 0x3F << HANDLE_GEN_SHIFT),
    ),
    _data(
        "card-status-not-executed-forged",
        "a 'not executed' command IOCB echoing a handle never issued",
        "scsi_host:status_stale",
        bytes([XsvhbaEntryType.COMMAND])
        + bytes(3)
        + (6 | 0x3E << HANDLE_GEN_SHIFT).to_bytes(4, "little")
        + bytes(56),
    ),
]
