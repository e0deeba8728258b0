"""The Ethernet card's control plane writes the kernel gateway's configfs tree from the
director's configuration and follows it (a plain directory stands in for configfs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from director.bindings import HostBindings
from director.config import Config, Server, Vnic, Watched
from director.ethgw import EthernetGateway, KernelCard, port_dirname

PORTS = {"eth/1": "gw-eth1", "eth/2": "gw-eth2"}
ADDRESSES = {"eth/1": "2001:db8::1", "eth/2": "2001:db8::2"}


def card(root: Path) -> KernelCard:
    return KernelCard(root, PORTS, ADDRESSES, remove_dir=shutil.rmtree)


def config(*vnics: Vnic, down: tuple[str, ...] = ()) -> Config:
    return Config(servers=[Server(match="host", vnics=list(vnics))], down_ports=list(down))


def read(path: Path) -> str:
    return path.read_text().strip()


def test_port_directories_drop_the_slash() -> None:
    assert port_dirname("eth/12") == "eth12"


def test_start_creates_enabled_ports_and_the_configured_vnics(tmp_path: Path) -> None:
    vnic = Vnic("xsvnic0", 0x2001, mac="52:54:00:0A:00:02", mtu=9000, port="eth/1")
    card(tmp_path).start(config(vnic, down=("eth/2",)))
    assert read(tmp_path / "eth1" / "uplink") == "gw-eth1"
    assert read(tmp_path / "eth1" / "address") == "2001:db8::1"
    assert read(tmp_path / "eth1" / "enable") == "1"
    assert read(tmp_path / "eth1" / "link") == "1"
    assert read(tmp_path / "eth2" / "link") == "0"
    assert read(tmp_path / "eth1" / "vnics" / "2001" / "mac") == "52:54:00:0a:00:02"
    assert read(tmp_path / "eth1" / "vnics" / "2001" / "mtu") == "9000"


def test_apply_follows_additions_changes_moves_deletions_and_links(tmp_path: Path) -> None:
    gw = card(tmp_path)
    first = Vnic("xsvnic0", 0x2001, port="eth/1")
    gw.start(config(first))
    gw.apply(config(first, Vnic("xsvnic1", 0x2002, port="eth/2"), down=("eth/1",)))
    assert (tmp_path / "eth2" / "vnics" / "2002").is_dir()
    assert read(tmp_path / "eth1" / "link") == "0"
    gw.apply(config(Vnic("xsvnic0", 0x2001, mtu=4000, port="eth/2")))
    assert not (tmp_path / "eth1" / "vnics" / "2001").exists()
    assert not (tmp_path / "eth2" / "vnics" / "2002").exists()
    assert read(tmp_path / "eth2" / "vnics" / "2001" / "mtu") == "4000"
    assert read(tmp_path / "eth1" / "link") == "1"


def test_vnics_on_ports_the_card_does_not_serve_are_left_out(tmp_path: Path) -> None:
    card(tmp_path).start(config(Vnic("xsvnic9", 0x2009, port="eth/7")))
    assert not list((tmp_path / "eth1" / "vnics").glob("*"))


def test_stop_disables_each_port_before_removing_it(tmp_path: Path) -> None:
    removed: list[tuple[str, str]] = []

    def remove(path: Path) -> None:
        port = path if path.parent == tmp_path else path.parent.parent
        removed.append((path.name, read(port / "enable")))
        shutil.rmtree(path)

    gw = KernelCard(tmp_path, PORTS, ADDRESSES, remove_dir=remove)
    gw.start(config(Vnic("xsvnic0", 0x2001, port="eth/1")))
    removed.clear()
    gw.stop()
    assert ("2001", "0") in removed
    assert ("eth1", "0") in removed
    assert not list(tmp_path.iterdir())


def test_a_setting_the_gateway_refuses_is_logged_and_tried_again(tmp_path: Path) -> None:
    gw = card(tmp_path)
    gw.start(config(Vnic("xsvnic0", 0x2001, mtu=9000, port="eth/1")))
    mtu = tmp_path / "eth1" / "vnics" / "2001" / "mtu"
    mtu.unlink()
    mtu.mkdir()  # writing it now fails, as the gateway's EINVAL would
    gw.apply(config(Vnic("xsvnic0", 0x2001, mtu=9001, port="eth/1")))
    assert gw.vnics[0x2001].mtu == 9000
    mtu.rmdir()
    gw.apply(config(Vnic("xsvnic0", 0x2001, mtu=4000, port="eth/1")))
    assert read(mtu) == "4000"


def test_a_vnic_written_wrong_by_hand_is_left_out_and_the_others_served(tmp_path: Path) -> None:
    """The card follows the file as the daemons read it (config.Watched): a vNIC whose MAC
    or MTU is wrong never reaches the gateway, and the other vNICs do."""
    path = tmp_path / "director.json"
    good = {"name": "xsvnic0", "resource_id": 0x2001, "mac": "52:54:00:0a:00:02", "port": "eth/1"}
    bad = {"name": "xsvnic1", "resource_id": 0x2002, "mac": "zz:zz", "mtu": 99999}
    path.write_text(json.dumps({"servers": [{"match": "host", "vnics": [good, bad]}]}))
    root = tmp_path / "configfs"
    root.mkdir()
    card(root).start(Watched(path, Config()).config)
    assert [p.name for p in (root / "eth1" / "vnics").iterdir()] == ["2001"]


def test_each_vnic_is_bound_to_its_hosts_gid_and_moves_with_it(tmp_path: Path) -> None:
    """The gateway takes a vNIC's connections only from the host the director binds it to: none
    until an XCM session installs it, then that host's GID, then another's if it moves."""
    gw = card(tmp_path)
    vnic = Vnic("xsvnic0", 0x2001, port="eth/1")
    host = tmp_path / "eth1" / "vnics" / "2001" / "host"
    gw.start(config(vnic))
    assert host.read_text() == "\n"  # an empty line: written, so the kernel sees it
    gw.apply(config(vnic), {0x2001: "2001:db8::5054:ff:fe18:1"})
    assert read(host) == "2001:db8::5054:ff:fe18:1"
    gw.apply(config(vnic), {0x2001: "2001:db8::99"})
    assert read(host) == "2001:db8::99"


def _gateway(tmp_path: Path, start: Config) -> tuple[EthernetGateway, Watched]:
    settings = Watched(None, start)
    gw = EthernetGateway(PORTS, "2001:db8::", 0x1, settings, HostBindings(tmp_path / "state"),
                         root=tmp_path / "configfs")  # fmt: skip
    gw.card.remove_dir = shutil.rmtree
    (tmp_path / "configfs").mkdir()
    return gw, settings


def test_a_card_taken_down_stops_its_ports_and_brought_up_serves_its_vnics_again(
    tmp_path: Path,
) -> None:
    vnic = Vnic("xsvnic0", 0x2001, port="eth/1")
    gw, settings = _gateway(tmp_path, config(vnic))
    gw._follow(first=True)
    vnic_dir = tmp_path / "configfs" / "eth1" / "vnics" / "2001"
    assert vnic_dir.is_dir()
    settings.config = Config(servers=settings.config.servers, down_cards=["eth"])
    gw._follow()
    assert not list((tmp_path / "configfs").iterdir())
    settings.config = Config(servers=settings.config.servers, down_cards=["fc"])
    gw._follow()
    assert read(tmp_path / "configfs" / "eth1" / "enable") == "1"
    assert vnic_dir.is_dir()


def test_a_card_down_when_its_process_starts_serves_nothing(tmp_path: Path) -> None:
    gw, _ = _gateway(tmp_path, Config(down_cards=["eth"]))
    gw._follow(first=True)
    assert not list((tmp_path / "configfs").iterdir())


def test_a_card_that_fails_to_come_up_is_tried_again(tmp_path: Path) -> None:
    vnic = Vnic("xsvnic0", 0x2001, port="eth/1")
    gw, settings = _gateway(tmp_path, Config(servers=config(vnic).servers, down_cards=["eth"]))
    gw._follow(first=True)
    start = gw.card.start
    fails = [OSError(17, "File exists")]

    def flaky_start(*args: object) -> None:
        if fails:
            raise fails.pop()
        start(*args)  # type: ignore[arg-type]

    gw.card.start = flaky_start  # type: ignore[method-assign]
    settings.config = config(vnic)
    gw._follow()
    assert gw.down and gw.retry.failed_at is not None
    gw._follow()
    assert not gw.down and gw.retry.failed_at is None
    assert (tmp_path / "configfs" / "eth1" / "vnics" / "2001").is_dir()
