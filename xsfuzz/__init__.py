"""The fuzz campaign: every kind of hostile input one side of the fabric can send the other,
in one catalogue, each with the counter the receiving side must count it in.

- `kind`: what a kind is (`Kind`), where it goes (`Target`) and how it is counted.
- `fc_card`: what a hostile FC card sends a host's xsvhba, on control and data.
- `fc_host`: what a hostile host sends the FC card (xsvhba's debugfs inject makes it).
- `xcm_host`: what a hostile host sends the XCM before or instead of registering.
- `eth_card`: what a hostile Ethernet card sends a host's xsvnic.
- `eth_host`: what a hostile host sends the Ethernet card, TSO prefixes and segments included.
- `catalog`: every kind, the XCM's XSMP kinds (director/xsmp_fuzz.py) included.

A VM test delivers the kinds of a target the way that target's peer would (a card's or a
vNIC's debugfs send hook, xsvhba's inject, the XCM's --fuzz) and asserts each counted on the
other side.
"""
