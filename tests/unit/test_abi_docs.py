"""Every sysfs attribute, configfs attribute and module parameter that kernel/ defines has an
entry in docs/ABI, in the kernel's Documentation/ABI format, and every entry there names one
that exists: the two cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.paths import REPO

ABI = REPO / "docs" / "ABI"
KERNEL = REPO / "kernel"
FIELDS = ("What", "Date", "KernelVersion", "Contact", "Description")

# Where the attributes each source file defines appear. A new file with attributes must be
# added here, and its attributes documented under that directory.
SYSFS_DIRS = {
    "xscore/xscore_link_sysfs.c": "/sys/class/xscore_link/<link>/",
    "xscore/xscore_port_sysfs.c": "/sys/class/xscore_port/<port>/",
    "xscore/xscore_vdev.c": "/sys/bus/auxiliary/devices/xscore.<kind>.<N>/",
    "xsvhba/xsvhba_scsi.c": "/sys/class/scsi_host/host<H>/",
}

# Where the configfs attributes of each CONFIGFS_ATTR prefix appear.
CONFIGFS_DIRS = {
    "xsethgw_port_": "/sys/kernel/config/xsethgw/<port>/",
    "xsethgw_vnic_": "/sys/kernel/config/xsethgw/<port>/vnics/<resource id>/",
    "xsfcgw_wwn_": "/sys/kernel/config/target/xsfcgw/<port>/card/",
    "xsfcgw_initiator_": "/sys/kernel/config/target/xsfcgw/<port>/card/initiators/<resource id>/",
    "xsfcgw_tpg_": "/sys/kernel/config/target/xsfcgw/<port>/<target>/",
    "xsfcgw_attrib_": "/sys/kernel/config/target/xsfcgw/<port>/<target>/attrib/",
}
CONFIGFS_ATTR = re.compile(r"\bCONFIGFS_(?:BIN_)?ATTR(?:_RO|_WO)?\s*\(\s*(\w+)\s*,\s*(\w+)")

ATTR_MACROS = r"DEVICE_ATTR(?:_RO|_RW|_WO|_ADMIN_RO|_ADMIN_RW)?|__ATTR(?:_RO|_RW|_WO|_RO_MODE)?"
DEFINE = re.compile(r"^#define\s+(\w+)\(([^)]*)\)((?:.*\\\n)*.*)$", re.MULTILINE)
PARAM = re.compile(
    r"\bmodule_param(?:_named|_cb|_array|_string|_unsafe|_hw)?\s*\(\s*(\w+)", re.MULTILINE
)


def sources() -> list[Path]:
    return sorted(p for p in KERNEL.rglob("*.[ch]") if "include" not in p.relative_to(KERNEL).parts)


def attribute_names(source: str) -> list[str]:
    """Names of the sysfs attributes a source defines, through the kernel's macros or through
    a macro of its own that wraps one (its first argument is then the name)."""
    wrappers = [
        name
        for name, _, body in DEFINE.findall(source)
        if re.search(rf"\b(?:{ATTR_MACROS})\s*\(", body)
    ]
    code = DEFINE.sub("", source)  # a macro's own body defines nothing
    macros = "|".join([*wrappers, ATTR_MACROS])
    return re.findall(rf"\b(?:{macros})\s*\(\s*(\w+)", code)


def defined() -> set[str]:
    """Every sysfs or configfs file and module parameter kernel/ defines, as its path."""
    paths = set()
    for path in sources():
        text = path.read_text()
        relative = str(path.relative_to(KERNEL))
        names = attribute_names(text)
        if names:
            assert relative in SYSFS_DIRS, f"{relative} defines sysfs attributes {names}: add it"
            paths.update(SYSFS_DIRS[relative] + name for name in names)
        for prefix, name in CONFIGFS_ATTR.findall(text):
            assert prefix in CONFIGFS_DIRS, f"{relative}: configfs prefix {prefix}: add it"
            paths.add(CONFIGFS_DIRS[prefix] + name)
        module = path.parent.name  # kernel/<module>/, kernel/testing/<module>/
        paths.update(f"/sys/module/{module}/parameters/{p}" for p in PARAM.findall(text))
    return paths


def entries() -> list[dict[str, list[str]]]:
    """The entries of docs/ABI/*/*: each field's lines (What: may repeat)."""
    found = []
    for path in sorted(ABI.glob("*/*")):
        for block in re.split(r"\n\s*\n(?=What:)", path.read_text().strip()):
            entry: dict[str, list[str]] = {"file": [str(path)]}
            for match in re.finditer(r"^(\w+):[ \t]*(.*)$", block, re.MULTILINE):
                if match.group(1) in FIELDS:
                    entry.setdefault(match.group(1), []).append(match.group(2).strip())
            found.append(entry)
    return found


def documented() -> set[str]:
    return {what for entry in entries() for what in entry.get("What", [])}


def test_every_sysfs_attribute_and_module_parameter_is_documented() -> None:
    missing = sorted(defined() - documented())
    assert missing == [], f"not in docs/ABI: {missing}"


def test_every_documented_file_exists() -> None:
    stale = sorted(w for w in documented() - defined() if not w.endswith("/"))
    assert stale == [], f"in docs/ABI but defined nowhere in kernel/: {stale}"


def test_entries_are_in_documentation_abi_format() -> None:
    for entry in entries():
        where = entry["file"][0]
        for field in FIELDS:
            assert entry.get(field), f"{where}: {entry.get('What')} lacks {field}:"
        for field in FIELDS[1:]:
            assert len(entry[field]) == 1, f"{where}: {entry['What']}: {field}: twice"
        assert re.fullmatch(r"[A-Z][a-z]+ \d{4}", entry["Date"][0]), entry
        assert re.fullmatch(r"\d+\.\d+", entry["KernelVersion"][0]), entry


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("static DEVICE_ATTR_RO(state);\nstatic DEVICE_ATTR_RW(mode);\n", ["state", "mode"]),
        ("struct a x = __ATTR(ctrl_in, 0444, show, NULL);\n", ["ctrl_in"]),
        (
            "#define STAT(_name, _off) \\\n"
            "static struct s stat_##_name = { .attr = __ATTR(_name, 0444, show, NULL) }\n"
            "STAT(msgs_in, 0);\nSTAT(msgs_out, 8);\n",
            ["msgs_in", "msgs_out"],
        ),
    ],
)
def test_attribute_definitions_are_found(source: str, names: list[str]) -> None:
    assert attribute_names(source) == names


def test_module_parameters_are_found() -> None:
    source = "module_param(a, uint, 0444);\nmodule_param_cb(b, &ops, &b, 0644);\n"
    assert PARAM.findall(source) == ["a", "b"]
