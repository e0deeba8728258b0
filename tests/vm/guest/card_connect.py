"""Run in the host VM as `card_connect.py <fc|eth> <own address> <card address> <resource id,
hex> [hold seconds]`: ask an I/O card for the control connection of a vHBA (fc) or vNIC (eth),
as xsvhba or xsvnic would, from `own address` (a GID of this host); print `accepted` or
`refused: <why>`. An accepted connection is held, silent, for `hold` seconds (default none)
before it is disconnected. For the tests of the cards' trust: a resource's connections come
only from its host, and a silent one does not keep them."""

from __future__ import annotations

import sys
import time

from pyverbs.cm_enums import RDMA_PS_TCP
from pyverbs.cmid import CMID, AddrInfo, ConnParam
from pyverbs.enums import IBV_QPT_RC
from pyverbs.pyverbs_error import PyverbsError
from pyverbs.qp import QPCap, QPInitAttr

from director.lio import CARD_PORT
from xswire.xsvhba_card import XsvhbaCmPrivateData, XsvhbaQpType
from xswire.xsvnic_card import XsvnicCmPrivateData, XsvnicQpType


def private_data(kind: str, resource_id: int) -> bytes:
    if kind == "fc":
        return XsvhbaCmPrivateData(vid=resource_id, qp_type=XsvhbaQpType.CONTROL).encode()
    return XsvnicCmPrivateData(vid=resource_id, qp_type=XsvnicQpType.CONTROL).encode()


def main() -> int:
    kind, own, card, resource_id = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4], 16)
    hold = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    cap = QPCap(max_send_wr=2, max_recv_wr=2, max_send_sge=1, max_recv_sge=1)
    init = QPInitAttr(qp_type=IBV_QPT_RC, cap=cap, sq_sig_all=1)
    info = AddrInfo(src=own, dst=card, dst_service=str(CARD_PORT), port_space=RDMA_PS_TCP)
    # Address and route resolution fail loudly (a traceback, a non-zero exit): only the card's
    # answer to the request itself is printed.
    cmid = CMID(creator=info, qp_init_attr=init)
    data = private_data(kind, resource_id)
    # ConnParam sends data_len bytes of private data, of what set_private_data() gave it.
    param = ConnParam(data_len=len(data))
    param.set_private_data(data)
    try:
        cmid.connect(param)
    except PyverbsError as err:
        print(f"refused: {err}")
        return 0
    print("accepted", flush=True)
    time.sleep(hold)
    try:
        cmid.disconnect()
    except PyverbsError as err:  # the card may have disconnected first
        print(f"disconnect: {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
