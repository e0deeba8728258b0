"""xsadm shows each port's discovery from sysfs, and asks a port to re-poll or a link to reset
by writing the attribute xscore acts on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.test_xsadm import write_link
from xsadm.__main__ import main
from xsadm.ports import read_ports

PORT = {
    "discovery_mode": "service-record",
    "xds": "2001:db8::5054:ff:fe18:2",
    "xcms": "505400fffe180002 0002c903000000aa",
    "discovery_error": "0",
    "discoveries": "12",
    "discovery_failures": "1",
    "malformed": "0",
    "untrusted": "2",
    "link_drop_polls": "3",
}


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    port = tmp_path / "rxe0-1"
    port.mkdir()
    for name, value in PORT.items():
        (port / name).write_text(value + "\n")
    return tmp_path


def test_ports_are_read_with_their_discovery(sysfs: Path) -> None:
    (port,) = read_ports(sysfs)
    assert port.name == "rxe0-1"
    assert port.xcms == ["505400fffe180002", "0002c903000000aa"]
    assert (port.discoveries, port.discovery_failures, port.untrusted) == (12, 1, 2)


def test_ports_json_and_table(sysfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ports", "--json", "--sysfs", str(sysfs)]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["xds"] == "2001:db8::5054:ff:fe18:2" and row["discovery_error"] == 0
    main(["ports", "--sysfs", str(sysfs)])
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["PORT", "DISCOVERY", "XDS"]
    assert "505400fffe180002,0002c903000000aa" in table[1]


def test_repoll_writes_the_ports_repoll(sysfs: Path) -> None:
    assert main(["repoll", "rxe0-1", "--sysfs", str(sysfs)]) == 0
    assert (sysfs / "rxe0-1" / "repoll").read_text() == "1\n"


def test_repoll_of_an_unknown_port_fails(sysfs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["repoll", "mlx5_0-1", "--sysfs", str(sysfs)]) == 1
    assert "no port mlx5_0-1" in capsys.readouterr().err


def test_reset_writes_the_links_reset(tmp_path: Path) -> None:
    link = write_link(tmp_path, "rxe0-1-505400fffe180002")
    assert main(["reset", "505400fffe180002", "--sysfs", str(tmp_path)]) == 0
    assert (link / "reset").read_text() == "1\n"


def test_a_name_two_links_share_is_refused_with_what_to_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two ports' links to one XCM share its GUID: reset wants the link's own name."""
    for name in ("rxe0-1-505400fffe180002", "rxe1-1-505400fffe180002"):
        write_link(tmp_path, name)
    assert main(["reset", "505400fffe180002", "--sysfs", str(tmp_path)]) == 1
    assert "names 2 links: give the link, e.g. rxe0-1-505400fffe180002" in capsys.readouterr().err
    assert not list(tmp_path.glob("*/reset"))
