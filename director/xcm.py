"""The XCM: accepts XSMP sessions from hosts, confirms their registration, keeps them alive.

pyverbs' blocking rdma_cm calls hold the GIL, so the XCM uses no threads: one loop waits on the
rdma_cm event descriptors (the listener's, and each session's for disconnects) with select(),
and polls each session's CQ, answering messages and sending HELLOs on time. A call that would
block is made only once select() has said its event is there.
"""

from __future__ import annotations

import logging
import select
import signal
import time
from collections import deque
from dataclasses import dataclass
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any

from pyverbs.cm_enums import RAI_PASSIVE, RDMA_PS_TCP
from pyverbs.cmid import CMID, AddrInfo
from pyverbs.pyverbs_error import PyverbsError

from director import auth, host_messages, stats, vdev_messages
from director.config import Config, Server, Vhba, Vnic, Watched
from director.rc_conn import ConnectionLost, RcConnection, rdma_cm_fds
from director.state import STATE_DIR, read_hosts, write_json, xcm_file
from director.xsmp import (
    MalformedMessage,
    session_message,
)
from director.xsmp_fuzz import CONFIRM_KINDS, SESSION_KINDS
from xswire.xsmp import (
    XSMP_MAX_MSG_SIZE,
    XSMP_RDMA_CM_PORT,
    XSMP_REJECT_AUTH,
    XsmpClass,
    XsmpSessionMsg,
    XsmpSessionType,
    XsmpVdevMsgType,
)

log = logging.getLogger("director.xcm")
DATAPATH_TIMEOUT_DISABLED = 0xFFFFFFFF
XSMP_VERSION = 2
RING = 16
SEND_BUFFER = 4096  # room for the fuzz mode's oversized message
POLL_PAUSE = 0.01
RELOAD_PERIOD = 1.0
SHUTDOWN_GRACE = 1.0  # seconds for SHUTDOWN messages to leave before the XCM exits
# A host is as untrusted as any peer: a connection costs the XCM a QP and its buffers before
# the host has proved anything, so connections wait for REGISTER only so long, and so many.
REGISTER_WITHIN = 10.0  # seconds from the accept to a REGISTER
MAX_SESSIONS = 512  # sessions in all, registered or not
MAX_UNREGISTERED = 32  # sessions not registered yet


@dataclass(frozen=True)
class XcmConfig:
    """What this XCM process is; what it serves comes from the director's configuration."""

    address: str
    guid: int
    director_guid: int  # what "own" names in the configuration's XCM lists
    fuzz: tuple[str, ...] = ()
    state_dir: Path = STATE_DIR
    # No nonce in the accept: an XCM of before the proofs (hosts refuse it by default).
    no_auth: bool = False
    # A rogue XCM for tests: it proves itself with this key to every host, whatever their
    # proof, as an XCM that does not know the host's key would have to.
    rogue_key: bytes | None = None
    register_within: float = REGISTER_WITHIN
    max_sessions: int = MAX_SESSIONS
    max_unregistered: int = MAX_UNREGISTERED


def default_profile_name(host_guid: int) -> str:
    """The profile a host gets when the configuration names none."""
    return f"profile-{host_guid & 0xFFFFFF:06x}"


