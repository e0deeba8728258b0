"""director/bindings.py: which host GID each card resource is bound to, from the XCMs'
sessions, and how a binding outlives its session."""

from __future__ import annotations

from pathlib import Path

from director.bindings import HostBindings, session_bindings
from director.state import write_json, xcm_file

HOST_A, HOST_B = "2001:db8::a", "2001:db8::b"


def session(gid: str, *rids: int, state: str = "up") -> dict[str, object]:
    return {"state": state, "host_gid": gid, "resource_ids": [f"{r:x}" for r in rids]}


def publish(state_dir: Path, xcm: int, *sessions: dict[str, object]) -> None:
    write_json(xcm_file(xcm, state_dir), {"sessions": list(sessions)})


def test_only_sessions_that_are_up_and_know_their_host_bind() -> None:
    sessions = [
        session(HOST_A, 0x1001, 0x2001),
        session(HOST_B, 0x1002, state="registering"),
        session("", 0x1003),
    ]
    assert session_bindings(sessions) == {0x1001: HOST_A, 0x2001: HOST_A}


def test_a_binding_follows_its_session_and_outlives_it_while_configured(tmp_path: Path) -> None:
    bindings = HostBindings(tmp_path)
    publish(tmp_path, 1, session(HOST_A, 0x1001))
    assert bindings.refresh({0x1001}) is True
    assert bindings.bound == {0x1001: HOST_A}
    assert bindings.refresh({0x1001}) is False  # nothing changed
    # The XCM restarts: no session, the binding stays while the vHBA is configured.
    publish(tmp_path, 1)
    assert bindings.refresh({0x1001}) is False
    assert bindings.bound == {0x1001: HOST_A}
    # Another host's authenticated session installs it: the binding moves.
    publish(tmp_path, 2, session(HOST_B, 0x1001))
    assert bindings.refresh({0x1001}) is True
    assert bindings.bound == {0x1001: HOST_B}
    # Deleted from the configuration: no host any more.
    publish(tmp_path, 2)
    assert bindings.refresh(set()) is True
    assert bindings.bound == {}
