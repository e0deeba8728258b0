"""Run in the host VM as `xsmp_idle.py <own address> <XCM address> <seconds>`: open an XSMP
connection as a host would, then send nothing for that long (no REGISTER); print `connected`,
or `refused: <why>` when the XCM turns the request down."""

from __future__ import annotations

import sys
import time

from tests.vm.guest.xsmp_cm import connect


def main() -> None:
    own, xcm, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cmid = connect(own, xcm)
    if isinstance(cmid, str):
        print(cmid, flush=True)
        return
    print("connected", flush=True)
    time.sleep(seconds)


if __name__ == "__main__":
    main()
