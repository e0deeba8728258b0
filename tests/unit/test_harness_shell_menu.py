"""The shell's one-key menu: h and d choose a console, q (or Ctrl-C, Ctrl-D) quits, anything
else asks again."""

from __future__ import annotations

from harness import shell


def menu(keys: str) -> tuple[str | None, str]:
    pending = iter(keys)
    shown: list[str] = []
    chosen = shell.choose(lambda: next(pending), shown.append)
    return chosen, "".join(shown)


def test_h_and_d_choose_the_host_and_the_director_in_either_case() -> None:
    assert menu("h")[0] == "host"
    assert menu("D")[0] == "director"


def test_q_ctrl_c_and_ctrl_d_quit() -> None:
    assert [menu(k)[0] for k in ("q", "\x03", "\x04")] == [None, None, None]


def test_another_key_shows_the_menu_again() -> None:
    chosen, shown = menu("xh")
    assert chosen == "host"
    assert shown.count(shell.MENU) == 2
