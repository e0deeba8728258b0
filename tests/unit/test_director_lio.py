"""director/lio.py: how the configuration's FC targets become LIO backstores and names."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

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


# Node ACLs and masking, on a configfs tree faked in a directory.

VHBA_A = "21:00:00:1b:32:00:00:01"
VHBA_B = "21:00:00:1b:32:00:00:02"
TPG = "5001438000000001"
ACL_A, ACL_B = "2100001b32000001", "2100001b32000002"


class FakeConfigfs:
    """The card's configfs tree in a directory, as LIO keeps it: the groups LIO makes by itself
    in a card port (card/, card/initiators/), a TPG (lun/, acls/, attrib/), a node ACL
    (attrib/) and a backstore (wwn/, and its size in info); an rmdir that refuses a directory
    with links or directories of the operator's in it, or one a link points to (a LUN still
    mapped); backstores already enabled. Every mkdir, rmdir and write that apply() makes is
    recorded in order in `events`."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.events: list[str] = []
        self.groups: set[Path] = set()
        self.lio = lio.Lio(["fc/1"], "2001:db8::", 0x505400FFFE180002, root / "luns", root=root)
        real_mkdir = Path.mkdir

        def mkdir(path: Path, *args: Any, **kwargs: Any) -> None:
            real_mkdir(path, *args, **kwargs)
            if path.is_relative_to(root):
                self.events.append(f"mkdir {self.name(path)}")
            for group in self._groups_of(path):
                real_mkdir(path / group, exist_ok=True)
                self.groups.add(path / group)
            if path.name == TPG:
                (path / "loop_id").write_text("1\n")

        monkeypatch.setattr(Path, "mkdir", mkdir)
        monkeypatch.setattr(lio, "_rmdir", self.rmdir)
        monkeypatch.setattr(lio, "_write", self.write)

    def name(self, path: Path) -> str:
        """The path under the card port (a TPG's: "<wwpn>/..."), or else under the root."""
        port = self.root / lio.FABRIC / "fc-1"
        return str(path.relative_to(port if path.is_relative_to(port) else self.root))

    def _groups_of(self, path: Path) -> list[str]:
        if path.parent == self.root / lio.FABRIC:
            return [lio.CARD, str(lio.INITIATORS)]
        if path.parent == self.root / lio.FABRIC / "fc-1" and path.name == TPG:
            return ["lun", "acls", "attrib"]
        if path.parent.parent == self.root / "core":
            return ["wwn"]
        return ["attrib"] if path.parent.name == "acls" else []

    def backstores(self, config: cfg.Config) -> None:
        """Each LUN's backstore, enabled on its file, as an earlier apply() left it."""
        for target in config.fc_targets:
            for lun in target.luns:
                store = lio.backstore(target, lun, self.root / "luns")
                path = store.path(self.root)
                path.mkdir(parents=True)
                fields = dict(f.split("=", 1) for f in store.control.split(","))
                (path / "enable").write_text("1\n")
                (path / "udev_path").write_text(fields["fd_dev_name"] + "\n")
                (path / "info").write_text(f"Size: {fields['fd_dev_size']}\n")
        self.events.clear()

    def write(self, path: Path, value: str) -> None:
        self.events.append(f"write {self.name(path)} {value}")
        path.write_text(value + "\n")
        if path.name == "control":  # a backstore says its size in info
            size = dict(f.split("=", 1) for f in value.split(","))["fd_dev_size"]
            (path.parent / "info").write_text(f"Size: {size}\n")

    def rmdir(self, path: Path) -> None:
        if not path.is_dir():
            return
        for top, dirs, files in os.walk(self.root):
            for entry in dirs + files:
                link = Path(top) / entry
                if link.is_symlink() and link.resolve() == path.resolve():
                    raise OSError(errno.EBUSY, f"{link} links to it", str(path))
        self._clear(path)
        path.rmdir()
        self.events.append(f"rmdir {self.name(path)}")

    def _clear(self, path: Path) -> None:
        for entry in path.iterdir():
            if entry.is_symlink() or (entry.is_dir() and entry not in self.groups):
                raise OSError(errno.ENOTEMPTY, f"{entry} is in it", str(path))
            if entry.is_dir():
                self._clear(entry)
                entry.rmdir()
            else:
                entry.unlink()

    def acls(self) -> dict[str, list[str]]:
        """Each node ACL of the target, with the target's LUNs its mapped LUNs link to."""
        tpg = self.root / lio.FABRIC / "fc-1" / TPG
        return {
            acl.name: [
                f"{m.name}->{(m / lio.LINK).resolve().name}"
                for m in sorted(acl.iterdir())
                if m.name.startswith("lun_")
            ]
            for acl in sorted((tpg / "acls").iterdir())
        }

    def demo_mode(self) -> str:
        return (self.root / lio.FABRIC / "fc-1" / TPG / lio.DEMO_MODE).read_text().strip()


