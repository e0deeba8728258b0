"""The software I/O director: fabric services (XDS, SA role on RoCE), XCM, I/O gateways.

Runs in the director VM on Debian's python3 (stdlib, python3-pyverbs) from the 9p share.
"""
