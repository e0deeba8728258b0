"""Decide with kconfiglib whether a kernel can host our modules.

Our modules' Kconfig entries (kernel/*/Kconfig) are what an in-tree merge would carry. Out of
tree they are evaluated against a kernel's .config: every symbol they depend on or select is
defined with the value the kernel was built with, our own symbols are set to m, and each entry
whose dependencies fail, or whose `select` the kernel does not satisfy, becomes a one-line reason
to refuse that kernel. (kconfiglib cannot parse whole kernel Kconfig trees since 5.13, so it
never sees one.)
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import kconfiglib

from harness.paths import REPO

CONFIG_LINE = re.compile(r"^CONFIG_(\w+)=(.*)$")


def module_kconfigs(root: Path = REPO) -> list[Path]:
    return sorted((root / "kernel").glob("*/Kconfig"))


def read_config(path: Path) -> dict[str, str]:
    """Symbol values (without CONFIG_) of a kernel .config; unset symbols are absent."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = CONFIG_LINE.match(line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def _load(kconfigs: list[Path], stubs: str) -> kconfiglib.Kconfig:
    with tempfile.TemporaryDirectory(prefix="xs-kconfig-") as tmp:
        top = Path(tmp) / "Kconfig"
        sources = "".join(f'source "{path}"\n' for path in kconfigs)
        top.write_text(stubs + sources)
        return kconfiglib.Kconfig(str(top), warn=False)


def _stub(name: str, value: str | None) -> str:
    if value in ("y", "m"):
        return f"config {name}\n\ttristate\n\tdefault {value}\n"
    return f"config {name}\n\ttristate\n"


def _leaves(expr: object) -> list[kconfiglib.Symbol]:
    return [item for item in kconfiglib.expr_items(expr) if isinstance(item, kconfiglib.Symbol)]


def _values(expr: object) -> str:
    leaves = _leaves(expr)
    return ", ".join(f"{sym.name}={sym.str_value or 'n'}" for sym in leaves if sym.name != "m")


def check(config: Path, kconfigs: list[Path] | None = None) -> list[str]:
    """Reasons the kernel built with `config` cannot host our modules (empty when it can)."""
    kconfigs = kconfigs if kconfigs is not None else module_kconfigs()
    kernel = read_config(config)
    first = _load(kconfigs, "")
    ours = [sym for sym in first.unique_defined_syms if sym.nodes]
    external = sorted(
        name for name, sym in first.syms.items() if not sym.nodes and name not in ("MODULES",)
    )
    stubs = "config MODULES\n\tbool\n\tdefault y\n\toption modules\n"
    stubs += "".join(_stub(name, kernel.get(name)) for name in external)
    kconf = _load(kconfigs, stubs)
    for sym in ours:
        kconf.syms[sym.name].set_value(2 if sym.orig_type == kconfiglib.BOOL else 1)
    own = {sym.name for sym in ours}
    reasons = []
    for sym in (kconf.syms[s.name] for s in ours):
        if kconfiglib.expr_value(sym.direct_dep) == 0:
            reasons.append(
                f"{sym.name} depends on {kconfiglib.expr_str(sym.direct_dep)} "
                f"({_values(sym.direct_dep)})"
            )
        # Out of tree nothing can select into the kernel: what we select, it must already have.
        for target, _cond in sym.selects:
            if target.name not in own and kernel.get(target.name) not in ("y", "m"):
                reasons.append(f"{sym.name} selects {target.name}, which the kernel lacks")
    return reasons
