"""Golden vectors: the Python codecs and a C program built on the generated headers both decode
every vector to the values written beside it (a field left out must be zero), and the codecs
re-encode it byte for byte."""

from __future__ import annotations

import importlib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.paths import BUILD, REPO
from xsgen import golden, loader, py_filters, vectors
from xsgen.model import SpecError, Struct

SPECS = loader.load_all(REPO)
VECTORS = vectors.load_vectors(REPO, SPECS)
IDS = [f"{v.spec}.{v.name}" for v in VECTORS]


def codec(spec: str, struct: str) -> Any:
    return getattr(importlib.import_module(f"xswire.{spec}"), py_filters.camel(struct))


def struct_of(vector: vectors.Vector) -> Struct:
    return next(s for s in SPECS if s.name == vector.spec).struct(vector.struct)


def assert_fields(struct: Struct, obj: Any, expected: dict[str, Any], path: str) -> None:
    assert set(expected) == {f.name for f in struct.fields}, path  # every field is checked
    fields = {f.name: f for f in struct.fields}
    for name, want in expected.items():
        f, got, where = fields[name], getattr(obj, name), f"{path}.{name}"
        if f.is_octets:
            assert got.ljust(f.size, b"\0") == vectors.expected_octets(f, want), where
        elif f.struct is not None and f.count:
            assert len(got) == len(want) == f.count, where
            for i, item in enumerate(want):
                assert_fields(f.struct, got[i], item, f"{where}[{i}]")
        elif f.struct is not None:
            assert_fields(f.struct, got, want, where)
        else:
            assert got == want, where


def test_there_are_vectors_for_every_spec() -> None:
    assert {v.spec for v in VECTORS} == {s.name for s in SPECS}


@pytest.mark.parametrize(
    ("spec", "struct", "least"),
    [
        ("xds", "xds_request", 2),
        ("xds", "xds_response", 2),
        ("xds", "xcfm_record", 2),
        ("xds", "xdp_hdr", 2),
        ("xsmp", "xsmp_message_header", 2),
        ("xsmp", "xsmp_session_msg", 3),
        ("xsmp", "xsmp_private_data", 2),
    ],
)
def test_each_message_has_several_vectors(spec: str, struct: str, least: int) -> None:
    assert sum(v.spec == spec and v.struct == struct for v in VECTORS) >= least


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_python_codec_decodes_vector_to_its_values(vector: vectors.Vector) -> None:
    struct = struct_of(vector)
    cls = codec(vector.spec, vector.struct)
    assert len(vector.data) == cls.SIZE == struct.size
    assert_fields(struct, cls.decode(vector.data), vector.fields, vector.name)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_python_codec_reencodes_vector_byte_for_byte(vector: vectors.Vector) -> None:
    cls = codec(vector.spec, vector.struct)
    assert cls.decode(vector.data).encode() == vector.data


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_python_codec_decodes_at_an_offset(vector: vectors.Vector) -> None:
    cls = codec(vector.spec, vector.struct)
    assert cls.decode(b"\xa5" * 3 + vector.data, 3) == cls.decode(vector.data)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_python_codec_refuses_a_short_buffer(vector: vectors.Vector) -> None:
    cls = codec(vector.spec, vector.struct)
    with pytest.raises(ValueError, match=rf"need {cls.SIZE} bytes"):
        cls.decode(vector.data[:-1])
    with pytest.raises(ValueError, match="need"):
        cls.decode(vector.data, 1)


def test_python_codec_pads_text_and_refuses_what_does_not_fit() -> None:
    from xswire import cstr
    from xswire.xds import XdsRequest

    encoded = XdsRequest(hostname=b"host1").encode()
    assert encoded[12:77] == b"host1" + b"\0" * 60
    assert cstr(XdsRequest.decode(encoded).hostname) == "host1"
    with pytest.raises(ValueError, match="hostname: 66 bytes do not fit in 65"):
        XdsRequest(hostname=b"h" * 66).encode()


def test_python_codec_refuses_too_many_array_items() -> None:
    from xswire.xds import XcfmRecord, XcmList

    with pytest.raises(ValueError, match="xcms: 9 items do not fit in 8"):
        XcmList(xcms=[XcfmRecord()] * 9).encode()


def test_c_program_on_generated_headers_agrees_with_every_vector() -> None:
    result = golden.write_build_run(REPO, BUILD / "golden", SPECS, VECTORS)
    assert result.returncode == 0, result.stdout
    report = re.search(r"vectors_check: (\d+) vectors, (\d+) checks, (\d+) failed", result.stdout)
    assert report, result.stdout
    assert int(report[1]) == len(VECTORS)
    assert int(report[2]) > 10 * len(VECTORS)
    assert int(report[3]) == 0


@pytest.mark.parametrize(
    ("field", "wrong", "message"),
    [
        ("port_id", 1, "port_id: got 0x2c90300001234, want 0x1"),
        ("hostname", "host2", "hostname: bytes differ at 4: got 0x31, want 0x32"),
        ("capabilities", 0x80020000, "capabilities: got 0x80010000, want 0x80020000"),
    ],
)
def test_c_program_fails_on_a_wrong_expected_value(
    tmp_path: Path, field: str, wrong: object, message: str
) -> None:
    first = next(v for v in VECTORS if v.name == "request_from_host1")
    fields = {**first.fields, field: wrong}
    corrupted = vectors.Vector(first.name, first.spec, first.struct, first.data, fields)
    result = golden.write_build_run(REPO, tmp_path, SPECS, [corrupted])
    assert result.returncode != 0
    assert f"MISMATCH request_from_host1.{message}" in result.stdout
    assert ", 1 failed" in result.stdout


def test_c_program_fails_when_it_checks_nothing(tmp_path: Path) -> None:
    result = golden.write_build_run(REPO, tmp_path, SPECS, [])
    assert result.returncode != 0
    assert "0 vectors" in result.stdout


def copy_specs(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    return tmp_path / "specs" / "vectors" / "xds.yaml"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("0002c90300001234 ", "0002c903000012 "), "180 bytes, struct xds_request has 181"),
        (("    vm_id: 0\n", "    vm_idd: 0\n"), r"has no fields \['vm_idd'\]"),
        (("    hostname: host1\n", "    hostname: '" + "h" * 66 + "'\n"), "longer than the field"),
        (("    os_type: 0x01000000", "    os_type: 0x100000000"), "does not fit in u32"),
        (("struct: xds_request", "struct: xds_requests"), "xds has no struct xds_requests"),
    ],
)
def test_mistakes_in_a_vector_file_are_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = copy_specs(tmp_path)
    text = path.read_text()
    assert change[0] in text
    path.write_text(text.replace(*change, 1))
    with pytest.raises(SpecError, match=message):
        vectors.load_vectors(tmp_path, loader.load_all(tmp_path))
