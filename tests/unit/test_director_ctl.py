"""The operator CLI (`python3 -m director ctl`): what it refuses is one line on stderr with a
non-zero exit status, never a traceback; every read command answers in JSON with --json."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from director import config as cfg
from director import lio
from director.__main__ import build_parser, log_level, main

WWPN = "50:01:43:80:00:00:00:01"
VHBA_WWN = "21:00:00:1b:32:00:00:01"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "director.json"


def ctl(path: Path, *words: str) -> int:
    return main(["ctl", "--config", str(path), "--state-dir", str(path.parent / "run"), *words])


def refused(capsys: pytest.CaptureFixture[str], status: int) -> str:
    """The one line a refused command wrote on stderr (and nothing on stdout)."""
    out, err = capsys.readouterr()
    assert status != 0 and out == "", (status, out)
    assert err.startswith("ctl: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("words", "complaint"),
    [
        (["add-vnic", "host", "x0", "--mac", "zz:zz"], "MAC 'zz:zz' is not 6 hex bytes"),
        (["card-state", "scsi", "down"], "argument card: invalid choice: 'scsi'"),
        (["add-vnic", "host", "x0", "--mtu", "99999"], "MTU 99999 is not within 68..9000"),
        (["add-vnic", "host", "x0", "--mac", "01:00:5e:00:00:01"], "multicast"),
        (["add-vnic", "host", "a name"], "device name 'a name'"),
        (["add-vnic", "host", "x" * 16], "device name"),
        (["add-vnic", "host", "x0", "--port", "fc/1"], "not an eth port"),
        (["add-vnic", "host", "x0", "--mtu", "big"], "argument --mtu: invalid int value"),
        (["add-vnic", "host", "x0", "--resource-id", "0"], "resource id 0 is not within"),
        (["add-vnic", "host", "x0", "--resource-id", "z"], "resource id 'z' is not a number"),
        (["add-vhba", "host", "v0", "--wwn", "21:00"], "WWN '21:00' is not 8 hex bytes"),
        (["add-vhba", "host", "v0", "--port", "eth/1"], "not an fc port"),
        (["set-vnic", "nohost", "x0", "--mtu", "1500"], "no server nohost"),
        (["set-vhba", "nohost", "v0", "--queue-depth", "8"], "no server nohost"),
        (["delete", "nohost", "x0"], "no server nohost"),
        (["stats", "nohost", "x0"], "no server nohost"),
        (["remove-lun", WWPN], f"no FC target {WWPN}"),
        (["target-state", WWPN, "online"], f"no FC target {WWPN}"),
        (["allow", WWPN, VHBA_WWN], f"no FC target {WWPN}"),
        (["mask", WWPN], f"no FC target {WWPN}"),
        (["unmask", WWPN], f"no FC target {WWPN}"),
        (["allow", WWPN, VHBA_WWN, "--lun", "x"], "argument --lun: invalid int value"),
        (["add-lun", "not-a-wwpn", "0"], "WWPN 'not-a-wwpn' is not 8 hex bytes"),
        (["add-lun", WWPN, "256"], "LUN 256 is not within 0..255"),
        (["assign-xcm", "host", "12"], "XCM '12' is neither 16 hex digits nor 'own'"),
        (["port-link", "eth1", "down"], "I/O port 'eth1' is not"),
        (["host-key", "12"], "host GUID '12' is not 16 hex digits"),
        (["host-key", "505400fffe180001", "zz"], "host_keys: 505400fffe180001"),
        (["allow-unauthenticated", "xyz"], "host GUID 'xyz'"),
        (["no-such-command"], "invalid choice: 'no-such-command'"),
        ([], "the following arguments are required: op"),
    ],
)
def test_wrong_input_is_one_line_on_stderr_and_a_failure(
    path: Path, capsys: pytest.CaptureFixture[str], words: list[str], complaint: str
) -> None:
    try:
        status = ctl(path, *words)
    except SystemExit as exit_:  # argparse's own refusals
        status = int(exit_.code or 0)
    assert complaint in refused(capsys, status)
    assert not path.exists()  # nothing saved


def test_duplicates_are_refused_and_the_file_is_left_as_it_was(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ctl(path, "add-vnic", "host", "xsvnic0", "--mac", "52:54:00:0a:00:02") == 0
    assert ctl(path, "add-vhba", "host", "xsvhba0", "--wwn", "21:00:00:1b:32:00:00:01") == 0
    before = path.read_text()
    capsys.readouterr()
    attempts = {
        ("add-vnic", "host", "xsvnic0", "--mac", "52:54:00:0a:00:03"): "a vNIC of that name",
        ("add-vhba", "host", "xsvnic0"): "a vNIC of that name",
        ("add-vnic", "other", "xsvnic0", "--mac", "52:54:00:0A:00:02"): "MAC 52:54:00:0a:00:02"
        " is taken by vNIC xsvnic0 of server host",
        ("add-vhba", "other", "v", "--wwn", "21:00:00:1b:32:00:00:01"): "is taken by vHBA",
        ("add-vnic", "other", "v", "--resource-id", "0x1001"): "resource id 0x1001 is taken",
    }
    for words, complaint in attempts.items():
        assert complaint in refused(capsys, ctl(path, *words)), words
    assert path.read_text() == before


def test_card_state_takes_a_card_down_and_up_again_in_the_configuration(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ctl(path, "card-state", "fc", "down") == 0
    assert ctl(path, "card-state", "eth", "down") == 0
    assert ctl(path, "card-state", "fc", "down") == 0
    assert cfg.load(path).down_cards == ["eth", "fc"]
    assert ctl(path, "card-state", "fc", "up") == 0
    assert cfg.load(path).down_cards == ["eth"]
    assert capsys.readouterr().out.splitlines()[-1] == "I/O card fc up"


def test_devices_added_without_mac_or_wwn_each_get_their_own(path: Path) -> None:
    for name in ("xsvnic0", "xsvnic1"):
        assert ctl(path, "add-vnic", "host", name) == 0
    assert ctl(path, "add-vnic", "other", "xsvnic0") == 0
    assert ctl(path, "add-vhba", "host", "xsvhba0") == 0
    assert ctl(path, "add-vhba", "other", "xsvhba0") == 0
    config = cfg.load(path)
    macs = [v.mac for s in config.servers for v in s.vnics]
    wwns = [v.wwn for s in config.servers for v in s.vhbas]
    assert macs == ["02:00:00:00:10:01", "02:00:00:00:10:02", "02:00:00:00:10:03"]
    assert wwns == ["30:00:00:00:00:00:10:04", "30:00:00:00:00:00:10:05"]


def test_a_server_named_by_port_guid_is_kept_in_lower_case(path: Path) -> None:
    assert ctl(path, "add-vnic", "505400FFFE180001", "xsvnic0") == 0
    assert ctl(path, "set-vnic", "505400fffe180001", "xsvnic0", "--mtu", "4000") == 0
    assert cfg.load(path).servers[0].match == "505400fffe180001"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"servers": [{"vnics": []}]}', "servers[0]: malformed"),
        ('{"servers": 5}', "servers: not a list"),
        ('{"servers": [{"match": "h", "vnics": {}}]}', "server h: vnics: not a list"),
    ],
)
def test_an_unreadable_configuration_is_one_line(
    path: Path, capsys: pytest.CaptureFixture[str], content: str, complaint: str
) -> None:
    path.write_text(content)
    for words in (["list"], ["add-vnic", "host", "xsvnic0"], ["show"]):
        assert complaint in refused(capsys, ctl(path, *words))
    assert path.read_text() == content


def test_a_configuration_that_cannot_be_opened_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "Is a directory" in refused(capsys, ctl(tmp_path, "list"))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    status = ctl(blocker / "etc" / "director.json", "add-vnic", "host", "xsvnic0")
    assert "Not a directory" in refused(capsys, status)


def test_list_and_show_answer_in_json(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ctl(path, "add-vnic", "host", "xsvnic0") == 0
    capsys.readouterr()
    assert ctl(path, "list", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [
        {
            "port_guid": None,
            "hostname": None,
            "configured_as": "host",
            "sessions": [],
            "fc_luns": {},
        }
    ]
    assert ctl(path, "show", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["problems"] == []
    assert shown["config"]["servers"][0]["vnics"][0]["mac"] == "02:00:00:00:10:01"


def test_show_names_the_entries_the_daemons_leave_out(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path.write_text(json.dumps({"servers": [{"match": "host", "vnics": [
        {"name": "xsvnic0", "resource_id": 4097, "mtu": 99999}]}]}))  # fmt: skip
    assert ctl(path, "show", "--json") == 0
    assert json.loads(capsys.readouterr().out)["problems"] == [
        "server host: vNIC xsvnic0: MTU 99999 is not within 68..9000"
    ]
    # The wrong entry can still be deleted: that is how the operator mends the file.
    assert ctl(path, "delete", "host", "xsvnic0") == 0
    assert cfg.load_checked(path) == (cfg.Config(servers=[cfg.Server("host")]), [])


@pytest.fixture
def target(path: Path) -> Path:
    """A configuration with a vHBA (xsvhba0 of host) and a target with LUNs 0 and 1."""
    assert ctl(path, "add-vhba", "host", "xsvhba0", "--wwn", VHBA_WWN) == 0
    for lun in ("0", "1"):
        assert ctl(path, "add-lun", WWPN, lun) == 0
    return path


def acls(path: Path) -> list[cfg.FcAcl] | None:
    return cfg.load(path).fc_targets[0].acls


def test_allowing_a_vhba_masks_the_target_to_the_luns_given(
    target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert ctl(target, "allow", WWPN, VHBA_WWN.upper(), "--lun", "1") == 0
    assert capsys.readouterr().out == f"FC target {WWPN} masked: vHBA {VHBA_WWN} sees LUNs 1\n"
    assert acls(target) == [cfg.FcAcl(VHBA_WWN, [1])]
    assert ctl(target, "allow", WWPN, "host/xsvhba0", "--lun", "1", "0", "--lun", "1") == 0
    assert acls(target) == [cfg.FcAcl(VHBA_WWN, [0, 1])]  # replaced, not added to
    assert ctl(target, "allow", WWPN, "host/xsvhba0") == 0
    assert acls(target) == [cfg.FcAcl(VHBA_WWN, None)]  # every LUN, those added later too
    assert "sees every LUN" in capsys.readouterr().out


def test_allow_remove_takes_luns_or_the_vhba_away_and_the_target_stays_masked(
    target: Path,
) -> None:
    assert ctl(target, "allow", WWPN, VHBA_WWN) == 0
    assert ctl(target, "allow", WWPN, VHBA_WWN, "--lun", "0", "--remove") == 0
    assert acls(target) == [cfg.FcAcl(VHBA_WWN, [1])]
    assert ctl(target, "allow", WWPN, "host/xsvhba0", "--remove") == 0
    assert acls(target) == []


def test_mask_allows_nobody_yet_and_unmask_opens_the_target_again(
    target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ctl(target, "mask", WWPN) == 0
    assert acls(target) == []
    assert ctl(target, "allow", WWPN, VHBA_WWN, "--lun", "0") == 0
    assert ctl(target, "mask", WWPN) == 0  # already masked: the list stays
    assert acls(target) == [cfg.FcAcl(VHBA_WWN, [0])]
    capsys.readouterr()
    assert ctl(target, "unmask", WWPN) == 0
    assert acls(target) is None
    assert capsys.readouterr().out == f"FC target {WWPN} open: every vHBA sees every LUN\n"


def test_removing_a_lun_takes_it_out_of_the_acls_that_map_it(target: Path) -> None:
    assert ctl(target, "allow", WWPN, VHBA_WWN, "--lun", "0", "1") == 0
    assert ctl(target, "remove-lun", WWPN, "1") == 0
    assert acls(target) == [cfg.FcAcl(VHBA_WWN, [0])]


@pytest.mark.parametrize(
    ("words", "complaint"),
    [
        (["allow", WWPN, VHBA_WWN, "--lun", "2"], f"ACL {VHBA_WWN}: the target has no LUN 2"),
        (["allow", WWPN, VHBA_WWN, "--lun", "256"], "LUN 256 is not within 0..255"),
        (["allow", WWPN, "21:00"], "vHBA WWN '21:00' is not 8 hex bytes joined by colons"),
        (["allow", WWPN, "nohost/xsvhba0"], "no server nohost in the configuration"),
        (["allow", WWPN, "host/xsvhba9"], "server host has no vHBA named xsvhba9"),
    ],
)
def test_a_wrong_allow_is_one_line_and_saves_nothing(
    target: Path, capsys: pytest.CaptureFixture[str], words: list[str], complaint: str
) -> None:
    before = target.read_text()
    capsys.readouterr()
    assert complaint in refused(capsys, ctl(target, *words))
    assert target.read_text() == before


def test_list_and_show_say_what_each_vhba_sees(
    target: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert ctl(target, "list", "--json") == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["fc_luns"] == {"xsvhba0": {WWPN: [0, 1]}}
    assert ctl(target, "allow", WWPN, VHBA_WWN, "--lun", "1") == 0
    assert ctl(target, "add-vhba", "host", "xsvhba1") == 0
    capsys.readouterr()
    assert ctl(target, "list", "--json") == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["fc_luns"] == {"xsvhba0": {WWPN: [1]}, "xsvhba1": {}}
    assert ctl(target, "list") == 0
    assert f"  xsvhba0 sees FC target {WWPN}: LUNs 1" in capsys.readouterr().out.splitlines()
    assert ctl(target, "show", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["config"]["fc_targets"][0]["acls"] == [{"initiator": VHBA_WWN, "luns": [1]}]


def fake_card(root: Path) -> None:
    """A configfs tree of the FC card with one port, one vHBA and one target with a LUN."""
    card = root / lio.FABRIC / "fc-1" / lio.CARD
    card.mkdir(parents=True)
    (card / "link").write_text("1\n")
    (card / "vhbas").write_text("1003 enabled 2\n")
    (card / "stats").write_text("commands 7\nmalformed 0\n")
    tpg = root / lio.FABRIC / "fc-1" / "5001438000000001"
    (tpg / "lun" / "lun_0").mkdir(parents=True)
    (tpg / "enable").write_text("1\n")
    (tpg / "loop_id").write_text("1\n")
    store = root / "core" / "fileio_0" / "xs-5001438000000001-0"
    store.mkdir(parents=True)
    (tpg / "lun" / "lun_0" / "xs_lun").symlink_to(store)


def test_fc_show_answers_in_json_and_in_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lio, "CONFIGFS", tmp_path)
    assert "xsfcgw) is not loaded" in refused(capsys, ctl(tmp_path / "d.json", "fc-show"))
    fake_card(tmp_path)
    assert ctl(tmp_path / "d.json", "fc-show", "--json") == 0
    (port,) = json.loads(capsys.readouterr().out)
    assert port["port"] == "fc-1" and port["link"] == "up"
    assert port["vhbas"] == [{"resource_id": "1003", "state": "enabled", "in_use": 2}]
    assert port["stats"] == {"commands": 7, "malformed": 0}
    (target,) = port["targets"]
    assert target["luns"] == {"lun_0": ["xs-5001438000000001-0"]}
    assert ctl(tmp_path / "d.json", "fc-show") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "fc-1: listen -, link up"
    assert "  vHBA 1003 enabled 2" in lines and "    lun_0: xs-5001438000000001-0" in lines


@pytest.mark.parametrize(
    ("words", "level"),
    [
        (["ctl", "list"], logging.INFO),
        (["-v", "ctl", "list"], logging.DEBUG),
        (["ctl", "-q", "list"], logging.WARNING),
        (["-q", "xcm", "--address", "::1"], logging.WARNING),
        (["xcm", "--address", "::1", "--verbose"], logging.DEBUG),
    ],
)
def test_verbosity_is_taken_before_or_after_the_command(words: list[str], level: int) -> None:
    assert log_level(build_parser().parse_args(words)) == level


def test_verbose_and_quiet_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["-v", "-q", "ctl", "list"])
    err = capsys.readouterr().err
    assert err.startswith("director: ") and err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("option", "complaint"),
    [
        (["--guid", "12"], "argument --guid: XCM GUID '12' is not 16 hex digits"),
        (["--chassis-name", "two words"], "chassis name 'two words'"),
        (["--chassis-name", "x" * 32], "chassis name"),
        (["--hello-interval", "0"], "hello interval 0 is not within 1..3600"),
        (["--hello-interval", "often"], "hello interval 'often' is not a number"),
    ],
)
def test_the_xcm_refuses_wrong_settings_on_its_command_line_in_one_line(
    capsys: pytest.CaptureFixture[str], option: list[str], complaint: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["xcm", "--address", "::1", *option])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.startswith("xcm: ") and complaint in err and err.count("\n") == 1, err


def test_the_xcm_takes_its_guid_in_either_case() -> None:
    args = build_parser().parse_args(["xcm", "--address", "::1", "--guid", "0002C903000000AA"])
    assert args.guid == 0x0002C903000000AA


def test_a_batch_runs_each_line_as_a_command_and_says_each_status(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ctl batch FILE`: one process runs every line in turn (as `ip -batch`), each followed
    by its status on stdout; a refused line is its one-line error and a non-zero status, and
    the lines after it still run."""
    script = tmp_path / "changes"
    script.write_text(
        "# two targets' LUNs, one refused line between them\n"
        f"add-lun {WWPN} 0 --size-mb 8\n"
        "\n"
        "add-vnic host x0 --mtu 99999\n"
        f"add-lun 50:01:43:80:00:00:00:02 0 --size-mb 8\n"
        "batch inner\n"
        "add-vnic 'unterminated\n"
    )
    capsys.readouterr()
    assert ctl(path, "batch", str(script)) == 1
    out, err = capsys.readouterr()
    statuses = [line for line in out.splitlines() if line.startswith("ctl-batch:")]
    assert statuses == [
        "ctl-batch: 0",
        "ctl-batch: 1",
        "ctl-batch: 0",
        "ctl-batch: 2",
        "ctl-batch: 2",
    ]
    assert "MTU 99999 is not within 68..9000" in err and "Traceback" not in err, err
    assert "not within a batch" in err
    targets = {t.wwpn for t in cfg.load(path).fc_targets}
    assert targets == {WWPN, "50:01:43:80:00:00:00:02"}