def masked_config(acls: list[cfg.FcAcl] | None, luns: tuple[int, ...] = (0, 1)) -> cfg.Config:
    """Two vHBAs (A and B) on fc/1, and a target with LUNs `luns`, masked by `acls`."""
    vhbas = [cfg.Vhba(f"xsvhba{i}", 0x1001 + i, wwn) for i, wwn in enumerate((VHBA_A, VHBA_B))]
    target = cfg.FcTarget(WWPN, luns=[cfg.FcLun(n, 8) for n in luns], acls=acls)
    return cfg.Config(servers=[cfg.Server("host", vhbas=vhbas)], fc_targets=[target])


@pytest.fixture
def card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeConfigfs:
    fake = FakeConfigfs(tmp_path, monkeypatch)
    fake.backstores(masked_config(None, luns=(0, 1, 2)))
    return fake


def test_an_open_target_has_demo_mode_on_and_no_node_acls(card: FakeConfigfs) -> None:
    card.lio.apply(masked_config(None))
    assert card.demo_mode() == "1"
    assert card.acls() == {}


def test_a_masked_target_has_an_acl_per_allowed_vhba_mapping_only_its_luns(
    card: FakeConfigfs,
) -> None:
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [1]), cfg.FcAcl(VHBA_B.upper())]))
    assert card.demo_mode() == "0"
    assert card.acls() == {ACL_A: ["lun_1->lun_1"], ACL_B: ["lun_0->lun_0", "lun_1->lun_1"]}


def test_masking_comes_before_the_target_is_enabled_and_the_rescan_after_all(
    card: FakeConfigfs,
) -> None:
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [1])]))
    events = card.events
    masked = events.index(f"write {TPG}/{lio.DEMO_MODE} 0")
    mapped = events.index(f"mkdir {TPG}/acls/{ACL_A}/lun_1")
    enabled = events.index(f"write {TPG}/enable 1")
    assert masked < mapped < enabled < events.index("write card/rescan 1") == len(events) - 1


def test_masking_an_open_target_ends_the_demo_mode_logins_of_the_ports_vhbas(
    card: FakeConfigfs,
) -> None:
    """LIO keeps the LUN map of a vHBA that logged in while the target was open, even once an
    ACL of its name is made: masking makes each such ACL explicit and removes it (the vHBA
    reconnects), then makes the allowed vHBA's ACL anew."""
    card.lio.apply(masked_config(None))
    card.events.clear()
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [1])]))
    acl_events = [e for e in card.events if "/acls/" in e and "/lun_" not in e]
    assert acl_events == [
        f"mkdir {TPG}/acls/{ACL_A}",
        f"rmdir {TPG}/acls/{ACL_A}",
        f"mkdir {TPG}/acls/{ACL_B}",
        f"rmdir {TPG}/acls/{ACL_B}",
        f"mkdir {TPG}/acls/{ACL_A}",
    ]
    assert card.events.index(f"write {TPG}/{lio.DEMO_MODE} 0") < card.events.index(acl_events[0])
    assert card.acls() == {ACL_A: ["lun_1->lun_1"]}


def test_applying_the_same_masking_again_changes_nothing_in_the_target(
    card: FakeConfigfs,
) -> None:
    config = masked_config([cfg.FcAcl(VHBA_A, [1]), cfg.FcAcl(VHBA_B)])
    card.lio.apply(config)
    card.events.clear()
    card.lio.apply(config)
    assert [e for e in card.events if f"{TPG}/" in e] == []


def test_changing_an_acls_luns_maps_and_unmaps_only_those_and_keeps_the_acl(
    card: FakeConfigfs,
) -> None:
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [1])]))
    card.events.clear()
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [0])]))
    assert [e for e in card.events if f"{TPG}/" in e] == [
        f"rmdir {TPG}/acls/{ACL_A}/lun_1",
        f"mkdir {TPG}/acls/{ACL_A}/lun_0",
    ]


