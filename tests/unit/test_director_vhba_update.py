"""A vHBA's queue depth, link-down timeout and admin state change in place: `ctl set-vhba`
edits the configuration, and the XCM sends the host an UPDATE naming only what changed."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pytest

from director import config as cfg
from director import ctl, vdev_messages
from xswire.xsmp import XsmpClass, XsmpVdevMsgType
from xswire.xsvhba import XsvhbaMsg, XsvhbaUpdate

DIRECTOR = 0x505400FFFE180002
VHBA = cfg.Vhba("xsvhba0", 0x2001, "21:00:00:1b:32:00:00:01", "fc/1")


def test_depth_timeout_and_admin_state_change_in_place_anything_else_does_not() -> None:
    assert VHBA.updatable_to(replace(VHBA, queue_depth=4, link_down_timeout=10, admin_up=False))
    assert not VHBA.updatable_to(replace(VHBA, wwn="21:00:00:1b:32:00:00:09"))
    assert not VHBA.updatable_to(replace(VHBA, port="fc/2"))


def test_install_carries_the_configured_values() -> None:
    vhba = replace(VHBA, queue_depth=8, link_down_timeout=20, admin_up=False)
    msg_class, obj = vdev_messages.install(vhba, DIRECTOR)
    msg = XsvhbaMsg.decode(obj)
    assert msg_class == XsmpClass.VHBA
    assert (msg.scsiqueuedepth, msg.linkdowntimeout) == (8, 20)
    assert msg.adminstate == vdev_messages.ADMIN_DOWN
    assert msg.bit_mask == 0


@pytest.mark.parametrize(
    ("change", "bit"),
    [
        ({"queue_depth": 4}, XsvhbaUpdate.QUEUE_DEPTH),
        ({"link_down_timeout": 10}, XsvhbaUpdate.LINK_DOWN_TIMEOUT),
        ({"admin_up": False}, XsvhbaUpdate.ADMIN_STATE),
    ],
)
def test_update_names_only_the_changed_field(change: dict[str, object], bit: int) -> None:
    new = replace(VHBA, **change)  # type: ignore[arg-type]
    msg_class, obj = vdev_messages.update(VHBA, new, DIRECTOR)
    msg = XsvhbaMsg.decode(obj)
    assert msg_class == XsmpClass.VHBA
    assert msg.type == XsmpVdevMsgType.UPDATE
    assert msg.bit_mask == bit
    assert msg.resource_id == VHBA.resource_id


def test_set_vhba_edits_the_configuration_and_refuses_what_the_host_cannot_take(
    tmp_path: Path,
) -> None:
    path = tmp_path / "director.json"
    cfg.save(path, cfg.Config(servers=[cfg.Server("host", vhbas=[VHBA])]))
    args = argparse.Namespace(
        config=path, server="host", name=VHBA.name, queue_depth=4, link_down_timeout=10,
        admin="down",
    )  # fmt: skip
    assert ctl.cmd_set_vhba(args) == 0
    assert cfg.load(path).servers[0].vhbas == [
        replace(VHBA, queue_depth=4, link_down_timeout=10, admin_up=False)
    ]
    args.name = "nosuch"
    with pytest.raises(ctl.CtlError, match="server host has no vHBA named nosuch"):
        ctl.cmd_set_vhba(args)
    args.name, args.queue_depth = VHBA.name, 65
    with pytest.raises(cfg.ConfigError, match="queue depth 65"):
        ctl.cmd_set_vhba(args)
    args.queue_depth, args.link_down_timeout = None, 61
    with pytest.raises(cfg.ConfigError, match="link-down timeout 61"):
        ctl.cmd_set_vhba(args)


def test_a_configuration_without_the_new_fields_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    path.write_text(
        '{"servers": [{"match": "host", "vhbas": [{"name": "xsvhba0", "resource_id": 8193}]}]}'
    )
    (vhba,) = cfg.load(path).servers[0].vhbas
    assert (vhba.queue_depth, vhba.link_down_timeout, vhba.admin_up) == (32, 30, True)
