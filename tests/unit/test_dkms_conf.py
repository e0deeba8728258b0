"""dkms.conf declares the package and exactly the product modules."""

from __future__ import annotations

import re

from harness import dkms
from harness.modules import MODULES


def test_dkms_conf_builds_every_product_module_and_nothing_else() -> None:
    pkg = dkms.package()
    assert pkg.name == "xsigo"
    assert re.fullmatch(r"\d+\.\d+\.\d+", pkg.version)
    assert {f"{m}/{m}.ko" for m in pkg.modules} == set(MODULES)
