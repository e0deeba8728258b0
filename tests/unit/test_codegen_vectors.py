"""Golden vectors: the Python codecs and a C program built on the generated headers both decode
every vector to the values written beside it, and the codecs re-encode it byte for byte."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.paths import BUILD, REPO
from xsgen import loader, py_filters, vectors
from xsgen.model import Struct

SPECS = loader.load_all(REPO)
VECTORS = vectors.load_vectors(REPO)
GOLDEN = REPO / "tests" / "golden"


def codec(spec: str, struct: str) -> Any:
    return getattr(importlib.import_module(f"xswire.{spec}"), py_filters.camel(struct))


def assert_fields(struct: Struct, obj: Any, expected: dict[str, Any], path: str) -> None:
    fields = {f.name: f for f in struct.fields}
    for name, want in expected.items():
        f, got, where = fields[name], getattr(obj, name), f"{path}.{name}"
        if f.is_octets:
            assert got.ljust(f.size, b"\0") == vectors.expected_octets(f, want), where
        elif f.struct is not None and f.count:
            for i, item in enumerate(want):
                assert_fields(f.struct, got[i], item, f"{where}[{i}]")
        elif f.struct is not None:
            assert_fields(f.struct, got, want, where)
        else:
            assert got == want, where


def test_there_are_vectors_for_every_spec() -> None:
    assert {v.spec for v in VECTORS} == {s.name for s in SPECS}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v.spec}.{v.name}")
def test_python_codec_decodes_vector_to_its_values(vector: vectors.Vector) -> None:
    struct = next(s for s in SPECS if s.name == vector.spec).struct(vector.struct)
    cls = codec(vector.spec, vector.struct)
    assert len(vector.data) == cls.SIZE == struct.size
    assert_fields(struct, cls.decode(vector.data), vector.fields, vector.name)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v.spec}.{v.name}")
def test_python_codec_reencodes_vector_byte_for_byte(vector: vectors.Vector) -> None:
    cls = codec(vector.spec, vector.struct)
    assert cls.decode(vector.data).encode() == vector.data


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v.spec}.{v.name}")
def test_python_codec_refuses_a_short_buffer(vector: vectors.Vector) -> None:
    with pytest.raises(ValueError, match="need"):
        codec(vector.spec, vector.struct).decode(vector.data[:-1])


def build_c_check(vector_list: list[vectors.Vector], out: Path) -> subprocess.CompletedProcess[str]:
    source = out / "vectors_check.c"
    source.write_text(vectors.c_program(SPECS, vector_list))
    binary = out / "vectors_check"
    subprocess.run(
        ["gcc", "-std=gnu11", "-Wall", "-Wextra", "-Werror", f"-I{GOLDEN}",
         f"-I{GOLDEN / 'include'}", f"-I{REPO / 'kernel' / 'include'}", "-o", str(binary),
         str(source)],
        check=True,
    )  # fmt: skip
    return subprocess.run([str(binary)], capture_output=True, text=True)


def test_c_program_on_generated_headers_agrees_with_every_vector() -> None:
    out = BUILD / "golden"
    out.mkdir(parents=True, exist_ok=True)
    result = build_c_check(VECTORS, out)
    assert result.returncode == 0, result.stdout
    assert f"{len(VECTORS)} vectors" in result.stdout
    assert ", 0 failed" in result.stdout


def test_c_program_fails_on_a_wrong_expected_value(tmp_path: Path) -> None:
    first = next(v for v in VECTORS if v.name == "request_from_host1")
    corrupted = vectors.Vector(
        first.name, first.spec, first.struct, first.data, {**first.fields, "port_id": 1}
    )
    result = build_c_check([corrupted], tmp_path)
    assert result.returncode != 0
    assert "MISMATCH request_from_host1.port_id" in result.stdout
