"""Reading back a guest's tracefs buffer."""

from __future__ import annotations

from harness.tracefs import TraceEvent, parse

TRACE = """\
# tracer: nop
#
# entries-in-buffer/entries-written: 3/3   #P:1
#
#                                _-----=> irqs-off/BH-disabled
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
     kworker/u2:1-37      [000] ..... 1021.402311: xscore_session_state: host2 CONNECTING -> UP
 dd-612 [000] ..s1. 1022.0: xsvhba_cmd_submit: host2 0:0 handle 0x10003 opcode 0x28 bytes 4096 dir 2
  <idle>-0 [000] d.h2. 1022.100000: xscore_xsmp_msg: rxe0-1:xcm-2 in class 1 type 4 len 60 seq 9
"""


def test_events_are_parsed_by_name_with_their_text() -> None:
    assert parse(TRACE) == [
        TraceEvent("xscore_session_state", "host2 CONNECTING -> UP"),
        TraceEvent("xsvhba_cmd_submit", "host2 0:0 handle 0x10003 opcode 0x28 bytes 4096 dir 2"),
        TraceEvent("xscore_xsmp_msg", "rxe0-1:xcm-2 in class 1 type 4 len 60 seq 9"),
    ]


def test_a_header_only_buffer_has_no_events() -> None:
    assert parse("\n".join(TRACE.splitlines()[:7])) == []
