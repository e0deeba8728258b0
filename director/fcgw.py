"""The director's FC I/O card: the kernel's FC gateway (kernel/xsfcgw, a LIO fabric module)
serves the hosts' vHBAs; this process keeps it configured as the director's configuration
file says (director/lio.py) and follows the file's changes within a second. Stopping it stops
the card: the fabric's ports go, with every host's connections; the LUNs' data stays. Started
again, it puts the configuration back, and the hosts reconnect.
"""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

from director.config import Watched
from director.lio import Lio

log = logging.getLogger("director.fcgw")

RELOAD_PERIOD = 1.0


class FcCard:
    def __init__(self, lio: Lio, settings: Watched) -> None:
        self.lio = lio
        self.settings = settings
        self.stopping = False

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def _apply(self) -> None:
        try:
            self.lio.apply(self.settings.config)
        except OSError as err:
            log.error("configuration not applied: %s", err)

    def serve(self) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self._apply()
        print(f"director: fcgw ready on {', '.join(self.lio.ports)}", flush=True)
        try:
            while not self.stopping:
                time.sleep(RELOAD_PERIOD)
                if self.settings.refresh():
                    self._apply()
        finally:
            self.lio.remove()
            log.info("card stopped: its ports and their connections are gone")


def run(ports: list[str], prefix: str, director_guid: int, settings: Watched,
        lun_dir: Path) -> None:  # fmt: skip
    FcCard(Lio(ports, prefix, director_guid, lun_dir), settings).serve()
