"""The accelerator choice (harness/accel.py): KVM only where a guest kernel really boots under
it, TCG with the reason otherwise; the probe's own reading of a QEMU that prints or hangs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from harness import accel
from harness.accel import Accel, AccelRefused, Probe, ProbeResult, decide


def never() -> ProbeResult:
    raise AssertionError("probed although the choice was already made")


@pytest.mark.parametrize("outcome", [Probe.SILENT, Probe.FAILED])
def test_a_kvm_device_on_which_no_kernel_boots_falls_back_to_tcg(outcome: Probe) -> None:
    chosen = decide(None, None, lambda: ProbeResult(outcome))
    assert chosen.name == "tcg"
    assert "KVM" in chosen.why


def test_the_fallback_says_what_qemu_printed_last() -> None:
    chosen = decide(None, None, lambda: ProbeResult(Probe.FAILED, "failed to set MSR 0x10a"))
    assert chosen.why.endswith(": failed to set MSR 0x10a")


def test_kvm_is_chosen_when_a_guest_kernel_booted_under_it() -> None:
    chosen = decide(None, None, lambda: ProbeResult(Probe.BOOTED, "Linux version 6.1"))
    assert chosen == Accel("kvm", "a guest kernel booted under KVM")
    assert chosen.cpu("max") == "host"
    assert chosen.qemu_args() == ["-accel", "kvm"]


def test_no_usable_device_means_tcg_without_a_probe() -> None:
    chosen = decide(None, "/dev/kvm does not exist", never)
    assert chosen == Accel("tcg", "/dev/kvm does not exist")
    assert chosen.cpu("max,la57=off") == "max,la57=off"


def test_tcg_asked_for_skips_the_probe() -> None:
    assert decide("tcg", None, never).name == "tcg"


@pytest.mark.parametrize(
    ("problem", "outcome"), [("/dev/kvm does not exist", Probe.BOOTED), (None, Probe.SILENT)]
)
def test_kvm_asked_for_where_it_does_not_boot_is_refused(
    problem: str | None, outcome: Probe
) -> None:
    with pytest.raises(AccelRefused):
        decide("kvm", problem, lambda: ProbeResult(outcome))


def test_an_unknown_request_is_refused() -> None:
    with pytest.raises(AccelRefused):
        decide("hvf", None, never)


def test_the_device_must_open_for_reading_and_writing(tmp_path: Path) -> None:
    assert accel.device_problem(tmp_path / "kvm") is not None
    device = tmp_path / "kvm"
    device.write_bytes(b"")
    device.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert accel.device_problem(device) is None


def fake_qemu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    qemu = tmp_path / "qemu"
    qemu.write_text(f"#!/bin/sh\n{script}\n")
    qemu.chmod(0o755)
    monkeypatch.setattr(accel, "QEMU", str(qemu))


def test_the_probe_sees_the_banner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_qemu(tmp_path, monkeypatch, "echo 'early'; echo 'Linux version 6.1'; sleep 30")
    assert accel.probe_kvm(tmp_path / "vmlinux", seconds=10) == ProbeResult(
        Probe.BOOTED, "Linux version 6.1"
    )


def test_the_probe_gives_up_on_a_silent_guest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_qemu(tmp_path, monkeypatch, "echo 'Probing EDD (edd=off to disable)... ok'; sleep 30")
    assert accel.probe_kvm(tmp_path / "vmlinux", seconds=1).outcome is Probe.SILENT


def test_the_probe_reports_a_qemu_that_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_qemu(tmp_path, monkeypatch, "echo 'failed to set MSR 0x10a' >&2; exit 134")
    result = accel.probe_kvm(tmp_path / "vmlinux", seconds=10)
    assert result == ProbeResult(Probe.FAILED, "failed to set MSR 0x10a")
