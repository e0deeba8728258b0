"""The director's FC I/O card: the kernel's FC gateway (kernel/xsfcgw, a LIO fabric module)
serves the hosts' vHBAs; this process keeps it configured as the director's configuration
file says (director/lio.py) and follows the file's changes within a second, and the hosts the
XCMs installed each vHBA on (director/bindings.py) within a quarter of one. Stopping it stops
the card: the fabric's ports go, with every host's connections; the LUNs' data stays. Started
again, it puts the configuration back, and the hosts reconnect. The configuration's
`down_cards` naming "fc" (`ctl card-state fc down`) does the same without stopping the
process: the card restart of an operator, and of the soak.
"""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

from director.bindings import HostBindings
from director.config import Watched
from director.lio import Lio, port_vhbas
from director.retry import Retry

log = logging.getLogger("director.fcgw")

# A host's first connection to the card follows its INSTALL at once; it is refused until the
# card knows its host, and tried again a second later.
RELOAD_PERIOD = 0.25
CARD = "fc"  # its name in the configuration's down_cards
RETRY_S = 2.0


class FcCard:
    def __init__(self, lio: Lio, settings: Watched, bindings: HostBindings) -> None:
        self.lio = lio
        self.settings = settings
        self.bindings = bindings
        self.stopping = False
        self.down = False
        self.retry = Retry(RETRY_S)  # a failed apply or removal

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def _vhbas(self) -> set[int]:
        return set(port_vhbas(self.settings.config, self.lio.ports))

    def _apply(self) -> None:
        down = CARD in self.settings.config.down_cards
        try:
            if down:
                if not self.down:
                    self.lio.remove()
                    log.info("card down: its ports and their connections are gone")
            else:
                self.lio.apply(self.settings.config, self.bindings.bound)
                if self.down:
                    log.info("card up: its configuration is applied again")
        except OSError as err:
            if self.retry.failed():
                log.error("configuration not applied (tried again every %g s): %s", RETRY_S, err)
            return
        if self.retry.succeeded():
            log.info("configuration applied")
        self.down = down

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.bindings.refresh(self._vhbas())
        self._apply()
        print(f"director: fcgw ready on {', '.join(self.lio.ports)}", flush=True)
        try:
            while not self.stopping:
                time.sleep(RELOAD_PERIOD)
                changed = self.settings.refresh()
                if self.bindings.refresh(self._vhbas()) or changed or self.retry.due():
                    self._apply()
        finally:
            self.lio.remove()
            log.info("card stopped: its ports and their connections are gone")


def run(ports: list[str], prefix: str, director_guid: int, settings: Watched,
        lun_dir: Path, state_dir: Path) -> None:  # fmt: skip
    lio = Lio(ports, prefix, director_guid, lun_dir)
    FcCard(lio, settings, HostBindings(state_dir)).serve()
