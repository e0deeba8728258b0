"""The SCSI block commands the FC card's targets answer, on LUNs backed by files.

The commands are those Linux's sd and scanning code send to a disk (SPC-4/SBC-3): INQUIRY
(standard, VPD pages 0x00, 0x80, 0x83), READ CAPACITY (10/16), READ/WRITE (10/16), TEST UNIT
READY, REQUEST SENSE, MODE SENSE (6/10), SYNCHRONIZE CACHE, START STOP UNIT, and REPORT LUNS at
the target. Anything else, or a bad field, ends in CHECK CONDITION with fixed-format sense.
Transport concerns (how many bytes the initiator asked for, residuals) are the caller's: a
command returns the whole of what it would send, and the caller cuts it to length.
"""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

GOOD = 0x00
CHECK_CONDITION = 0x02

NO_SENSE = 0x0
NOT_READY = 0x2
MEDIUM_ERROR = 0x3
ILLEGAL_REQUEST = 0x5

# (additional sense code, qualifier)
INVALID_OPCODE = (0x20, 0x00)
LBA_OUT_OF_RANGE = (0x21, 0x00)
INVALID_FIELD_IN_CDB = (0x24, 0x00)
LUN_NOT_SUPPORTED = (0x25, 0x00)
WRITE_ERROR = (0x0C, 0x00)
UNRECOVERED_READ_ERROR = (0x11, 0x00)

TEST_UNIT_READY = 0x00
REQUEST_SENSE = 0x03
INQUIRY = 0x12
MODE_SENSE_6 = 0x1A
START_STOP_UNIT = 0x1B
PREVENT_ALLOW_MEDIUM_REMOVAL = 0x1E
READ_CAPACITY_10 = 0x25
READ_10 = 0x28
WRITE_10 = 0x2A
SYNCHRONIZE_CACHE_10 = 0x35
MODE_SENSE_10 = 0x5A
READ_16 = 0x88
WRITE_16 = 0x8A
SYNCHRONIZE_CACHE_16 = 0x91
SERVICE_ACTION_IN_16 = 0x9E
READ_CAPACITY_16 = 0x10  # service action of SERVICE_ACTION_IN_16
REPORT_LUNS = 0xA0

VPD_PAGES = (0x00, 0x80, 0x83)
ALL_MODE_PAGES = 0x3F
CACHING_PAGE = 0x08
CONTROL_PAGE = 0x0A
FUA = 0x08  # byte 1 of READ/WRITE (10/16)
PERIPHERAL_DISK = 0x00
NO_LUN_HERE = 0x7F  # peripheral qualifier 3, type 0x1f: no logical unit at this LUN
SPC4 = 0x06


@dataclass(frozen=True)
class Result:
    """What a command ends with: SCSI status, data for the initiator, sense for a CHECK."""

    status: int = GOOD
    data: bytes = b""
    sense: bytes = b""


def sense_data(key: int, code: tuple[int, int]) -> bytes:
    """Fixed-format sense (response code 0x70), 18 bytes."""
    asc, ascq = code
    return bytes([0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0])


def check(key: int, code: tuple[int, int]) -> Result:
    return Result(CHECK_CONDITION, sense=sense_data(key, code))


def ascii_field(text: str, size: int) -> bytes:
    """A left-aligned, space-padded ASCII field of an INQUIRY answer."""
    return text.encode("ascii", "replace")[:size].ljust(size)


