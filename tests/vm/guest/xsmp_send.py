"""Run in the host VM as `xsmp_send.py <own address> <XCM address> <message, hex>...`: open an
XSMP connection as a host would and send each message as it is, without registering; print
`sent N`, or `refused: <why>` when the XCM turns the request down. For the campaign's hostile
host (xsfuzz.xcm_host)."""

from __future__ import annotations

import sys
import time

from tests.vm.guest.xsmp_cm import connect


def main() -> None:
    own, xcm, messages = sys.argv[1], sys.argv[2], [bytes.fromhex(m) for m in sys.argv[3:]]
    cmid = connect(own, xcm)
    if isinstance(cmid, str):
        print(cmid, flush=True)
        return
    for message in messages:
        # A registration of the message's own size: the SEND carries exactly its bytes.
        mr = cmid.reg_msgs(len(message))
        mr.write(message, len(message))
        cmid.post_send(mr)
        cmid.get_send_comp()
    print(f"sent {len(messages)}", flush=True)
    time.sleep(1)
    cmid.disconnect()


if __name__ == "__main__":
    main()
