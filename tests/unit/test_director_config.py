"""The director's configuration: validation, XCM assignment, I/O port GUIDs, live reload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from director import config as cfg

OWN = 0x505400FFFE180002


def test_unknown_servers_go_to_the_directors_own_xcm() -> None:
    assert cfg.Config().xcm_guids(0x1234, "anyhost", OWN) == [OWN]


def test_servers_match_by_hostname_or_port_guid() -> None:
    config = cfg.Config(servers=[cfg.Server("host", xcms=["own", "0002c903000000aa"])])
    assert config.xcm_guids(1, "host", OWN) == [OWN, 0x0002C903000000AA]
    by_guid = cfg.Config(servers=[cfg.Server(f"{0x42:016x}", xcms=[])])
    assert by_guid.xcm_guids(0x42, "other", OWN) == []


@pytest.mark.parametrize(
    ("device", "complaint"),
    [
        (cfg.Vnic("", 1), "device name '' is not"),
        (cfg.Vnic("a-name-longer-than-15", 1), "device name 'a-name-longer-than-15' is not"),
        (cfg.Vnic("ok", 1, port="usb/1"), "I/O port 'usb/1' is not"),
        (cfg.Vnic("ok", 1, port="fc/1"), "not an eth port"),
        (cfg.Vnic("ok", 1, mac="zz:zz"), "MAC 'zz:zz' is not 6 hex bytes"),
        (cfg.Vnic("ok", 1, mtu=99999), "MTU 99999 is not within 68..9000"),
        (cfg.Vnic("ok", 0), "resource id 0 is not"),
    ],
)
def test_bad_devices_are_refused(device: cfg.Vnic, complaint: str) -> None:
    with pytest.raises(cfg.ConfigError, match=complaint):
        cfg.Config(servers=[cfg.Server("host", vnics=[device])]).validate()


def test_names_and_resource_ids_must_be_unique() -> None:
    twice = cfg.Server("host", vnics=[cfg.Vnic("a", 1)], vhbas=[cfg.Vhba("a", 2)])
    with pytest.raises(cfg.ConfigError, match="vHBA a: the server has a vNIC of that name"):
        cfg.Config(servers=[twice]).validate()
    shared = [
        cfg.Server("h1", vnics=[cfg.Vnic("a", 1)]),
        cfg.Server("h2", vnics=[cfg.Vnic("b", 1)]),
    ]
    with pytest.raises(cfg.ConfigError, match="resource id 0x1 is taken by vNIC a of server h1"):
        cfg.Config(servers=shared).validate()


def test_io_port_guids_keep_the_directors_high_bits() -> None:
    assert cfg.io_port_guid(OWN, "eth/1") == 0x505400FFFE18E001
    assert cfg.io_port_guid(OWN, "fc/2") == 0x505400FFFE18FC02


def test_fabric_addresses_put_the_guid_under_the_prefix() -> None:
    assert cfg.fabric_address("2001:db8::", 0x505400FFFE18E001) == "2001:db8::5054:ff:fe18:e001"
    # only the prefix's first 64 bits count
    assert cfg.fabric_address("2001:db8:0:7::99", 0x2) == "2001:db8:0:7::2"


def test_down_ports_must_name_io_ports() -> None:
    with pytest.raises(cfg.ConfigError):
        cfg.Config(down_ports=["eth1"]).validate()


def test_saved_configuration_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    config = cfg.Config(hello_interval=1, servers=[cfg.Server("host", vnics=[cfg.Vnic("v", 7)])])
    cfg.save(path, config)
    assert cfg.load(path) == config


def test_watched_file_reloads_on_change_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    cfg.save(path, cfg.Config(hello_interval=1))
    watched = cfg.Watched(path, cfg.Config())
    assert watched.config.hello_interval == 1
    assert not watched.refresh()
    cfg.save(path, cfg.Config(hello_interval=2))
    assert watched.refresh() and watched.config.hello_interval == 2
    path.write_text("{not json")
    os.utime(path, ns=(1, 1))
    assert not watched.refresh()
    assert watched.error and watched.config.hello_interval == 2
