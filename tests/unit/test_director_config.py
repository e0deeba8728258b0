"""The director's configuration: validation, XCM assignment, I/O port GUIDs, live reload."""

from __future__ import annotations

import json
import logging
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


def test_down_cards_must_name_io_cards() -> None:
    with pytest.raises(cfg.ConfigError, match="I/O card 'scsi'"):
        cfg.Config(down_cards=["scsi"]).validate()
    cfg.Config(down_cards=["eth", "fc"]).validate()


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


def test_macs_wwns_resource_ids_and_servers_must_be_unique_across_the_configuration() -> None:
    cases = [
        (
            [cfg.Server("h1", vnics=[cfg.Vnic("a", 1, "52:54:00:0a:00:02")]),
             cfg.Server("h2", vnics=[cfg.Vnic("b", 2, "52:54:00:0A:00:02")])],
            "server h2: vNIC b: MAC 52:54:00:0A:00:02 is taken by vNIC a of server h1",
        ),
        (
            [cfg.Server("h1", vhbas=[cfg.Vhba("a", 1, "21:00:00:1b:32:00:00:01")]),
             cfg.Server("h2", vhbas=[cfg.Vhba("a", 2, "21:00:00:1b:32:00:00:01")])],
            "server h2: vHBA a: WWN 21:00:00:1b:32:00:00:01 is taken by vHBA a of server h1",
        ),
        ([cfg.Server("h1"), cfg.Server("h1")], "server h1: a second entry for this server"),
    ]  # fmt: skip
    for servers, complaint in cases:
        with pytest.raises(cfg.ConfigError, match=complaint):
            cfg.Config(servers=servers).validate()


def test_devices_without_a_mac_or_wwn_get_one_of_their_own() -> None:
    server = cfg.Server(
        "host", vnics=[cfg.Vnic("a", 0x1001), cfg.Vnic("b", 0x1002)], vhbas=[cfg.Vhba("c", 0x1003)]
    )
    cfg.Config(servers=[server]).validate()
    assert [v.mac for v in server.vnics] == ["02:00:00:00:10:01", "02:00:00:00:10:02"]
    assert server.vhbas[0].wwn == "30:00:00:00:00:00:10:03"


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        (cfg.Config(chassis_name="two words"), "chassis_name: chassis name 'two words'"),
        (cfg.Config(chassis_name="x" * 32), "chassis_name"),
        (cfg.Config(hello_interval=0), "hello_interval: hello interval 0"),
        (cfg.Config(hello_interval=3601), "hello_interval"),
        (cfg.Config(servers=[cfg.Server("host", profile="p" * 32)]), "server host: profile"),
        (cfg.Config(servers=[cfg.Server("host", xcms=["12"])]), "XCM '12' is neither"),
        (cfg.Config(servers=[cfg.Server("0002C903000000AA")]), "not in lower case"),
        (
            cfg.Config(servers=[cfg.Server("h", vhbas=[cfg.Vhba("v", 1, port="eth/1")])]),
            "not an fc port",
        ),
    ],
)
def test_settings_profiles_and_xcm_guids_are_checked(config: cfg.Config, complaint: str) -> None:
    with pytest.raises(cfg.ConfigError, match=complaint):
        config.validate()


BAD_ENTRY = {
    "hello_interval": 2,
    "servers": [
        {"match": "good", "vnics": [{"name": "ok0", "resource_id": 4097,
                                     "mac": "52:54:00:0a:00:02"}]},
        {"match": "bad", "vnics": [{"name": "zz0", "resource_id": 4098, "mac": "zz:zz",
                                    "mtu": 99999},
                                   {"name": "ok1", "resource_id": 4099}],
         "vhbas": [{"name": "nofields"}]},
    ],
    "fc_targets": [{"wwpn": "50:01:43:80:00:00:00:01", "luns": [{"lun": 0}, {"lun": 300}]}],
}  # fmt: skip