class Session:
    """One host's XSMP session on a QP that the XCM owns."""

    def __init__(self, xcm: Xcm, listener: CMID, cmid: CMID, cm_fd: int | None) -> None:
        self.xcm = xcm
        self.cm_fd = cm_fd
        # pyverbs keeps the new connection's device context and PD on the listener, and
        # replaces them with the next request's: hold on to this one's.
        self.nonce = b"" if xcm.config.no_auth else auth.new_nonce()
        self.conn = RcConnection(
            listener.context,
            listener.pd,
            cmid,
            RING,
            XSMP_MAX_MSG_SIZE,
            SEND_BUFFER,
            label="XSMP session",
            accept_data=auth.accept_data(self.nonce) if self.nonce else b"",
        )
        self.auth = "pending"  # authenticated, unauthenticated, or refused: <why>
        self.outbox: deque[bytes] = deque()
        self.seq = 0
        self.host_guid = 0
        self.accepted_at = time.monotonic()
        self.registered = False
        self.host_gid = ""
        self.stale = False  # replaced by a newer session of the same host
        self.profile = ""
        self.next_hello = 0.0
        self.malformed = 0
        # resource id -> (device, status): what this host was told to have
        self.devices: dict[int, tuple[Vnic | Vhba, str]] = {}

    def close(self) -> None:
        self.conn.close()

    @property
    def sending(self) -> bool:
        return bool(self.outbox) or self.conn.sending

    def send_raw(self, data: bytes) -> None:
        """Queue one send; it goes out as soon as a send buffer is free."""
        self.outbox.append(data)
        self._flush()

    def _flush(self) -> None:
        while self.outbox and self.conn.send(self.outbox[0]):
            self.outbox.popleft()

    def send(self, body: XsmpSessionMsg) -> None:
        self.seq += 1
        self.send_raw(session_message(self.seq, self.xcm.config.guid, self.host_guid, body))

    def serve(self, now: float) -> bool:
        """Handle what completed and send what is due; False once the session is over."""
        try:
            received = self.conn.poll(RING)
        except ConnectionLost as err:
            log.info("session with %016x ended (%s)", self.host_guid, err)
            return False
        for data in received:
            self._handle(data)
        self._flush()
        if self.registered and now >= self.next_hello:
            self.send(XsmpSessionMsg(type=XsmpSessionType.HELLO))
            self.next_hello = now + self.xcm.settings.hello_interval
        return True

    def _handle(self, data: bytes) -> None:
        try:
            message = host_messages.decode(data)
        except (MalformedMessage, ValueError) as err:
            self.malformed += 1
            self.xcm.malformed += 1
            self.xcm.dirty = True
            log.warning("dropped malformed message: %s", err)
            return
        if isinstance(message, host_messages.StatsAnswer):
            stats.write_answer(self.xcm.config.state_dir, message.token, message.counters)
            return
        if isinstance(message, list):
            for answer in message:
                self._answered(answer)
            return
        kind = message.body.type
        if kind == XsmpSessionType.REGISTER:
            self._register(message.header.source_id.primary, message.body)
        elif kind == XsmpSessionType.HELLO:
            log.debug("HELLO from host %016x", self.host_guid)
        elif kind == XsmpSessionType.RESOURCE_LIST:
            log.info("host %016x runs services %#x", self.host_guid, message.body.resource_flags)
        else:
            log.info("host %016x sent session message type %d", self.host_guid, kind)

    def _answered(self, answer: vdev_messages.Answer) -> None:
        entry = self.devices.get(answer.resource_id)
        if entry is None:
            log.info("host %016x answered for unknown device %#x", self.host_guid,
                     answer.resource_id)  # fmt: skip
            return
        device, status = entry
        if answer.msg_type == XsmpVdevMsgType.DELETE and status != "deleting":
            # The delete that made way for a new identity; the INSTALL's answer follows.
            return
        if answer.refused:
            what = "update refused" if answer.msg_type == XsmpVdevMsgType.UPDATE else "refused"
            status = f"{what} (reason {answer.reason})"
        elif answer.msg_type == XsmpVdevMsgType.DELETE:
            del self.devices[answer.resource_id]
            log.info("host %016x deleted %s", self.host_guid, device.name)
            self.xcm.dirty = True
            return
        else:
            status = "installed"
        self.devices[answer.resource_id] = (device, status)
        log.info("host %016x: %s %s", self.host_guid, device.name, status)
        self.xcm.dirty = True

    def sync_devices(self) -> None:
        """Install what the configuration gives this host and it lacks; delete the rest."""
        if not self.registered:
            return
        server = self.xcm.server_for(self.host_guid)
        wanted = {}
        if server and self.xcm.is_primary_for(self.host_guid):
            wanted = {d.resource_id: d for d in [*server.vnics, *server.vhbas]}
        for rid, device in wanted.items():
            known = self.devices.get(rid)
            if known and known[0] == device:
                continue
            director_guid = self.xcm.config.director_guid
            installed = known[0] if known else None
            if (
                installed is not None
                and type(installed) is type(device)
                and installed.updatable_to(device)
            ):
                msg_class, obj = vdev_messages.update(installed, device, director_guid)
                status = "updating"
            else:
                if installed is not None:
                    # A new identity under the same resource id: the host refuses an INSTALL
                    # that changes it, so the old device goes first.
                    self._send_object(*vdev_messages.delete(installed, director_guid))
                msg_class, obj = vdev_messages.install(device, director_guid)
                status = "installing"
            self._send_object(msg_class, obj)
            self.devices[rid] = (device, status)
            log.info("%s %s on host %016x", status, device.name, self.host_guid)
        for rid, (device, _) in list(self.devices.items()):
            if rid not in wanted:
                msg_class, obj = vdev_messages.delete(device, self.xcm.config.director_guid)
                self._send_object(msg_class, obj)
                self.devices[rid] = (device, "deleting")
                log.info("delete %s on host %016x", device.name, self.host_guid)
        self.xcm.dirty = True

    def device_named(self, server: str, name: str) -> Vnic | Vhba | None:
        """The device `name` this session installed, when its host is `server`."""
        configured = self.xcm.server_for(self.host_guid)
        if not self.registered or configured is None or configured.match != server:
            return None
        return next((d for d, _ in self.devices.values() if d.name == name), None)

    def ask_stats(self, device: Vnic | Vhba, request: dict[str, Any]) -> None:
        self._send_object(*stats.request_object(device, request["token"], request["clear"]))
        if request["clear"] and isinstance(device, Vhba):
            # A vHBA does not answer a clear.
            stats.write_answer(self.xcm.config.state_dir, request["token"], {"cleared": True})

    def _resync(self) -> None:
        """A new session gives the host every device again between SYNC_BEGIN and SYNC_END,
        so that the host drops what this XCM deleted while the session was down."""
        for msg_class in (XsmpClass.VNIC, XsmpClass.VHBA):
            self._send_object(*vdev_messages.sync_marker(msg_class, XsmpVdevMsgType.SYNC_BEGIN))
        self.sync_devices()
        for msg_class in (XsmpClass.VNIC, XsmpClass.VHBA):
            self._send_object(*vdev_messages.sync_marker(msg_class, XsmpVdevMsgType.SYNC_END))

    def _send_object(self, msg_class: int, obj: bytes) -> None:
        self.seq += 1
        self.send_raw(
            vdev_messages.frame(msg_class, self.seq, self.xcm.config.guid, self.host_guid, obj)
        )

    def view(self) -> dict[str, Any]:
        return {
            "host_guid": f"{self.host_guid:016x}",
            "xcm_guid": f"{self.xcm.config.guid:016x}",
            "state": "up" if self.registered else "registering",
            # What the cards bind this host's resources to (director/bindings.py).
            "host_gid": self.host_gid,
            "resource_ids": [f"{rid:x}" for rid in self.devices],
            "auth": self.auth,
            "profile": self.profile,
            "devices": {device.name: status for device, status in self.devices.values()},
        }

    def _host_gid(self) -> str:
        """The registered host's GID, as its connection came; "" if unknown."""
        try:
            return str(IPv6Address(self.conn.peer()[0]))
        except (PyverbsError, ValueError) as err:
            log.warning("host %016x: GID unknown (%s); its cards will not take it", self.host_guid,
                        err)  # fmt: skip
            return ""

    def _refuse(self, host_guid: int, why: str) -> None:
        """REG_REJECT for a host whose proof failed: counted, logged; its session stays
        unregistered until the host closes it."""
        self.auth = f"refused: {why}"
        self.xcm.auth_refused += 1
        log.warning("host %016x refused: %s", host_guid, why)
        self.send(XsmpSessionMsg(type=XsmpSessionType.REG_REJECT, code=XSMP_REJECT_AUTH))
        self.xcm.dirty = True

    def _ends(self, host_guid: int, host_nonce: bytes) -> auth.Ends:
        try:
            host_gid, host_qpn = self.conn.peer()
        except (PyverbsError, ValueError) as err:
            raise auth.Refused(f"connection ends unknown ({err})") from err
        return auth.Ends(
            xcm_nonce=self.nonce,
            host_nonce=host_nonce,
            host_gid=host_gid,
            xcm_gid=IPv6Address(self.xcm.config.address).packed,
            host_qpn=host_qpn,
            xcm_qpn=self.conn.qp_num,
            host_guid=host_guid,
        )

    def _authenticate(self, host_guid: int, body: XsmpSessionMsg) -> bytes | None:
        """Check the host's proof; return the XCM's for REG_CONFIRM (zeros for a host allowed
        without proofs), or None when the host is refused."""
        settings = self.xcm.settings
        rogue = self.xcm.config.rogue_key
        try:
            key = rogue or settings.host_key(host_guid)
        except ValueError:
            key = None
        try:
            xcm_proof, proven = auth.check_register(
                key,
                settings.may_skip_auth(host_guid),
                self.nonce,
                body.auth_nonce,
                body.auth_proof,
                lambda host_nonce: self._ends(host_guid, host_nonce),
                trust_any_proof=rogue is not None,
            )
        except auth.Refused as why:
            self._refuse(host_guid, str(why))
            return None
        self.auth = "authenticated" if proven else "unauthenticated"
        return xcm_proof

    def _register(self, host_guid: int, body: XsmpSessionMsg) -> None:
        resources = body.resource_flags
        self.host_guid = host_guid
        # Before anything acts on the claimed GUID (an older session retired, a profile).
        xcm_proof = self._authenticate(host_guid, body)
        if xcm_proof is None:
            return
        self.xcm.retire_older_sessions(self)
        server = self.xcm.server_for(host_guid)
        profile = (server.profile if server else "") or default_profile_name(host_guid)
        self.profile = profile
        settings = self.xcm.settings
        confirm = XsmpSessionMsg(
            type=XsmpSessionType.REG_CONFIRM,
            resource_flags=DATAPATH_TIMEOUT_DISABLED,
            version=settings.hello_interval,
            xsigo_xsmp_version=XSMP_VERSION,
            chassis_name=settings.chassis_name.encode(),
            session_name=profile.encode(),
            auth_proof=xcm_proof,
        )
        mangle = self.xcm.next_confirm_mangle(host_guid)
        if mangle:
            log.info("fuzz: REG_CONFIRM to %016x: %s", host_guid, CONFIRM_KINDS[mangle][0])
            CONFIRM_KINDS[mangle][1](confirm)
        self.send(confirm)
        log.info("host %016x registered (resources %#x), profile %s",
                 host_guid, resources, profile)  # fmt: skip
        if mangle:
            return
        self.registered = True
        self.host_gid = self._host_gid()
        self.next_hello = time.monotonic() + settings.hello_interval
        self._resync()
        for kind in self.xcm.session_fuzz(host_guid):
            log.info("fuzz: to %016x: %s", host_guid, SESSION_KINDS[kind][0])
            for data in SESSION_KINDS[kind][1](self.xcm.config.guid, host_guid, self.seq + 1):
                self.seq += 1
                self.send_raw(data)


