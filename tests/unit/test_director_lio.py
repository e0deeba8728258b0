"""director/lio.py: how the configuration's FC targets become LIO backstores and names."""

from __future__ import annotations

from pathlib import Path

from director import config as cfg
from director import lio

WWPN = "50:01:43:80:00:00:00:01"


def test_a_sized_lun_is_a_fileio_backstore_on_a_file_of_its_size(tmp_path: Path) -> None:
    target = cfg.FcTarget(WWPN)
    store = lio.backstore(target, cfg.FcLun(0, 64), tmp_path)
    assert store.hba == "fileio_0"
    assert store.name == "xs-5001438000000001-0"
    assert store.control == (
        f"fd_dev_name={tmp_path}/5001438000000001-0.img,fd_dev_size={64 << 20}"
    )


def test_a_backing_file_is_served_at_its_own_size(tmp_path: Path) -> None:
    backing = tmp_path / "disk.img"
    backing.write_bytes(bytes(4096))
    store = lio.backstore(cfg.FcTarget(WWPN), cfg.FcLun(3, backing=str(backing)), tmp_path)
    assert (store.hba, store.control) == ("fileio_0", f"fd_dev_name={backing},fd_dev_size=4096")


def test_names_serials_and_card_ports() -> None:
    target = cfg.FcTarget(WWPN)
    assert lio.serial(target, 0) == "XS000001000"  # as the Python card gave it
    assert lio.wwn_name("fc/2") == "fc-2"
    assert lio.hex_wwpn(target.wwpn_int) == "5001438000000001"


def test_target_ports_are_told_from_lios_own_groups(tmp_path: Path) -> None:
    for name in ("card", "param", "fabric_statistics", "5001438000000001"):
        (tmp_path / name).mkdir()
    assert [p.name for p in lio._tpgs(tmp_path)] == ["5001438000000001"]
