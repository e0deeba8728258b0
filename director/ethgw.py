"""The director's Ethernet I/O card. The kernel gateway (kernel/xsethgw/) is the card: it listens
for hosts' vNICs on each port, bridges their frames to the port's uplink interface and steers
frames from it to the vNICs they are for. This process is its control plane: it writes the
ports and the configured vNICs into the gateway's configfs tree, keeps them in line with the
director's configuration (vNICs added, deleted, changed; `down_ports`; `down_cards` naming
"eth" stops every port, as SIGTERM does, until it no longer does), and on SIGTERM stops every
port (the hosts' connections close) and takes the tree down. No frame passes through it.

configfs layout (kernel/xsethgw/xsethgw_configfs.c): <root>/<port>/{uplink,address,link,enable}
and <root>/<port>/vnics/<resource id in hex>/{mac,mtu,host}; a port "eth/1" is the directory
"eth1". `host` is the GID of the host whose XCM session installed the vNIC
(director/bindings.py): the gateway takes the vNIC's connections from there only.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from director.bindings import HostBindings
from director.config import Config, Watched, fabric_address, io_port_guid
from director.retry import Retry

log = logging.getLogger("director.ethgw")

CONFIGFS = Path("/sys/kernel/config/xsethgw")
# A host's first connection follows its INSTALL at once; it is refused until the gateway knows
# its host, and tried again a second later.
RELOAD_PERIOD = 0.25
CARD = "eth"  # its name in the configuration's down_cards
RETRY_S = 2.0


def port_dirname(port: str) -> str:
    """The configfs directory of card port `port` ("eth/1" -> "eth1")."""
    return port.replace("/", "")


@dataclass(frozen=True)
class VnicSettings:
    """What the gateway is told of one vNIC."""

    port: str
    mac: str
    mtu: int
    host: str = ""  # its host's GID; "": none known yet


def wanted_vnics(
    config: Config, ports: Mapping[str, str], hosts: Mapping[int, str] | None = None
) -> dict[int, VnicSettings]:
    """The configuration's vNICs on the card's ports, by resource id, each with the host GID
    `hosts` binds it to."""
    return {
        vnic.resource_id: VnicSettings(
            vnic.port, vnic.mac.lower(), vnic.mtu, (hosts or {}).get(vnic.resource_id, "")
        )
        for server in config.servers
        for vnic in server.vnics
        if vnic.port in ports
    }


class KernelCard:
    """The gateway's configfs tree for the card's ports (name -> uplink interface)."""

    def __init__(
        self,
        root: Path,
        ports: Mapping[str, str],
        addresses: Mapping[str, str],
        remove_dir: Callable[[Path], None] = os.rmdir,
    ) -> None:
        self.root = root
        self.ports = dict(ports)
        self.addresses = dict(addresses)
        self.remove_dir = remove_dir
        self.vnics: dict[int, VnicSettings] = {}
        self.link: dict[str, bool] = {}

    def _port(self, port: str) -> Path:
        return self.root / port_dirname(port)

    def _vnic(self, resource_id: int, port: str) -> Path:
        return self._port(port) / "vnics" / f"{resource_id:x}"

    @staticmethod
    def _write(path: Path, value: str) -> None:
        path.write_text(f"{value}\n")

    def start(self, config: Config, hosts: Mapping[int, str] | None = None) -> None:
        """Take down what an earlier run left, create the ports, then apply `config`."""
        for port in self.ports:
            self._remove_port(port)
        for port, ifname in self.ports.items():
            path = self._port(port)
            path.mkdir()
            self._write(path / "uplink", ifname)
            self._write(path / "address", self.addresses[port])
            up = port not in config.down_ports
            self._write(path / "link", "1" if up else "0")
            self.link[port] = up
            self._write(path / "enable", "1")
            log.info("port %s on %s listening at [%s]:4097", port, ifname, self.addresses[port])
        self.apply(config, hosts)

    def apply(self, config: Config, hosts: Mapping[int, str] | None = None) -> None:
        """Bring the gateway in line with the configuration, each vNIC bound to the host GID
        `hosts` has for it (director/bindings.py)."""
        down = set(config.down_ports)
        for port in self.ports:
            up = port not in down
            if self.link.get(port) != up:
                self._write(self._port(port) / "link", "1" if up else "0")
                self.link[port] = up
                log.info("port %s link %s", port, "up" if up else "down")
        wanted = wanted_vnics(config, self.ports, hosts)
        for resource_id, had in list(self.vnics.items()):
            now = wanted.get(resource_id)
            if now is None or now.port != had.port:
                self.remove_dir(self._vnic(resource_id, had.port))
                del self.vnics[resource_id]
                log.info("vNIC %#x: deleted by the director", resource_id)
        for resource_id, settings in wanted.items():
            had = self.vnics.get(resource_id)
            if had == settings:
                continue
            path = self._vnic(resource_id, settings.port)
            try:
                if had is None:
                    path.mkdir(parents=True)  # configfs has vnics/ already; a test's not
                    had = VnicSettings(settings.port, "", 0)
                    self.vnics[resource_id] = had
                if (had.mac, had.mtu) != (settings.mac, settings.mtu):
                    self._write(path / "mac", settings.mac)
                    self._write(path / "mtu", str(settings.mtu))
                if had.host != settings.host or had.mtu == 0:
                    self._write(path / "host", settings.host)
            except OSError as err:
                # The gateway refuses what it cannot serve (an MTU above 9000): it keeps
                # what it had, and the next change of the configuration tries again.
                log.warning("vNIC %#x: the gateway refused %s: %s", resource_id, settings, err)
                continue
            self.vnics[resource_id] = settings
            log.info("vNIC %#x on %s: mac %s mtu %d host %s", resource_id, settings.port,
                     settings.mac, settings.mtu, settings.host or "none yet")  # fmt: skip

    def stop(self) -> None:
        """Stop every port (the hosts' connections close), then remove the tree."""
        for port in self.ports:
            self._remove_port(port)
        self.vnics.clear()
        self.link.clear()

    def _remove_port(self, port: str) -> None:
        path = self._port(port)
        if not path.is_dir():
            return
        self._write(path / "enable", "0")
        vnics = path / "vnics"
        for vnic in sorted(vnics.iterdir()) if vnics.is_dir() else []:
            if vnic.is_dir():
                self.remove_dir(vnic)
        self.remove_dir(path)


class EthernetGateway:
    """The card's control plane process: configure, then follow the configuration."""

    def __init__(
        self,
        ports: Mapping[str, str],
        prefix: str,
        director_guid: int,
        settings: Watched,
        bindings: HostBindings,
        root: Path = CONFIGFS,
    ) -> None:
        addresses = {p: fabric_address(prefix, io_port_guid(director_guid, p)) for p in ports}
        self.card = KernelCard(root, ports, addresses)
        self.watched = settings
        self.bindings = bindings
        self.stopping = False
        self.down = False
        self.retry = Retry(RETRY_S)  # a failed bringing down or up

    def _vnics(self) -> set[int]:
        return set(wanted_vnics(self.watched.config, self.card.ports))

    def serve(self) -> None:
        self.bindings.refresh(self._vnics())
        self._follow(first=True)
        print("director: ethgw ready", flush=True)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        try:
            while not self.stopping:
                time.sleep(RELOAD_PERIOD)
                changed = self.watched.refresh()
                if self.bindings.refresh(self._vnics()) or changed or self.retry.due():
                    self._follow()
        finally:
            self.card.stop()
            log.info("card stopped")

    def _follow(self, first: bool = False) -> None:
        """Bring the card in line with the configuration: taken down by `down_cards` (ports
        stopped, every host's connections closed), brought up again, or changed."""
        config = self.watched.config
        down = CARD in config.down_cards
        if down == self.down and not first and not self.retry.pending:
            if not down:
                self.card.apply(config, self.bindings.bound)
            return
        try:
            if down:
                self.card.stop()
            else:
                self.card.start(config, self.bindings.bound)
        except OSError as err:
            if self.retry.failed():
                log.error("card not brought %s (tried again every %g s): %s",
                          "down" if down else "up", RETRY_S, err)  # fmt: skip
            return
        self.retry.succeeded()
        if down != self.down or first:
            log.info("card %s", "down" if down else "up")
        self.down = down

    def _stop(self, signum: int, _frame: object) -> None:
        log.info("signal %d: stopping", signum)
        self.stopping = True
