"""Reading and writing system descriptions in either format, with one-line errors.

A system file is given by users (``--system ault23.json``), so every way it can be wrong
(unreadable, broken JSON, a list, a specialization-points file passed by mistake, a missing
``"CPU Info"``) becomes an ``InputError`` that names the file, never a traceback. The native
format is validated by ``schemas/system-native.schema.json``; upstream files by the structural
schema below, which allows upstream's quirks (swapped SYCL fields, sentences) so that they can
be repaired instead of rejected.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from xaas_parsl.discovery.cpu import cpu_from_proc, parse_proc_cpuinfo
from xaas_parsl.discovery.model import SCHEMA_VERSION, SystemInfo
from xaas_parsl.discovery.upstream import from_upstream, to_upstream
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_json, read_text, validate

NATIVE_FORMAT = "xaas-parsl-system"
#: A /proc/cpuinfo of a 1000-core node is under 1 MiB.
CPUINFO_BUDGET = 4 << 20

_OBJECT_OF_OBJECTS = {"type": "object", "additionalProperties": {"type": "object"}}
_DEVICE_LIST = {"type": "array", "items": {"type": "object"}}

#: Structure of upstream discovery files: types only, values are repaired on load.
UPSTREAM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "upstream XaaS system discovery (structure only)",
    "type": "object",
    "required": ["CPU Info"],
    "properties": {
        "CPU Info": {
            "type": "object",
            "required": ["Architecture"],
            "properties": {
                "Architecture": {"type": "string", "minLength": 1},
                "Model Name": {"type": ["string", "null"]},
                "Supported Vectorizations": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Accelerators": {
            "type": "object",
            "properties": {
                "Accelerators": {
                    "type": "object",
                    "properties": {
                        "lspci": {"type": "array", "items": {"type": "string"}},
                        "nvidia": _DEVICE_LIST,
                        "amd": _DEVICE_LIST,
                        "intel": _DEVICE_LIST,
                    },
                },
                "Driver Versions": {"type": "object"},
            },
        },
        "Parallel Libraries": _OBJECT_OF_OBJECTS,
        "FFT Libraries": _OBJECT_OF_OBJECTS,
        "linear algebra Libraries": _OBJECT_OF_OBJECTS,
        "GPU Backends": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    # upstream swapped SYCL's fields: libraries may be a string
                    "libraries": {"type": ["array", "string", "null"]},
                    "version": {"type": ["string", "null"]},
                },
            },
        },
        "Loaded Modules": {
            "type": "object",
            "additionalProperties": {"type": ["string", "null"]},
        },
        "Compilers": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"type": ["string", "null"]},
            },
        },
    },
}

_SPEC_KEYS = {"gpu_build", "gpu_backends", "simd_vectorization", "build_system"}


@cache
def native_schema() -> dict[str, Any]:
    """The JSON Schema of the native format (shipped as package data)."""
    text = (
        resources.files("xaas_parsl")
        .joinpath("schemas/system-native.schema.json")
        .read_text(encoding="utf-8")
    )
    schema: dict[str, Any] = json.loads(text)
    return schema


def _shape_error(data: Any) -> str:
    """Why ``data`` is not a system description, in words a user can act on."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a JSON {type(data).__name__}"
        return f"expected a JSON object describing a system, got {kind}"
    if _SPEC_KEYS & data.keys():
        return "this is a specialization-points file, not a system description"
    return (
        'not a system description: expected "format": "xaas-parsl-system" '
        'or upstream XaaS\'s "CPU Info" key'
    )


def system_from_data(data: Any, path: str | Path) -> SystemInfo:
    """Detect the format of already-parsed JSON, validate it and convert it."""
    if isinstance(data, dict) and data.get("format") == NATIVE_FORMAT:
        version = data.get("schema_version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            raise InputError(
                f"schema_version {version} is newer than this xaas-parsl understands "
                f"({SCHEMA_VERSION})",
                path,
            )
        validate(data, native_schema(), path, "native system description")
        return SystemInfo.from_dict(data)
    if isinstance(data, dict) and "CPU Info" in data:
        validate(data, UPSTREAM_SCHEMA, path, "upstream XaaS system description")
        return from_upstream(data, str(path))
    raise InputError(_shape_error(data), path)


def load_system(path: str | Path) -> SystemInfo:
    """Read a system description in the native or upstream format (detected from content)."""
    return system_from_data(load_json(path), path)


def load_node(path: str | Path) -> SystemInfo:
    """A node's description: a system file (either format), or a ``/proc/cpuinfo`` recorded on
    the node (text, recognised by its ``processor`` lines), which describes only the CPU.
    Its architecture comes from the text: ARM kernels write ``CPU implementer``, x86 kernels
    ``vendor_id``."""
    p = Path(path)
    try:
        with p.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), p) from None
    if head.lstrip()[:1] in (b"{", b"[") or b"processor" not in head:
        return load_system(p)
    if p.stat().st_size > CPUINFO_BUDGET:
        raise InputError(f"larger than {CPUINFO_BUDGET >> 20} MiB: not a /proc/cpuinfo", p)
    proc = parse_proc_cpuinfo(read_text(p))
    if proc.get("CPU implementer"):
        machine = "aarch64"
    elif proc.get("vendor_id"):
        machine = "x86_64"
    else:
        raise InputError("a /proc/cpuinfo without 'CPU implementer' or 'vendor_id': "
                         "architecture unknown", p)
    cpu = cpu_from_proc(proc, machine, sve_vector_bits=None, logical_cores=None)
    return SystemInfo(cpu=cpu, source=f"cpuinfo:{p}",
                      notes=("only the CPU is known (a /proc/cpuinfo)",))


def dump_system(info: SystemInfo, fmt: Literal["xaas", "native"]) -> dict[str, Any]:
    """``info`` as a JSON-ready dict: ``native`` (lossless) or ``xaas`` (upstream's keys)."""
    if fmt == "native":
        return info.to_dict()
    if fmt == "xaas":
        return to_upstream(info)
    raise ValueError(f"unknown system format {fmt!r}; expected 'xaas' or 'native'")
