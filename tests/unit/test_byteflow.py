"""The soak's byte-counting flow (harness/guest/byteflow.py) over loopback, and how the soak
judges both ends' accounts (harness/soak/workload.flow_error)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

from harness.guest import byteflow
from harness.soak.workload import flow_error


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_flow(tmp_path: Path, seconds: float) -> tuple[dict[str, object], dict[str, object]]:
    port = _free_port()
    received, sent = tmp_path / "received", tmp_path / "sent"
    receiver = threading.Thread(target=byteflow.receive, args=(port, received, "127.0.0.1"))
    receiver.start()
    while not received.exists():
        time.sleep(0.01)
    assert byteflow.send("127.0.0.1", port, seconds, 1 << 20, 7, sent) == 0
    receiver.join(10)
    return json.loads(sent.read_text()), json.loads(received.read_text())


def test_every_byte_sent_is_counted_and_digested_the_same_at_both_ends(tmp_path: Path) -> None:
    sent, received = _run_flow(tmp_path, 0.3)
    assert int(str(sent["bytes"])) >= byteflow.CHUNK
    assert sent["bytes"] == received["bytes"]
    assert sent["sha256"] == received["sha256"]
    assert flow_error("vnic", sent, received) is None


def test_a_flow_that_lost_or_changed_bytes_or_was_cut_is_an_error() -> None:
    good = {"state": "ended", "bytes": 100, "sha256": "a", "error": ""}
    assert flow_error("vnic", good, dict(good)) is None
    short = flow_error("vnic", good, {**good, "bytes": 90})
    assert short and "100 bytes sent, 90 received" in short
    changed = flow_error("vnic", good, {**good, "sha256": "b"})
    assert changed and "digests differ" in changed
    reset = flow_error("vlan", {**good, "error": "Connection reset by peer"}, good)
    assert reset and "sender failed" in reset and "reset" in reset
    assert flow_error("vnic", good, {"state": "listening", "bytes": 0})
    assert flow_error("vnic", {}, good)
    assert flow_error("vnic", {**good, "bytes": 0}, {**good, "bytes": 0})