def test_a_vhba_taken_off_the_list_loses_its_acl(card: FakeConfigfs) -> None:
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [1]), cfg.FcAcl(VHBA_B)]))
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_B)]))
    assert card.acls() == {ACL_B: ["lun_0->lun_0", "lun_1->lun_1"]}


def test_an_acl_of_every_lun_maps_a_lun_added_later_and_a_removed_lun_is_unmapped_first(
    card: FakeConfigfs,
) -> None:
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A)], luns=(0, 1)))
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A)], luns=(0, 1, 2)))
    assert card.acls()[ACL_A] == ["lun_0->lun_0", "lun_1->lun_1", "lun_2->lun_2"]
    card.events.clear()
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A)], luns=(0, 2)))
    assert card.acls()[ACL_A] == ["lun_0->lun_0", "lun_2->lun_2"]
    removed = [e for e in card.events if e.startswith(f"rmdir {TPG}/")]
    assert removed == [f"rmdir {TPG}/acls/{ACL_A}/lun_1", f"rmdir {TPG}/lun/lun_1"]


def test_opening_a_masked_target_turns_demo_mode_on_and_takes_its_acls_away(
    card: FakeConfigfs,
) -> None:
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [1])]))
    card.events.clear()
    card.lio.apply(masked_config(None))
    assert card.demo_mode() == "1" and card.acls() == {}
    # Open first: the vHBA whose ACL goes reconnects to see every LUN.
    assert card.events.index(f"write {TPG}/{lio.DEMO_MODE} 1") < card.events.index(
        f"rmdir {TPG}/acls/{ACL_A}"
    )


def test_a_masked_target_is_taken_away_with_its_acls(card: FakeConfigfs) -> None:
    config = masked_config([cfg.FcAcl(VHBA_A, [1])])
    card.lio.apply(config)
    config.fc_targets.clear()
    card.lio.apply(config)  # the fake's rmdir refuses a LUN still mapped, a TPG not empty
    assert not (card.root / lio.FABRIC / "fc-1" / TPG).exists()


def test_fc_show_says_which_targets_are_masked_and_what_each_acl_maps(
    card: FakeConfigfs,
) -> None:
    card.lio.apply(masked_config([cfg.FcAcl(VHBA_A, [1])]))
    (target,) = card.lio.snapshot()[0]["targets"]
    assert target["masked"] and target["acls"] == {ACL_A: ["lun_1"]}
    lines = lio.describe(card.lio.snapshot())
    assert f"  target {TPG} (loop id 1, online, masked)" in lines
    assert f"    acl {ACL_A}: lun_1" in lines
    card.lio.apply(masked_config(None))
    assert f"  target {TPG} (loop id 1, online, open)" in lio.describe(card.lio.snapshot())


def test_each_vhba_of_the_port_is_an_initiator_named_and_bound_to_its_host(
    card: FakeConfigfs,
) -> None:
    """The card takes connections only for the vHBAs configured (a directory each), and each
    only from the host GID the director binds it to; a vHBA deleted goes from the card."""
    initiators = card.root / lio.FABRIC / "fc-1" / lio.INITIATORS
    card.lio.apply(masked_config(None), {0x1001: "2001:db8::5054:ff:fe18:1"})
    assert sorted(p.name for p in initiators.iterdir()) == ["1001", "1002"]
    assert (initiators / "1001" / "wwpn").read_text().strip() == ACL_A
    assert (initiators / "1001" / "host").read_text().strip() == "2001:db8::5054:ff:fe18:1"
    assert lio._read(initiators / "1002" / "host").strip() == ""  # bound to no host yet
    one = cfg.Config(
        servers=[cfg.Server("host", vhbas=[cfg.Vhba("xsvhba0", 0x1001, VHBA_A)])],
        fc_targets=masked_config(None).fc_targets,
    )
    card.lio.apply(one, {0x1001: "2001:db8::5054:ff:fe18:1"})
    assert [p.name for p in initiators.iterdir()] == ["1001"]
    assert "rmdir card/initiators/1002" in card.events


def test_removing_the_card_first_stops_listening_with_a_write_the_kernel_sees(
    card: FakeConfigfs,
) -> None:
    """The card port's connections end before its targets go (a dead host's commands would
    hold the LUNs): `listen` gets a newline, since an empty write never reaches the kernel."""
    card.lio.apply(masked_config(None))
    card.events.clear()
    card.lio.remove()
    assert card.events[0] == "write card/listen \n"
    assert card.events[-1] == "rmdir ."
