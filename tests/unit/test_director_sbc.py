"""The FC card's SCSI block commands on a file-backed LUN: what Linux's sd and scan send, the
data they get, and the sense data of errors."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from director import sbc

BLOCKS = 64


@pytest.fixture
def lun(tmp_path: Path) -> Iterator[sbc.Lun]:
    unit = sbc.Lun(tmp_path / "lun0", BLOCKS * 512, serial="XS0001", naa=0x6001405ABCDEF)
    yield unit
    unit.close()


def rw10(opcode: int, lba: int, blocks: int, flags: int = 0) -> bytes:
    return struct.pack(">BBIBHB", opcode, flags, lba, 0, blocks, 0)


def rw16(opcode: int, lba: int, blocks: int) -> bytes:
    return struct.pack(">BBQIBB", opcode, 0, lba, blocks, 0, 0)


def sense_of(result: sbc.Result) -> tuple[int, int, int]:
    assert result.status == sbc.CHECK_CONDITION
    return result.sense[2] & 0xF, result.sense[12], result.sense[13]


def test_standard_inquiry_names_the_vendor_product_and_a_disk(lun: sbc.Lun) -> None:
    data = lun.execute(bytes([sbc.INQUIRY, 0, 0, 0, 96, 0])).data
    assert data[0] == sbc.PERIPHERAL_DISK
    assert data[8:16] == b"XSIGO   " and data[16:32] == b"VIRTUAL DISK    "
    assert data[4] + 5 == len(data) == 96


def test_vpd_pages_list_serial_and_designator(lun: sbc.Lun) -> None:
    pages = lun.execute(bytes([sbc.INQUIRY, 1, 0x00, 0, 255, 0])).data
    assert list(pages[4:]) == [0x00, 0x80, 0x83]
    serial = lun.execute(bytes([sbc.INQUIRY, 1, 0x80, 0, 255, 0])).data
    assert serial[4:] == b"XS0001"
    ident = lun.execute(bytes([sbc.INQUIRY, 1, 0x83, 0, 255, 0])).data
    assert ident[4] & 0xF == 1 and ident[5] & 0xF == 3  # binary, NAA
    assert int.from_bytes(ident[8:24], "big") == 0x6001405ABCDEF
    assert sense_of(lun.execute(bytes([sbc.INQUIRY, 1, 0xB0, 0, 255, 0])))[0] == sbc.ILLEGAL_REQUEST


def test_read_capacity_10_and_16_give_the_last_block_and_its_size(lun: sbc.Lun) -> None:
    assert lun.execute(bytes([sbc.READ_CAPACITY_10]) + bytes(9)).data == struct.pack(
        ">II", BLOCKS - 1, 512
    )
    cdb = bytes([sbc.SERVICE_ACTION_IN_16, sbc.READ_CAPACITY_16]) + bytes(14)
    data = lun.execute(cdb).data
    assert struct.unpack_from(">QI", data) == (BLOCKS - 1, 512) and len(data) == 32


def test_written_blocks_read_back_through_10_and_16_byte_commands(lun: sbc.Lun) -> None:
    pattern = bytes(range(256)) * 4  # two blocks
    assert lun.execute(rw10(sbc.WRITE_10, 5, 2), pattern).status == sbc.GOOD
    assert lun.execute(rw16(sbc.READ_16, 5, 2)).data == pattern
    assert lun.execute(rw16(sbc.WRITE_16, BLOCKS - 1, 1), b"\xaa" * 512).status == sbc.GOOD
    assert lun.execute(rw10(sbc.READ_10, BLOCKS - 1, 1)).data == b"\xaa" * 512


def test_writes_are_in_the_file_when_the_status_goes(lun: sbc.Lun) -> None:
    lun.execute(rw10(sbc.WRITE_10, 1, 1, flags=sbc.FUA), b"\x5a" * 512)
    assert lun.path.read_bytes()[512:1024] == b"\x5a" * 512


def test_blocks_past_the_end_are_an_lba_out_of_range(lun: sbc.Lun) -> None:
    expected = (sbc.ILLEGAL_REQUEST, *sbc.LBA_OUT_OF_RANGE)
    assert sense_of(lun.execute(rw10(sbc.READ_10, BLOCKS - 1, 2))) == expected
    assert sense_of(lun.execute(rw16(sbc.WRITE_16, BLOCKS, 1), bytes(512))) == expected


def test_unknown_opcodes_and_short_cdbs_are_refused(lun: sbc.Lun) -> None:
    assert sense_of(lun.execute(bytes([0xC7]) + bytes(9)))[1:] == sbc.INVALID_OPCODE
    assert sense_of(lun.execute(bytes([sbc.READ_16, 0, 0])))[1:] == sbc.INVALID_FIELD_IN_CDB


def test_mode_sense_reports_the_caching_page_in_both_sizes(lun: sbc.Lun) -> None:
    six = lun.execute(bytes([sbc.MODE_SENSE_6, 0, 0x3F, 0, 255, 0])).data
    assert six[0] + 1 == len(six) and six[4] == sbc.CACHING_PAGE
    ten = lun.execute(bytes([sbc.MODE_SENSE_10, 0, 0x08, 0, 0, 0, 0, 0, 255, 0])).data
    assert struct.unpack_from(">H", ten)[0] + 2 == len(ten) and ten[8] == sbc.CACHING_PAGE


def test_target_reports_its_luns_and_answers_for_missing_ones(lun: sbc.Lun) -> None:
    target = sbc.Target(wwpn=0x5001, wwnn=0x5000, luns={0: lun, 300: lun})
    report = target.execute(0, bytes([sbc.REPORT_LUNS]) + bytes(11)).data
    assert struct.unpack_from(">I", report)[0] == 16
    assert [sbc.lun_number(report[8 + 8 * i :]) for i in range(2)] == [0, 300]
    missing = target.execute(7, bytes([sbc.INQUIRY, 0, 0, 0, 36, 0]))
    assert missing.data[0] == sbc.NO_LUN_HERE
    assert sense_of(target.execute(7, bytes(6)))[1:] == sbc.LUN_NOT_SUPPORTED


def test_lun_fields_round_trip() -> None:
    for n in (0, 1, 255, 256, 0x3FFF):
        assert sbc.lun_number(sbc.lun_field(n)) == n


def test_an_existing_backing_file_is_served_as_it_is(tmp_path: Path) -> None:
    """A LUN over a disk that already holds data (a root filesystem): its own size, its bytes."""
    disk = tmp_path / "disk.img"
    content = bytes(range(256)) * 8  # four blocks
    disk.write_bytes(content)
    size = sbc.backing_size(disk)
    assert size == len(content)
    unit = sbc.Lun(disk, size, serial="XS0002", naa=0x6001405ABCDF0)
    try:
        result = unit.execute(rw10(sbc.READ_10, 1, 2))
        assert result.status == sbc.GOOD and result.data == content[512:1536]
    finally:
        unit.close()
    assert disk.read_bytes() == content
