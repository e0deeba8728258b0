"""The config checks of kernels built from source: what the fragments ask for, and what a
final .config lost of it."""

from __future__ import annotations

from pathlib import Path

from harness import srckernel


def test_fragments_set_and_unset_options_and_the_last_one_wins(tmp_path: Path) -> None:
    first = tmp_path / "a.config"
    first.write_text('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="x"\n# a comment\n')
    second = tmp_path / "b.config"
    second.write_text("CONFIG_A=m\n")
    assert srckernel.wanted_options([first, second]) == {
        "CONFIG_A": "m",
        "CONFIG_B": "n",
        "CONFIG_S": '"x"',
    }


def test_options_lost_by_olddefconfig_are_named() -> None:
    wanted = {"CONFIG_A": "m", "CONFIG_B": "n", "CONFIG_C": "y"}
    config = {"CONFIG_A": "m", "CONFIG_C": "m"}
    assert srckernel.missing_options(wanted, config) == ["CONFIG_C=y (got m)"]


def test_the_guest_fragments_parse() -> None:
    options = srckernel.wanted_options(
        [srckernel.FRAGMENT_DIR / "guest.config", srckernel.FRAGMENT_DIR / "debug.config"]
    )
    assert options["CONFIG_RDMA_RXE"] == "m"
    assert options["CONFIG_KASAN"] == "y"
    assert options["CONFIG_LOCALVERSION"] == '"-xsdebug"'