def test_the_daemons_leave_out_only_the_wrong_entries_and_say_which_and_why(
    tmp_path: Path,
) -> None:
    path = tmp_path / "director.json"
    path.write_text(json.dumps(BAD_ENTRY))
    config, problems = cfg.load_checked(path)
    good, bad = config.servers
    assert [v.name for v in good.vnics] == ["ok0"]
    assert [v.name for v in bad.vnics] == ["ok1"] and bad.vhbas == []
    assert [lun.lun for lun in config.fc_targets[0].luns] == [0]
    assert config.hello_interval == 2
    assert sorted(str(p) for p in problems) == [
        "FC target 50:01:43:80:00:00:00:01: LUN 300: LUN 300 is not within 0..255",
        "server bad: vNIC zz0: MAC 'zz:zz' is not 6 hex bytes joined by colons",
        "server bad: vhbas[0]: malformed (Vhba.__init__() missing 1 required positional"
        " argument: 'resource_id')",
    ]


def test_ctl_reads_a_file_with_wrong_values_but_saves_none(tmp_path: Path) -> None:
    """`ctl` loads the file as written (so that `ctl delete` can remove a wrong entry) and
    refuses to save it while any entry is wrong."""
    path = tmp_path / "director.json"
    data = {k: v for k, v in BAD_ENTRY.items() if k != "servers"}
    data["servers"] = [BAD_ENTRY["servers"][0], {**BAD_ENTRY["servers"][1], "vhbas": []}]
    path.write_text(json.dumps(data))
    config = cfg.load(path)
    with pytest.raises(cfg.ConfigError, match="MAC 'zz:zz'"):
        cfg.save(path, config)
    config.servers[1].vnics.pop(0)
    config.fc_targets[0].luns.pop()
    cfg.save(path, config)
    assert cfg.load_checked(path)[1] == []


def test_ctl_refuses_a_file_whose_structure_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    path.write_text(json.dumps(BAD_ENTRY))
    with pytest.raises(cfg.ConfigError, match=r"vhbas\[0\]: malformed"):
        cfg.load(path)
    path.write_text("[]")
    with pytest.raises(cfg.ConfigError, match="not a JSON object"):
        cfg.load(path)


def test_watched_file_serves_the_good_entries_and_logs_each_wrong_one_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "director.json"
    path.write_text(json.dumps(BAD_ENTRY))
    with caplog.at_level(logging.WARNING, logger="director.config"):
        watched = cfg.Watched(path, cfg.Config())
        assert not watched.refresh()  # unchanged: not logged again
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3, lines
    assert "configuration entry skipped: server bad: vNIC zz0: MAC 'zz:zz'" in lines[1]
    assert [v.name for s in watched.config.servers for v in s.vnics] == ["ok0", "ok1"]


def test_a_wrong_wwpn_finds_no_target_not_even_another_wrong_one() -> None:
    config = cfg.Config(fc_targets=[cfg.FcTarget("zz")])
    assert config.fc_target("yy") is None
    assert config.fc_target("50:01:43:80:00:00:00:01") is None


TARGET = "50:01:43:80:00:00:00:01"
VHBA_A = "21:00:00:1b:32:00:00:01"
VHBA_B = "21:00:00:1b:32:00:00:02"


def target_entry(**extra: object) -> dict[str, object]:
    return {"wwpn": TARGET, "luns": [{"lun": 0}, {"lun": 1}], **extra}


