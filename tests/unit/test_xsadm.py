"""xsadm reads xscore's links from sysfs and shows them as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xsadm.__main__ import main
from xsadm.links import read_links

# A link's sysfs attributes as xscore shows them (tests/unit/test_xsadm_ports.py makes more).
LINK = {
    "port": "rxe0:1",
    "xcm_guid": "505400fffe180002",
    "xcm_address": "2001:db8::5054:ff:fe18:2",
    "state": "up",
    "uptime": "42",
    "chassis_name": "xsigo-director",
    "profile_name": "",
    "msgs_in": "10",
    "msgs_out": "9",
    "malformed": "1",
    "unhandled": "0",
    "reconnects": "2",
    "auth": "refused",
    "auth_reason": "XCM proof wrong",
    "auth_refused": "3",
    "absent_polls": "0",
    "held": "0",
}


def write_link(root: Path, name: str, **changed: str) -> Path:
    """A link directory under `root` with LINK's attributes, some `changed`."""
    link = root / name
    link.mkdir()
    for attr, value in {**LINK, **changed}.items():
        (link / attr).write_text(value + "\n")
    return link


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    write_link(tmp_path, "rxe0-1-505400fffe180002")
    return tmp_path


def test_links_are_read_with_their_counters(sysfs: Path) -> None:
    (link,) = read_links(sysfs)
    assert link.name == "rxe0-1-505400fffe180002"
    assert link.state == "up" and link.uptime == 42 and link.reconnects == 2
    assert (link.auth, link.auth_reason, link.auth_refused) == ("refused", "XCM proof wrong", 3)
    assert link.profile_name == ""


def test_no_sysfs_directory_means_no_links(tmp_path: Path) -> None:
    assert read_links(tmp_path / "absent") == []


def test_json_output_carries_every_attribute(
    sysfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["links", "--json", "--sysfs", str(sysfs)]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["chassis_name"] == "xsigo-director"
    assert shown["malformed"] == 1
    assert set(LINK) <= set(shown)


def test_table_shows_one_row_per_link_and_a_dash_for_empty_names(
    sysfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["links", "--sysfs", str(sysfs)])
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["LINK", "PORT", "XCM"]
    assert "xsigo-director" in row and " - " in row


def test_table_says_when_there_are_no_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["links", "--sysfs", str(tmp_path)])
    assert "no links" in capsys.readouterr().out


def test_devices_under_links_show_card_port_and_driver(
    sysfs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = sysfs / "rxe0-1-505400fffe180002" / "xscore.vnic.3"
    device.mkdir()
    (device / "vdev_name").write_text("xsvnic0\n")
    (device / "resource_id").write_text("0000000000001001\n")
    (device / "card_guid").write_text("505400fffe18e001\n")
    driver = tmp_path / "drivers" / "xsvnic"
    driver.mkdir(parents=True)
    (device / "driver").symlink_to(driver)
    main(["devices", "--json", "--sysfs", str(sysfs)])
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["kind"] == "vnic" and shown["name"] == "xsvnic0"
    assert shown["card_port"] == "eth/1" and shown["driver"] == "xsvnic"


def test_device_whose_class_driver_is_not_loaded_shows_no_name_or_card_port(
    sysfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = sysfs / "rxe0-1-505400fffe180002" / "xscore.vhba.4"
    device.mkdir()
    (device / "vdev_name").write_text("\n")
    (device / "resource_id").write_text("0000000000002001\n")
    (device / "card_guid").write_text("\n")
    main(["devices", "--json", "--sysfs", str(sysfs)])
    (shown,) = json.loads(capsys.readouterr().out)
    assert (shown["name"], shown["card_guid"], shown["card_port"]) == ("", "", "")
    assert shown["driver"] == ""


def _vnic(sysfs: Path, device: str, name: str, orphaned: str | None) -> Path:
    path = sysfs / "rxe0-1-505400fffe180002" / device
    path.mkdir()
    (path / "vdev_name").write_text(f"{name}\n")
    (path / "resource_id").write_text("0000000000001001\n")
    (path / "card_guid").write_text("505400fffe18e001\n")
    if orphaned is not None:
        (path / "orphaned").write_text(f"{orphaned}\n")
    return path


def test_orphans_are_shown_and_only_they_are_deleted(
    sysfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orphan = _vnic(sysfs, "xscore.vnic.3", "xsvnic3", "1")
    owned = _vnic(sysfs, "xscore.vnic.4", "xsvnic4", "0")
    main(["devices", "--sysfs", str(sysfs)])
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[-1] == "ORPHAN"
    assert rows[1].split()[-1] == "yes" and rows[2].split()[-1] == "-"
    assert main(["delete", "xsvnic3", "--sysfs", str(sysfs)]) == 0
    assert (orphan / "delete").read_text() == "1\n"
    assert main(["delete", "xscore.vnic.4", "--sysfs", str(sysfs)]) == 1
    assert not (owned / "delete").exists()
    assert "not an orphan" in capsys.readouterr().err
    assert main(["delete", "nosuch", "--sysfs", str(sysfs)]) == 1


def test_a_kernel_without_orphans_shows_none(
    sysfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _vnic(sysfs, "xscore.vnic.3", "xsvnic3", None)
    main(["devices", "--json", "--sysfs", str(sysfs)])
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["orphaned"] is False


def test_release_writes_to_a_held_link_named_by_its_xcm(sysfs: Path) -> None:
    link = sysfs / "rxe0-1-505400fffe180002"
    (link / "absent_polls").write_text("3\n")
    (link / "held").write_text("1\n")
    (held,) = read_links(sysfs)
    assert held.held and held.absent_polls == 3
    assert main(["release", "505400fffe180002", "--sysfs", str(sysfs)]) == 0
    assert (link / "release").read_text() == "1\n"


def test_release_refuses_a_link_whose_xcm_is_assigned(
    sysfs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["release", "rxe0-1-505400fffe180002", "--sysfs", str(sysfs)]) == 1
    assert "still assigned" in capsys.readouterr().err
    assert not (sysfs / "rxe0-1-505400fffe180002" / "release").exists()
