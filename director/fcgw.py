"""The director's FC I/O card: targets with file-backed LUNs behind each FC port ("fc/1"), which
host vHBAs reach over two RC connections, control and data (research §5).

The card listens at [fabric prefix + the port's I/O GUID]:4097, as the Ethernet card does. A
vHBA's data connection brings INIT_BLOCK (where its command ring and read index are, and their
keys), its control connection ENABLE_VHBA_Q; the card answers ENABLE_RSP, the FC link state
and the targets of the port. Then each WRITE_INDEX_UPDATE makes the card read the new command
IOCBs from the host's ring (RDMA READ), now and then write the ring's read index back, move
each command's data against the command's key (RDMA READ for writes, RDMA WRITE for reads) and
send a status IOCB. Listening, accepting, dropping and the loop are every card's
(director/card_gateway.py). The commands of the ring updates one poll brings run
together: the data of all their writes is read at once, and only RDMA READs are waited for (a
status SEND follows its data's RDMA WRITE on the same QP, so the host sees the data first).
Data passes through the vHBA's staging buffer (director/staging.py).
"""

from __future__ import annotations

import array
import logging
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from pyverbs.cmid import CMID
from pyverbs.device import Context
from pyverbs.enums import IBV_ACCESS_LOCAL_WRITE
from pyverbs.mr import MR
from pyverbs.pd import PD

from director import sbc
from director.card_gateway import CardGateway, HostDevice, ibdev_name
from director.card_listener import CardPort
from director.config import FcLun, FcTarget, Watched, fabric_address, io_port_guid
from director.rc_conn import ConnectionLost, RcConnection, wc_status_words
from director.staging import Staging
from xswire.xsvhba_card import (
    XSVHBA_CARD_RDMA_CM_PORT,
    XSVHBA_CTRL_BUF_SIZE,
    XSVHBA_IOCB_SIZE,
    XSVHBA_RING_SIZE,
    XSVHBA_SS_RESIDUAL_UNDER,
    XSVHBA_SS_SENSE_VALID,
    XSVHBA_STATUS_BUF_SIZE,
    XSVHBA_STATUS_PREFIX,
    XSVHBA_UNBOUND,
    XsvhbaAbortCmd,
    XsvhbaAbortIocb,
    XsvhbaCmdIocb,
    XsvhbaCmPrivateData,
    XsvhbaCompStatus,
    XsvhbaCtrlType,
    XsvhbaDataType,
    XsvhbaDiscCont,
    XsvhbaDiscInfo,
    XsvhbaEnableRsp,
    XsvhbaEntryType,
    XsvhbaInitBlock,
    XsvhbaLinkStatus,
    XsvhbaPlinkStatus,
    XsvhbaQpType,
    XsvhbaStatusIocb,
    XsvhbaTargetState,
    XsvhbaTaskFlag,
    XsvhbaTgtInfo,
    XsvhbaTgtStatus,
    XsvhbaWriteIndex,
)

log = logging.getLogger("director.fcgw")

LUN_DIR = Path("/var/lib/xsigo-director/luns")
CTRL_RING = 8
DATA_RING = 128  # a host has at most 64 commands in flight, each one update and one status
RDMA_DEPTH = 16
RDMA_SLOTS = 64  # RDMA operations a data connection may have posted and not seen complete
MAX_TRANSFER = 2040 * 1024  # the largest a vHBA may be installed with
STAGING_SIZE = 4 * MAX_TRANSFER
IOCB_BATCH = 16  # IOCBs one RDMA READ fetches
# The host reads the ring's read index only to see whether the ring is full, and it never has
# more than 64 commands in flight in a ring of 1024: writing the index back every 256 IOCBs (a
# quarter of a smaller ring) spares an RDMA WRITE per ring update and never lets it look full.
INDEX_LAG = 256
FIRST_LOOP_ID = 0x81
FC_DOMAIN = 0x010000  # targets' FC ids: this domain, area 0, AL_PA = loop id
CONN_DOWN_TIMEOUT = 30
IDLE_PAUSE = 0.02  # completions wake the loop; this paces held commands and timers
FAULTED_OPCODES = {sbc.READ_10, sbc.READ_16, sbc.WRITE_10, sbc.WRITE_16}
SENSE_AREA = 28  # bytes of a status IOCB for response info and sense
STALE_DATA = b"XS-STALE"  # what a stale RDMA WRITE puts in a host's memory
# The task flags as plain integers: IntFlag arithmetic costs more than the rest of a command.
READ_DATA = int(XsvhbaTaskFlag.READ_DATA)
WRITE_DATA = int(XsvhbaTaskFlag.WRITE_DATA)