def test_a_target_without_acls_is_open_and_with_a_list_even_empty_masked(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    for acls, masked in ((None, False), ([], True)):
        data = {"fc_targets": [target_entry(**({} if acls is None else {"acls": acls}))]}
        path.write_text(json.dumps(data))
        (target,) = cfg.load(path).fc_targets
        assert (target.acls, target.masked) == (acls, masked)
    assert cfg.load_checked(path)[1] == []


def test_acls_are_saved_and_load_back(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    acls = [cfg.FcAcl(VHBA_A, [1]), cfg.FcAcl(VHBA_B)]
    config = cfg.Config(fc_targets=[cfg.FcTarget(TARGET, luns=[cfg.FcLun(0), cfg.FcLun(1)],
                                                 acls=acls)])  # fmt: skip
    cfg.save(path, config)
    assert json.loads(path.read_text())["fc_targets"][0]["acls"] == [
        {"initiator": VHBA_A, "luns": [1]},
        {"initiator": VHBA_B, "luns": None},
    ]
    assert cfg.load(path) == config


def test_what_each_vhba_sees_of_an_open_and_a_masked_target() -> None:
    target = cfg.FcTarget(TARGET, luns=[cfg.FcLun(0), cfg.FcLun(1)])
    assert target.luns_seen_by(VHBA_A) == [0, 1]
    target.acls = [cfg.FcAcl(VHBA_A, [1]), cfg.FcAcl(VHBA_B)]
    assert target.luns_seen_by(VHBA_A.upper()) == [1]  # WWNs match in either case
    assert target.luns_seen_by(VHBA_B) == [0, 1]  # no list: every LUN
    assert target.luns_seen_by("21:00:00:1b:32:00:00:03") == []
    target.acls = []
    assert target.luns_seen_by(VHBA_A) == []


def test_the_daemons_leave_out_each_wrong_acl_and_keep_the_target_masked(tmp_path: Path) -> None:
    """A wrong ACL entry is left out like any other entry: its vHBA sees nothing of the target
    (masking fails closed), and the other entries are served."""
    path = tmp_path / "director.json"
    acls = [
        {"initiator": VHBA_A, "luns": [1]},
        {"initiator": "21:00", "luns": [0]},
        {"initiator": "21:00:00:1b:32:00:00:03", "luns": [300]},
        {"initiator": "21:00:00:1b:32:00:00:04", "luns": [2]},
        {"initiator": "21:00:00:1b:32:00:00:05", "luns": [0, 0]},
        {"initiator": "21:00:00:1b:32:00:00:06", "luns": 1},
        {"initiator": VHBA_A.upper()},
        {"initiator": VHBA_B, "lun": 0},
        {"initiator": VHBA_B},
    ]
    path.write_text(json.dumps({"fc_targets": [target_entry(acls=acls)]}))
    config, problems = cfg.load_checked(path)
    (target,) = config.fc_targets
    assert target.masked and target.acls == [cfg.FcAcl(VHBA_A, [1]), cfg.FcAcl(VHBA_B)]
    where = f"FC target {TARGET}"
    assert [str(p) for p in problems] == [
        f"{where}: acls[7]: malformed (FcAcl.__init__() got an unexpected keyword argument 'lun')",
        f"{where}: ACL 21:00: initiator WWN '21:00' is not 8 hex bytes joined by colons",
        f"{where}: ACL 21:00:00:1b:32:00:00:03: LUN 300 is not within 0..255",
        f"{where}: ACL 21:00:00:1b:32:00:00:04: the target has no LUN 2",
        f"{where}: ACL 21:00:00:1b:32:00:00:05: LUN 0 is listed twice",
        f"{where}: ACL 21:00:00:1b:32:00:00:06: luns 1 is not a list of LUNs",
        f"{where}: ACL {VHBA_A.upper()}: a second entry for this initiator",
    ]


def test_acls_that_are_not_a_list_mask_the_target_with_nobody_allowed(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    path.write_text(json.dumps({"fc_targets": [target_entry(acls={"initiator": VHBA_A})]}))
    config, problems = cfg.load_checked(path)
    assert config.fc_targets[0].acls == []
    assert [str(p) for p in problems] == [f"FC target {TARGET}: acls: not a list"]
    with pytest.raises(cfg.ConfigError, match="acls: not a list"):
        cfg.load(path)


def test_an_acl_may_not_map_a_lun_whose_own_entry_is_wrong() -> None:
    target = cfg.FcTarget(
        TARGET,
        luns=[cfg.FcLun(0, size_mb=0), cfg.FcLun(1)],
        acls=[cfg.FcAcl(VHBA_A, [0]), cfg.FcAcl(VHBA_B, [1])],
    )
    config, problems = cfg.checked(cfg.Config(fc_targets=[target]))
    assert config.fc_targets[0].acls == [cfg.FcAcl(VHBA_B, [1])]
    assert [str(p) for p in problems] == [
        f"FC target {TARGET}: LUN 0: size_mb 0 is not within 1..1073741824",
        f"FC target {TARGET}: ACL {VHBA_A}: the target has no LUN 0",
    ]