class Xcm:
    def __init__(self, config: XcmConfig, settings: Watched) -> None:
        self.config = config
        self.watched = settings
        self.sessions: list[Session] = []
        self.auth_refused = 0  # registrations refused for their proof
        self.refused = 0  # connection requests refused at the caps
        self.malformed = 0  # messages from hosts dropped as malformed, all sessions
        self.unregistered_dropped = 0  # sessions that did not register in time
        self.dirty = True
        self.stopping = False
        # Each kind is played once per host: a host that refuses a broken REG_CONFIRM
        # registers again and then gets a good one.
        self._fuzz_played: dict[int, set[str]] = {}

    @property
    def settings(self) -> Config:
        return self.watched.config

    def server_for(self, host_guid: int) -> Server | None:
        hostname = read_hosts(self.config.state_dir).get(f"{host_guid:016x}", "")
        return self.settings.server(host_guid, hostname)

    def retire_older_sessions(self, newest: Session) -> None:
        """A host registering again has lost its older session, whether or not that one has
        noticed (a host whose port went down sends no disconnect)."""
        for session in self.sessions:
            if session is not newest and session.host_guid == newest.host_guid:
                log.info("host %016x registered again: its older session goes",
                         newest.host_guid)  # fmt: skip
                session.stale = True

    def is_primary_for(self, host_guid: int) -> bool:
        """Whether this XCM installs the server's devices: the first of its XCMs does."""
        hostname = read_hosts(self.config.state_dir).get(f"{host_guid:016x}", "")
        xcms = self.settings.xcm_guids(host_guid, hostname, self.config.director_guid)
        return bool(xcms) and xcms[0] == self.config.guid

    def _reload(self) -> None:
        # The watched file logs what it refuses or leaves out.
        if self.watched.refresh():
            log.info("configuration changed")
            for session in self.sessions:
                session.sync_devices()

    def _publish(self) -> None:
        if not self.dirty:
            return
        self.dirty = False
        state = {
            "chassis_name": self.settings.chassis_name,
            "auth_refused": self.auth_refused,
            "refused": self.refused,
            "malformed": self.malformed,
            "unregistered_dropped": self.unregistered_dropped,
            "sessions": [s.view() for s in self.sessions if s.host_guid],
        }
        write_json(xcm_file(self.config.guid, self.config.state_dir), state)

    def next_confirm_mangle(self, host_guid: int) -> str | None:
        played = self._fuzz_played.setdefault(host_guid, set())
        for kind in self.config.fuzz:
            if kind in CONFIRM_KINDS and kind not in played:
                played.add(kind)
                return kind
        return None

    def session_fuzz(self, host_guid: int) -> list[str]:
        played = self._fuzz_played.setdefault(host_guid, set())
        kinds = [k for k in self.config.fuzz if k in SESSION_KINDS and k not in played]
        # The oversized message breaks the host's receive queue: it goes last.
        kinds.sort(key=lambda kind: kind == "oversized")
        played.update(kinds)
        return kinds

    def _full(self) -> str | None:
        """Why no more sessions are taken now, or None."""
        pending = sum(1 for s in self.sessions if not s.registered)
        if len(self.sessions) >= self.config.max_sessions:
            return f"{len(self.sessions)} sessions already"
        if pending >= self.config.max_unregistered:
            return f"{pending} sessions not registered yet"
        return None

    def _accept(self, listener: CMID) -> None:
        before = rdma_cm_fds()
        try:
            cmid = listener.get_request()
        except PyverbsError as err:  # an event other than a request, or a failed one
            log.warning("connection request lost: %s", err)
            return
        full = self._full()
        if full is not None:
            # Closing a request's id rejects it.
            log.warning("connection request refused: %s", full)
            self.refused += 1
            self.dirty = True
            cmid.close()
            return
        new = rdma_cm_fds() - before
        try:
            session = Session(self, listener, cmid, min(new) if new else None)
        except Exception as err:  # a host gone before the handshake ends
            log.warning("connection request failed: %s", err)
            cmid.close()
            return
        self.sessions.append(session)

    def serve(self) -> None:
        info = AddrInfo(
            src=self.config.address,
            src_service=str(XSMP_RDMA_CM_PORT),
            port_space=RDMA_PS_TCP,
            flags=RAI_PASSIVE,
        )
        before = rdma_cm_fds()
        listener = CMID(creator=info)
        (listen_fd,) = rdma_cm_fds() - before
        listener.listen()
        log.info("XCM %016x (%s) listening on [%s]:%d", self.config.guid,
                 self.settings.chassis_name, self.config.address, XSMP_RDMA_CM_PORT)  # fmt: skip
        print("director: xcm ready", flush=True)
        next_reload = 0.0
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        while not self.stopping:
            fds = [listen_fd, *(s.cm_fd for s in self.sessions if s.cm_fd is not None)]
            ready, _, _ = select.select(fds, [], [], POLL_PAUSE)
            if listen_fd in ready:
                self._accept(listener)
            now = time.monotonic()
            if now >= next_reload:
                self._reload()
                self._serve_stats_requests()
                next_reload = now + RELOAD_PERIOD
            for session in list(self.sessions):
                late = not session.registered and now - session.accepted_at > (
                    self.config.register_within
                )
                if late:
                    log.warning("a session did not register within %.0f s: closed",
                                self.config.register_within)  # fmt: skip
                    self.unregistered_dropped += 1
                # What arrived before a disconnect is still handled; the session's own
                # channel only ever reports its end.
                if late or session.stale or not session.serve(now) or session.cm_fd in ready:
                    log.info("session with %016x closed", session.host_guid)
                    self.sessions.remove(session)
                    session.close()
                    self.dirty = True
            self._publish()
        self._shut_down()

    def _serve_stats_requests(self) -> None:
        """Send each `ctl stats` request this XCM can serve to the session whose host has the
        device; the others are left to the XCMs that can (ctl gives up on them in time)."""
        for path, request in stats.pending_requests(self.config.state_dir):
            for session in self.sessions:
                device = session.device_named(request["server"], request["device"])
                if device is not None:
                    if stats.claim(path):
                        session.ask_stats(device, request)
                    break

    def _stop(self, signum: int, _frame: object) -> None:
        log.info("signal %d: shutting down", signum)
        self.stopping = True

    def _shut_down(self) -> None:
        """Tell every host the session ends (SHUTDOWN), rather than let it find out."""
        for session in self.sessions:
            if session.registered:
                session.send(XsmpSessionMsg(type=XsmpSessionType.SHUTDOWN))
        deadline = time.monotonic() + SHUTDOWN_GRACE
        sending = [s for s in self.sessions if s.sending]
        while sending and time.monotonic() < deadline:
            time.sleep(POLL_PAUSE)
            now = time.monotonic()
            sending = [s for s in sending if s.serve(now) and s.sending]
        for session in self.sessions:
            session.close()
        self.sessions.clear()
        self.dirty = True
        self._publish()