def fcp_swap(raw: bytes) -> bytes:
    """Each 32-bit word byte-reversed: the FCP byte order of the IOCBs (research §5.4)."""
    words = array.array("I", raw[: len(raw) - len(raw) % 4])
    words.byteswap()
    return words.tobytes()


def wwn_bytes(wwn: int) -> bytes:
    return wwn.to_bytes(8, "big")


@dataclass
class CardTarget:
    """A configured target as the card serves it."""

    config: FcTarget
    loop_id: int
    scsi: sbc.Target

    @property
    def port_id(self) -> int:
        return FC_DOMAIN | self.loop_id


@dataclass
class HeldCommand:
    """A command an operator's fault holds back: run when due (never: None), the IOCB as the
    host wrote it; a stuck one ignores aborts and resets; a stale one, when due, only has its
    data moved with the key it came with."""

    due: float | None
    iocb: bytes
    stuck: bool = False
    stale: bool = False


@dataclass
class Started:
    """A command under way: its write data (if any) being read into the staging buffer at
    `staged` by RDMA operation `reading`."""

    cmd: XsvhbaCmdIocb
    target: CardTarget
    flags: int
    staged: int = 0
    reading: int = 0
    data_out: bytes = b""


@dataclass
class VhbaState(HostDevice[CardPort]):
    """What the card knows of one host vHBA."""

    vp_index: int = 0
    staging: Staging | None = None
    ring: XsvhbaInitBlock | None = None
    enable_asked: bool = False
    enabled: bool = False
    read_index: int = 0
    unreported: int = 0  # IOCBs taken from the ring since the read index was written back
    write_index: int | None = None  # the host's latest, until the ring runs up to it
    link_told: bool | None = None
    # target WWPN -> the LUNs it was reported online with, None once reported lost
    told: dict[int, tuple[int, ...] | None] = field(default_factory=dict)
    # commands held by an operator's fault, by handle
    held: dict[int, HeldCommand] = field(default_factory=dict)
    ctrl_out: deque[bytes] = field(default_factory=deque)
    data_out: deque[bytes] = field(default_factory=deque)
    commands: int = 0

    def close(self) -> None:
        super().close()
        if self.staging is not None:
            self.staging.mr.close()

    def summary(self) -> str:
        return f", {self.commands} commands served"