def backing_size(path: Path) -> int:
    """The size of an existing file or block device, in bytes."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)


@dataclass
class Lun:
    """One logical unit: a file of `size` bytes, read and written in `block_size` blocks."""

    path: Path
    size: int
    serial: str
    naa: int  # NAA designator of VPD page 0x83 (type 6, registered extended: 16 bytes)
    block_size: int = 512
    vendor: str = "XSIGO"
    product: str = "VIRTUAL DISK"
    revision: str = "0001"
    _fd: int = field(default=-1, repr=False)
    _commands: dict[int, Callable[[bytes, bytes], Result]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.size <= 0 or self.size % self.block_size:
            raise ValueError(
                f"{self.path}: size {self.size} is not whole {self.block_size}-byte blocks"
            )
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        st = os.fstat(self._fd)
        if stat.S_ISREG(st.st_mode) and st.st_size < self.size:
            os.ftruncate(self._fd, self.size)
        self._commands = {
            TEST_UNIT_READY: self._ready,
            START_STOP_UNIT: self._ready,
            PREVENT_ALLOW_MEDIUM_REMOVAL: self._ready,
            REQUEST_SENSE: self._request_sense,
            INQUIRY: self._inquiry,
            MODE_SENSE_6: self._mode_sense,
            MODE_SENSE_10: self._mode_sense,
            READ_CAPACITY_10: self._read_capacity_10,
            SERVICE_ACTION_IN_16: self._service_action_in,
            READ_10: self._read,
            READ_16: self._read,
            WRITE_10: self._write,
            WRITE_16: self._write,
            SYNCHRONIZE_CACHE_10: self._synchronize,
            SYNCHRONIZE_CACHE_16: self._synchronize,
        }

    @property
    def blocks(self) -> int:
        return self.size // self.block_size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def execute(self, cdb: bytes, data_out: bytes = b"") -> Result:
        """Run one command; `data_out` is what the initiator sent with it."""
        if not cdb:
            return check(ILLEGAL_REQUEST, INVALID_OPCODE)
        handler = self._commands.get(cdb[0])
        if handler is None:
            return check(ILLEGAL_REQUEST, INVALID_OPCODE)
        try:
            return handler(cdb, data_out)
        except (IndexError, struct.error):
            return check(ILLEGAL_REQUEST, INVALID_FIELD_IN_CDB)

    def _ready(self, _cdb: bytes, _data: bytes) -> Result:
        return Result()

    def _request_sense(self, _cdb: bytes, _data: bytes) -> Result:
        # Sense goes back with each CHECK CONDITION (autosense): nothing is pending.
        return Result(data=sense_data(NO_SENSE, (0, 0)))

    def _inquiry(self, cdb: bytes, _data: bytes) -> Result:
        evpd, page = cdb[1] & 1, cdb[2]
        if not evpd:
            if page:
                return check(ILLEGAL_REQUEST, INVALID_FIELD_IN_CDB)
            return Result(data=self.standard_inquiry())
        if page == 0x00:
            body = bytes(VPD_PAGES)
        elif page == 0x80:
            body = ascii_field(self.serial, len(self.serial))
        elif page == 0x83:
            # One designator: NAA, binary, associated with the logical unit.
            body = bytes([0x01, 0x03, 0x00, 16]) + self.naa.to_bytes(16, "big")
        else:
            return check(ILLEGAL_REQUEST, INVALID_FIELD_IN_CDB)
        return Result(data=bytes([PERIPHERAL_DISK, page]) + struct.pack(">H", len(body)) + body)

    def standard_inquiry(self) -> bytes:
        head = bytes([PERIPHERAL_DISK, 0, SPC4, 0x02, 91, 0, 0, 0x02])  # CMDQUE
        text = (
            ascii_field(self.vendor, 8)
            + ascii_field(self.product, 16)
            + ascii_field(self.revision, 4)
        )
        return (head + text).ljust(96, b"\0")

    def _mode_sense(self, cdb: bytes, _data: bytes) -> Result:
        page = cdb[2] & 0x3F
        pages = b""
        if page in (CACHING_PAGE, ALL_MODE_PAGES):
            # Write cache enabled: SYNCHRONIZE CACHE (and FUA) make writes durable.
            pages += bytes([CACHING_PAGE, 18, 0x04]) + bytes(17)
        if page in (CONTROL_PAGE, ALL_MODE_PAGES):
            pages += bytes([CONTROL_PAGE, 10]) + bytes(10)
        if not pages:
            return check(ILLEGAL_REQUEST, INVALID_FIELD_IN_CDB)
        if cdb[0] == MODE_SENSE_6:
            header = bytes([3 + len(pages), 0, 0, 0])
        else:
            header = struct.pack(">HBBBBH", 6 + len(pages), 0, 0, 0, 0, 0)
        return Result(data=header + pages)

    def _read_capacity_10(self, _cdb: bytes, _data: bytes) -> Result:
        last = min(self.blocks - 1, 0xFFFFFFFF)
        return Result(data=struct.pack(">II", last, self.block_size))

    def _service_action_in(self, cdb: bytes, _data: bytes) -> Result:
        if cdb[1] & 0x1F != READ_CAPACITY_16:
            return check(ILLEGAL_REQUEST, INVALID_FIELD_IN_CDB)
        return Result(data=struct.pack(">QI", self.blocks - 1, self.block_size).ljust(32, b"\0"))

    def _extent(self, cdb: bytes) -> tuple[int, int] | None:
        """(byte offset, byte length) a READ or WRITE names, or None when out of range."""
        if cdb[0] in (READ_10, WRITE_10):
            lba, count = struct.unpack_from(">IxH", cdb, 2)
        else:
            lba, count = struct.unpack_from(">QI", cdb, 2)
        if lba + count > self.blocks:
            return None
        return lba * self.block_size, count * self.block_size

    def _read(self, cdb: bytes, _data: bytes) -> Result:
        extent = self._extent(cdb)
        if extent is None:
            return check(ILLEGAL_REQUEST, LBA_OUT_OF_RANGE)
        offset, length = extent
        try:
            data = os.pread(self._fd, length, offset)
        except OSError:
            return check(MEDIUM_ERROR, UNRECOVERED_READ_ERROR)
        return Result(data=data.ljust(length, b"\0"))

    def _write(self, cdb: bytes, data: bytes) -> Result:
        extent = self._extent(cdb)
        if extent is None:
            return check(ILLEGAL_REQUEST, LBA_OUT_OF_RANGE)
        offset, length = extent
        if len(data) < length:
            return check(ILLEGAL_REQUEST, INVALID_FIELD_IN_CDB)
        try:
            # In the file before the status goes out; on the disk too with FUA.
            os.pwrite(self._fd, data[:length], offset)
            if cdb[1] & FUA:
                os.fdatasync(self._fd)
        except OSError:
            return check(MEDIUM_ERROR, WRITE_ERROR)
        return Result()

    def _synchronize(self, _cdb: bytes, _data: bytes) -> Result:
        try:
            os.fdatasync(self._fd)
        except OSError:
            return check(MEDIUM_ERROR, WRITE_ERROR)
        return Result()


@dataclass
class Target:
    """A target port and its LUNs; it answers REPORT LUNS and for LUNs it does not have."""

    wwpn: int
    wwnn: int
    luns: dict[int, Lun] = field(default_factory=dict)

    def execute(self, lun: int, cdb: bytes, data_out: bytes = b"") -> Result:
        if cdb and cdb[0] == REPORT_LUNS:
            return Result(data=self.report_luns())
        unit = self.luns.get(lun)
        if unit is not None:
            return unit.execute(cdb, data_out)
        if cdb and cdb[0] == INQUIRY and not cdb[1] & 1:
            return Result(data=bytes([NO_LUN_HERE]) + bytes(35))
        if cdb and cdb[0] == REQUEST_SENSE:
            return Result(data=sense_data(ILLEGAL_REQUEST, LUN_NOT_SUPPORTED))
        return check(ILLEGAL_REQUEST, LUN_NOT_SUPPORTED)

    def report_luns(self) -> bytes:
        entries = b"".join(lun_field(n) for n in sorted(self.luns))
        return struct.pack(">I4x", len(entries)) + entries


def lun_field(lun: int) -> bytes:
    """The 8-byte SAM LUN of `lun`: peripheral addressing below 256, flat space above."""
    if lun < 0x100:
        return bytes([0, lun]) + bytes(6)
    return struct.pack(">H", 0x4000 | lun) + bytes(6)


def lun_number(field_: bytes) -> int:
    """The LUN an 8-byte SAM LUN names (peripheral or flat space addressing)."""
    first = struct.unpack_from(">H", field_)[0]
    return first & 0x3FFF
