"""A vNIC's MTU and admin state change in place: the operator's `ctl set-vnic` edits the
configuration, and the XCM sends the host an UPDATE naming only what changed."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import pytest

from director import config as cfg
from director import ctl, vdev_messages
from xswire.xsmp import XsmpClass, XsmpVdevMsgType
from xswire.xsvnic import XsvnicInstallFlag, XsvnicMsg, XsvnicUpdate

DIRECTOR = 0x505400FFFE180002
VNIC = cfg.Vnic("xsvnic0", 0x1001, "52:54:00:0a:00:02", 9000, "eth/1")


def test_mtu_and_admin_state_change_in_place_anything_else_does_not() -> None:
    assert VNIC.updatable_to(replace(VNIC, mtu=1500, admin_up=False))
    assert not VNIC.updatable_to(replace(VNIC, mac="52:54:00:0a:00:09"))
    assert not VNIC.updatable_to(replace(VNIC, port="eth/2"))
    assert not VNIC.updatable_to(replace(VNIC, tso=False))


def test_install_offers_tso_unless_the_vnic_says_not() -> None:
    _, obj = vdev_messages.install(VNIC, DIRECTOR)
    assert XsvnicMsg.decode(obj).install_flag == XsvnicInstallFlag.TSO
    _, obj = vdev_messages.install(replace(VNIC, tso=False), DIRECTOR)
    assert XsvnicMsg.decode(obj).install_flag == 0


def test_update_names_only_the_changed_fields() -> None:
    new = replace(VNIC, mtu=4000)
    msg_class, obj = vdev_messages.update(VNIC, new, DIRECTOR)
    msg = XsvnicMsg.decode(obj)
    assert msg_class == XsmpClass.VNIC
    assert msg.type == XsmpVdevMsgType.UPDATE
    assert msg.bitmask == XsvnicUpdate.MTU
    assert (msg.vn_mtu, msg.admin_state) == (4000, vdev_messages.ADMIN_UP)
    _, obj = vdev_messages.update(new, replace(new, admin_up=False), DIRECTOR)
    down = XsvnicMsg.decode(obj)
    assert down.bitmask == XsvnicUpdate.ADMIN_STATE
    assert down.admin_state == vdev_messages.ADMIN_DOWN


def test_set_vnic_edits_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "director.json"
    cfg.save(path, cfg.Config(servers=[cfg.Server("host", vnics=[VNIC])]))
    args = argparse.Namespace(config=path, server="host", name=VNIC.name, mtu=4000, admin="down")
    assert ctl.cmd_set_vnic(args) == 0
    assert cfg.load(path).servers[0].vnics == [replace(VNIC, mtu=4000, admin_up=False)]
    args.name = "nosuch"
    with pytest.raises(ctl.CtlError, match="server host has no vNIC named nosuch"):
        ctl.cmd_set_vnic(args)