class FcGateway(CardGateway[CardPort, VhbaState]):
    device_noun = "vHBA"
    request_format = XsvhbaCmPrivateData
    qp_types = XsvhbaQpType
    idle_pause = IDLE_PAUSE

    def __init__(
        self,
        ports: list[str],
        prefix: str,
        director_guid: int,
        settings: Watched,
        lun_dir: Path = LUN_DIR,
    ) -> None:
        self.lun_dir = lun_dir
        self.context = Context(name=ibdev_name())
        self.pd = PD(self.context)
        super().__init__(
            {
                name: CardPort(
                    name,
                    fabric_address(prefix, io_port_guid(director_guid, name)),
                    XSVHBA_CARD_RDMA_CM_PORT,
                )
                for name in ports
            },
            settings,
        )
        self.targets: dict[int, CardTarget] = {}  # by WWPN
        self.loop_ids: dict[int, int] = {}  # WWPN -> loop id, stable while the card runs
        self.luns: dict[tuple[int, int], sbc.Lun] = {}
        self.next_vp_index = 1
        self._apply_config()

    # Configuration: targets, LUNs, link state.

    def _lun(self, target: FcTarget, config: FcLun) -> sbc.Lun:
        wwpn = target.wwpn_int
        number = config.lun
        key = (wwpn, number)
        if config.backing:
            path = Path(config.backing)
            size = sbc.backing_size(path)
        else:
            path = self.lun_dir / f"{wwpn:016x}-{number}.img"
            size = config.size_mb << 20
        lun = self.luns.get(key)
        if lun is not None and lun.path == path and lun.size == size:
            return lun
        if lun is not None:
            lun.close()
        self.lun_dir.mkdir(parents=True, exist_ok=True)
        lun = sbc.Lun(
            path=path,
            size=size,
            serial=f"XS{wwpn & 0xFFFFFF:06X}{number:03d}",
            naa=0x6001405 << 100 | wwpn << 16 | number,
        )
        self.luns[key] = lun
        return lun

    def _build_targets(self) -> None:
        targets: dict[int, CardTarget] = {}
        wanted: set[tuple[int, int]] = set()
        for config in self.settings.fc_targets:
            if config.port not in self.ports:
                continue
            wwpn = config.wwpn_int
            loop_id = self.loop_ids.setdefault(wwpn, FIRST_LOOP_ID + len(self.loop_ids))
            luns = {lun.lun: self._lun(config, lun) for lun in config.luns}
            wanted |= {(wwpn, n) for n in luns}
            scsi = sbc.Target(wwpn=wwpn, wwnn=wwpn | 1 << 60, luns=luns)
            targets[wwpn] = CardTarget(config, loop_id, scsi)
        for key in [k for k in self.luns if k not in wanted]:
            self.luns.pop(key).close()
        self.targets = targets

    def _apply_config(self) -> None:
        self._build_targets()
        down = set(self.settings.down_ports)
        for port in self.ports.values():
            port.link_up = port.name not in down
        self._drop_unconfigured({h.resource_id for s in self.settings.servers for h in s.vhbas})
        for vhba in self.devices.values():
            if vhba.enabled:
                self._report(vhba)

    def _visible(self, vhba: VhbaState) -> list[CardTarget]:
        """The targets a vHBA sees: online, on its port, while the port's link is up."""
        if not vhba.port.link_up:
            return []
        return [
            t for t in self.targets.values() if t.config.online and t.config.port == vhba.port.name
        ]

    # Messages to the host.

    def _send(self, vhba: VhbaState, on_data: bool, message: bytes) -> None:
        (vhba.data_out if on_data else vhba.ctrl_out).append(message)
        self._flush(vhba)

    @staticmethod
    def _flush(vhba: VhbaState) -> None:
        for conn, queue in ((vhba.ctrl, vhba.ctrl_out), (vhba.data, vhba.data_out)):
            while conn is not None and queue and conn.send(queue[0]):
                queue.popleft()

    def _tgt_info(self, target: CardTarget) -> XsvhbaTgtInfo:
        numbers = sorted(target.scsi.luns)
        lun_map = bytearray(32)
        for n in numbers:
            lun_map[n // 8] |= 1 << (n % 8)
        return XsvhbaTgtInfo(
            lun_count=len(numbers),
            loop_id=target.loop_id,
            persistent_binding=XSVHBA_UNBOUND,
            port_id=target.port_id,
            wwpn=wwn_bytes(target.scsi.wwpn),
            lun_map=bytes(lun_map),
            lun_ids=numbers + [0] * (256 - len(numbers)),
            wwnn=wwn_bytes(target.scsi.wwnn),
        )

    def _report(self, vhba: VhbaState) -> None:
        """Tell an enabled vHBA what changed: the link, then targets found and lost."""
        if vhba.port.link_up != vhba.link_told:
            self._link_status(vhba)
        visible = {t.scsi.wwpn: t for t in self._visible(vhba)}
        for wwpn, target in visible.items():
            if vhba.told.get(wwpn) != tuple(sorted(target.scsi.luns)):
                self._target_status(vhba, target, XsvhbaTargetState.FOUND)
        for wwpn, luns in list(vhba.told.items()):
            if luns is not None and wwpn not in visible:
                loop_id = self.loop_ids.get(wwpn, 0)
                lost = XsvhbaTgtStatus(
                    type=XsvhbaCtrlType.TGT_STATUS_UPDATE,
                    flag=XsvhbaTargetState.LOST,
                    loop_id=loop_id,
                    wwpn=wwn_bytes(wwpn),
                    port_id=FC_DOMAIN | loop_id,
                    persistent_binding=XSVHBA_UNBOUND,
                )
                self._send(vhba, False, lost.encode())
                vhba.told[wwpn] = None
                log.info("vHBA %#x: target %016x lost", vhba.resource_id, wwpn)

    def _link_status(self, vhba: VhbaState) -> None:
        link = vhba.port.link_up
        plink = XsvhbaPlinkStatus(
            type=XsvhbaCtrlType.PLINK_STATUS_UPDATE,
            phy_link_status=XsvhbaLinkStatus.UP if link else XsvhbaLinkStatus.DOWN,
            conn_down_timeout=CONN_DOWN_TIMEOUT,
        )
        self._send(vhba, False, plink.encode())
        vhba.link_told = link
        log.info("vHBA %#x: FC link %s", vhba.resource_id, "up" if link else "down")

    def _target_status(self, vhba: VhbaState, target: CardTarget, state: int) -> None:
        info = self._tgt_info(target)
        message = XsvhbaTgtStatus(
            type=XsvhbaCtrlType.TGT_STATUS_UPDATE,
            flag=state,
            loop_id=info.loop_id,
            wwpn=info.wwpn,
            port_id=info.port_id,
            persistent_binding=info.persistent_binding,
            lun_count=info.lun_count,
            lun_map=info.lun_map,
            lun_ids=info.lun_ids,
            wwnn=info.wwnn,
            port_down_timeout=CONN_DOWN_TIMEOUT,
        )
        self._send(vhba, False, message.encode())
        found = state == XsvhbaTargetState.FOUND
        vhba.told[target.scsi.wwpn] = tuple(sorted(target.scsi.luns)) if found else None
        log.info("vHBA %#x: target %016x found, %d LUNs", vhba.resource_id,
                 target.scsi.wwpn, info.lun_count)  # fmt: skip

    def _enable(self, vhba: VhbaState) -> None:
        """ENABLE_RSP, the link, and discovery: one target per message (a control buffer holds
        one), the first in DISC_INFO_UPDATE, the others in continuations."""
        vhba.enabled = True
        answer = XsvhbaEnableRsp(
            type=XsvhbaCtrlType.ENABLE_RSP, vp_index=vhba.vp_index, resource_id=vhba.resource_id
        )
        self._send(vhba, False, answer.encode())
        vhba.told = {}
        self._link_status(vhba)
        visible = self._visible(vhba)
        first = visible[:1]
        head = XsvhbaDiscInfo(
            type=XsvhbaCtrlType.DISC_INFO_UPDATE,
            target_count=len(first),
            cont_count=max(len(visible) - 1, 0),
        )
        body = b"".join(self._tgt_info(t).encode() for t in first)
        self._send(vhba, False, head.encode() + body + struct.pack(">I", FC_DOMAIN))
        for number, target in enumerate(visible[1:], start=1):
            cont = XsvhbaDiscCont(
                type=XsvhbaCtrlType.DISC_INFO_CONT_UPDATE, seg_num=number, target_count=1
            )
            self._send(vhba, False, cont.encode() + self._tgt_info(target).encode())
        for target in visible:
            vhba.told[target.scsi.wwpn] = tuple(sorted(target.scsi.luns))
        log.info("vHBA %#x enabled (vp index %d), %d targets", vhba.resource_id,
                 vhba.vp_index, len(visible))  # fmt: skip

    # Connections.

    def _open(self, cmid: CMID, control: bool, label: str) -> Callable[[VhbaState], None]:
        if control:
            conn = RcConnection(self.context, self.pd, cmid, CTRL_RING,
                                XSVHBA_CTRL_BUF_SIZE, label=label)  # fmt: skip
            return partial(self._attach, conn=conn, staging=None)
        conn = RcConnection(self.context, self.pd, cmid, DATA_RING,
                            XSVHBA_STATUS_BUF_SIZE, label=label,
                            rdma_depth=RDMA_DEPTH, rdma_slots=RDMA_SLOTS)  # fmt: skip
        try:
            buffer = MR(self.pd, STAGING_SIZE, IBV_ACCESS_LOCAL_WRITE)
        except Exception:
            conn.close()
            raise
        return partial(self._attach, conn=conn, staging=Staging(conn, buffer, STAGING_SIZE))

    @staticmethod
    def _attach(vhba: VhbaState, conn: RcConnection, staging: Staging | None) -> None:
        if staging is None:
            vhba.ctrl = conn
        else:
            vhba.data = conn
            vhba.staging = staging

    def _new_device(self, resource_id: int, port: CardPort) -> VhbaState:
        vhba = VhbaState(resource_id, port, vp_index=self.next_vp_index)
        self.next_vp_index = self.next_vp_index % 255 + 1
        return vhba

    # The control connection.

    def _control(self, vhba: VhbaState, message: bytes) -> None:
        if not message:
            return
        kind = message[0]
        if kind == XsvhbaCtrlType.ENABLE_VHBA_Q:
            vhba.enable_asked = True
        elif kind == XsvhbaCtrlType.ABORT_CMD and len(message) >= XsvhbaAbortCmd.SIZE:
            # Only a held command is left to abort: the others ran to their end.
            abort = XsvhbaAbortCmd.decode(message)
            command = vhba.held.get(abort.handle_to_abort)
            held = command is not None and not command.stuck
            if held:
                self._end_held(vhba, abort.handle_to_abort, XsvhbaCompStatus.ABORTED)
            answer = XsvhbaAbortIocb(
                entry_type=XsvhbaEntryType.ABORT,
                entry_count=1,
                handle=abort.handle_to_abort,
                nport_handle=0 if held else 1,
                handle_to_abort=abort.handle_to_abort,
                port_id=abort.port_id,
                vp_index=vhba.vp_index,
            )
            self._send(vhba, True, bytes(XSVHBA_STATUS_PREFIX) + answer.encode())
            outcome = "aborted" if held else "ignored (stuck)" if command else "not held"
            log.info("vHBA %#x: abort of %#x: %s", vhba.resource_id, abort.handle_to_abort,
                     outcome)  # fmt: skip
        elif kind in (XsvhbaCtrlType.TGT_RESET, XsvhbaCtrlType.LUN_RESET):
            stuck = 0
            for handle, command in list(vhba.held.items()):
                if command.stuck:
                    stuck += 1
                else:
                    self._end_held(vhba, handle, XsvhbaCompStatus.RESET)
            log.info("vHBA %#x: %s%s", vhba.resource_id, XsvhbaCtrlType(kind).name,
                     f" ({stuck} stuck commands kept)" if stuck else "")  # fmt: skip
        elif kind != XsvhbaCtrlType.HEART_BEAT:
            log.info("vHBA %#x: control message type %d ignored", vhba.resource_id, kind)

    # The data connection: the ring and the commands.

    def _data(self, vhba: VhbaState, message: bytes) -> None:
        if not message:
            return
        if message[0] == XsvhbaDataType.INIT_BLOCK:
            ring = XsvhbaInitBlock.decode(message)
            if ring.entry_size != XSVHBA_IOCB_SIZE or not 0 < ring.ring_size <= XSVHBA_RING_SIZE:
                raise ConnectionLost(f"INIT_BLOCK of {ring.ring_size} x {ring.entry_size} bytes")
            vhba.ring = ring
            vhba.read_index = 0
            vhba.unreported = 0
            vhba.write_index = None
        elif message[0] == XsvhbaDataType.WRITE_INDEX_UPDATE:
            update = XsvhbaWriteIndex.decode(message)
            if vhba.ring is None or update.write_index >= vhba.ring.ring_size:
                raise ConnectionLost(f"write index {update.write_index} without a ring")
            # Run when this poll's messages are in: later updates only move the index on, and
            # the commands of several updates run together.
            vhba.write_index = update.write_index
        else:
            log.info("vHBA %#x: data message type %d ignored", vhba.resource_id, message[0])

    def _run_ring(self, vhba: VhbaState, write_index: int) -> None:
        ring, data, staging = vhba.ring, vhba.data, vhba.staging
        assert ring is not None and data is not None and staging is not None
        while vhba.read_index != write_index:
            end = write_index if write_index > vhba.read_index else ring.ring_size
            count = min(end - vhba.read_index, IOCB_BATCH)
            size = count * XSVHBA_IOCB_SIZE
            address = ring.base_addr + vhba.read_index * XSVHBA_IOCB_SIZE
            at = staging.take(size)
            data.rdma(False, staging.mr, at, size, address, ring.base_addr_rkey)
            iocbs = staging.mr.read(size, at)
            vhba.read_index = (vhba.read_index + count) % ring.ring_size
            vhba.unreported += count
            if vhba.unreported >= max(1, min(INDEX_LAG, ring.ring_size // 4)):
                vhba.unreported = 0
                at = staging.take(4)
                staging.mr.write(struct.pack("<I", vhba.read_index), 4, at)
                data.post_rdma(True, staging.mr, at, 4, ring.read_index_addr, ring.read_index_rkey)
            size = XSVHBA_IOCB_SIZE
            self._commands(vhba, [iocbs[i * size : (i + 1) * size] for i in range(count)])

    def _commands(self, vhba: VhbaState, iocbs: list[bytes], holding: bool = True) -> None:
        """Run these commands: start them all (their write data is read meanwhile), then end
        each; sooner when the staging buffer has no room for the next one's data."""
        pending: list[Started] = []
        for raw in iocbs:
            self._start(vhba, raw, holding, pending)
        self._finish_all(vhba, pending)

    def _status(self, vhba: VhbaState, handle: int, comp_status: int) -> None:
        status = XsvhbaStatusIocb(
            entry_type=XsvhbaEntryType.STATUS,
            entry_count=1,
            handle=handle,
            comp_status=comp_status,
        )
        self._send(vhba, True, bytes(XSVHBA_STATUS_PREFIX) + status.encode())

    def _end_held(self, vhba: VhbaState, handle: int, comp_status: int) -> None:
        del vhba.held[handle]
        self._status(vhba, handle, comp_status)

    def _target(self, vhba: VhbaState, loop_id: int) -> CardTarget | None:
        """The target a command names, if the vHBA sees it."""
        if not vhba.port.link_up:
            return None
        for target in self.targets.values():
            config = target.config
            if target.loop_id == loop_id and config.online and config.port == vhba.port.name:
                return target
        return None

    def _hold(
        self, vhba: VhbaState, cmd: XsvhbaCmdIocb, target: CardTarget | None, raw: bytes
    ) -> bool:
        """Whether an operator's fault holds this command back (READ and WRITE only)."""
        if target is None or fcp_swap(cmd.fcp_cdb)[0] not in FAULTED_OPCODES:
            return False
        fault = target.config
        now = time.monotonic()
        if fault.stale_after_s:
            vhba.held[cmd.handle] = HeldCommand(now + fault.stale_after_s, raw, True, True)
        elif fault.stuck or fault.drop:
            vhba.held[cmd.handle] = HeldCommand(None, raw, fault.stuck)
        elif fault.delay_s:
            vhba.held[cmd.handle] = HeldCommand(now + fault.delay_s, raw)
        else:
            return False
        how = (
            f"stale after {fault.stale_after_s} s"
            if fault.stale_after_s
            else "stuck"
            if fault.stuck
            else "dropped"
            if fault.drop
            else f"{fault.delay_s} s"
        )
        log.info("vHBA %#x: command %#x held (%s)", vhba.resource_id, cmd.handle, how)
        return True

    def _run_due(self, vhba: VhbaState) -> None:
        now = time.monotonic()
        # The stale commands go together once the first is due: the first failed RDMA
        # operation fails the connection, and with it whatever was still held.
        stale_due = any(c.stale and c.due is not None and c.due <= now for c in vhba.held.values())
        due, stale = [], []
        for handle, command in list(vhba.held.items()):
            if command.stale and stale_due:
                del vhba.held[handle]
                stale.append(command.iocb)
            elif not command.stale and command.due is not None and command.due <= now:
                del vhba.held[handle]
                due.append(command.iocb)
        if stale:
            self._move_stale(vhba, stale)
        if due:
            self._commands(vhba, due, holding=False)

    def _move_stale(self, vhba: VhbaState, iocbs: list[bytes]) -> None:
        """Move these commands' data with the keys they came with, as a card that lost track
        of them would (a READ's data by RDMA WRITE, a WRITE's by RDMA READ), and log how each
        ended; no status follows. A host that took them back has invalidated the keys: the
        first fails and fails the connection, which flushes the rest."""
        data, staging = vhba.data, vhba.staging
        assert data is not None and staging is not None
        posted: list[tuple[XsvhbaCmdIocb, str, int | None, str]] = []
        for raw in iocbs:
            cmd = XsvhbaCmdIocb.decode(raw)
            write = bool(cmd.task_mgmt_flags & READ_DATA)
            what = "WRITE" if write else "READ"
            length = min(cmd.byte_count, cmd.dseg_0_len, MAX_TRANSFER)
            at = staging.take(length)
            if write:
                staging.mr.write(STALE_DATA * (length // len(STALE_DATA) + 1), length, at)
            try:
                number = data.post_rdma(
                    write, staging.mr, at, length, cmd.dseg_0_address, cmd.rkey1
                )
                posted.append((cmd, what, number, ""))
            except ConnectionLost as err:
                posted.append((cmd, what, None, f"not posted ({err})"))
        numbers = [n for _, _, n, _ in posted if n is not None]
        outcomes = data.rdma_outcomes(range(min(numbers), max(numbers) + 1)) if numbers else {}
        for cmd, what, number, refused in posted:
            outcome = refused or wc_status_words(outcomes.get(number))
            log.info("vHBA %#x: stale RDMA %s of command %#x (key %#x, %d bytes): %s",
                     vhba.resource_id, what, cmd.handle, cmd.rkey1, cmd.byte_count,
                     outcome)  # fmt: skip

    def _start(self, vhba: VhbaState, raw: bytes, holding: bool, pending: list[Started]) -> None:
        """Check a command and start reading its write data; one that cannot run ends here."""
        data, staging = vhba.data, vhba.staging
        assert data is not None and staging is not None
        cmd = XsvhbaCmdIocb.decode(raw)
        target = self._target(vhba, cmd.nport_handle)
        if holding and self._hold(vhba, cmd, target, raw):
            return
        vhba.commands += 1
        length = cmd.byte_count
        flags = cmd.task_mgmt_flags & (READ_DATA | WRITE_DATA)
        if cmd.entry_type != XsvhbaEntryType.COMMAND or target is None:
            self._status(vhba, cmd.handle, XsvhbaCompStatus.PORT_UNAVAILABLE)
            return
        if flags and (length > MAX_TRANSFER or cmd.dseg_0_len < length):
            self._status(vhba, cmd.handle, XsvhbaCompStatus.DMA_ERROR)
            return
        started = Started(cmd, target, flags)
        if flags & WRITE_DATA and length:
            if not staging.has_room(length):
                self._finish_all(vhba, pending)
            started.staged = staging.take(length, keep=True)
            started.reading = data.post_rdma(
                False, staging.mr, started.staged, length, cmd.dseg_0_address, cmd.rkey1
            )
        pending.append(started)

    def _finish_all(self, vhba: VhbaState, pending: list[Started]) -> None:
        """Wait for the write data of the started commands, then end them in order."""
        data, staging = vhba.data, vhba.staging
        assert data is not None and staging is not None
        reading = max((s.reading for s in pending), default=0)
        if reading:
            data.wait_rdma(reading)
            # Out of the staging buffer before ending any command: their read data reuses it.
            for started in pending:
                if started.reading:
                    started.data_out = staging.mr.read(started.cmd.byte_count, started.staged)
            staging.release_kept()
        for started in pending:
            self._finish(vhba, started)
        pending.clear()

    def _finish(self, vhba: VhbaState, started: Started) -> None:
        data, staging = vhba.data, vhba.staging
        assert data is not None and staging is not None
        cmd, flags = started.cmd, started.flags
        length = cmd.byte_count
        status = XsvhbaStatusIocb(
            entry_type=XsvhbaEntryType.STATUS, entry_count=1, handle=cmd.handle
        )
        lun = sbc.lun_number(fcp_swap(cmd.lun))
        result = started.target.scsi.execute(lun, fcp_swap(cmd.fcp_cdb), started.data_out)
        moved = length if flags & WRITE_DATA else 0
        if flags & READ_DATA:
            moved = min(len(result.data), length)
            if moved:
                at = staging.take(moved)
                staging.mr.write(result.data[:moved], moved, at)
                data.post_rdma(True, staging.mr, at, moved, cmd.dseg_0_address, cmd.rkey1)
        scsi_status = result.status
        if moved < length:
            status.comp_status = XsvhbaCompStatus.DATA_UNDERRUN
            status.residual_len = length - moved
            scsi_status |= XSVHBA_SS_RESIDUAL_UNDER
        if result.sense:
            sense = result.sense[:SENSE_AREA]
            status.sense_len = len(sense)
            status.data = fcp_swap(sense.ljust(SENSE_AREA, b"\0"))
            scsi_status |= XSVHBA_SS_SENSE_VALID
        status.scsi_status = scsi_status
        self._send(vhba, True, bytes(XSVHBA_STATUS_PREFIX) + status.encode())

    # The loop.

    def _tend(self, vhba: VhbaState) -> None:
        if vhba.data is not None and vhba.write_index is not None:
            write_index, vhba.write_index = vhba.write_index, None
            self._run_ring(vhba, write_index)
        if vhba.enable_asked and not vhba.enabled and vhba.ring is not None:
            self._enable(vhba)
        if vhba.held:
            self._run_due(vhba)
        self._flush(vhba)

    def _shut_down(self) -> None:
        super()._shut_down()
        for lun in self.luns.values():
            lun.close()
