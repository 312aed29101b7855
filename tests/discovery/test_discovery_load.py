"""load_system/dump_system: native round trip, format detection, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.discovery.load import dump_system, load_system, native_schema
from xaas_parsl.discovery.model import (
    Compiler,
    ContainerRuntime,
    CpuInfo,
    Gpu,
    GpuBackend,
    Library,
    SystemInfo,
)
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import validate, write_json

from ._support import UPSTREAM, assert_no_sentence_versions

SPEC_FILE = Path(__file__).resolve().parents[3] / "shared/reference/xaas/specialization-points"

FULL = SystemInfo(
    cpu=CpuInfo(
        architecture="aarch64",
        model_name="Neoverse-V2",
        vendor="ARM",
        flags=("fp", "asimd", "sve", "sve2"),
        microarchitecture="neoverse-v2",
        fma_units=2,
        sve_vector_bits=128,
        logical_cores=288,
    ),
    gpus=(
        Gpu("nvidia", "NVIDIA GH200 120GB", "9.0", "550.54.15", "12.4", 102 * 2**30, None, "nvml"),
        Gpu("amd", "AMD Instinct MI250X", "gfx90a", None, "6.0.3", None, "AMD Instinct MI250X"),
    ),
    gpu_backends=(GpuBackend("CUDA", "12.6", ("/usr/lib64/libcuda.so.1",)), GpuBackend("OpenCL")),
    libraries=(
        Library("mpi", "CrayMPICH", "8.1.30", ("/opt/cray/libmpi.so",), "LD_LIBRARY_PATH"),
        Library("fft", "FFTW", None, ("/lib64/libfftw3.so.3",), "ldconfig"),
    ),
    compilers=(Compiler("cxx", "g++", "GCC", "13.3.0", "g++ (Spack GCC) 13.3.0", "/usr/bin/g++"),),
    modules={"cray-mpich": "8.1.30", "craype-arm-grace": None},
    container_runtimes=(ContainerRuntime("podman", "4.9.4", "/usr/bin/podman"),),
    tools={"cmake": "3.30.5", "ninja": None},
    hostname="nid001234",
    source="discovered",
    notes=("example",),
)


def test_native_round_trip(tmp_path: Path) -> None:
    data = FULL.to_dict()
    validate(data, native_schema(), "full", "native system")
    assert SystemInfo.from_dict(data) == FULL
    path = write_json(tmp_path / "system.json", data)
    assert load_system(path) == FULL
    assert dump_system(load_system(path), "native") == data


def test_schema_documents_every_field() -> None:
    schema = native_schema()
    data = FULL.to_dict()
    assert set(schema["properties"]) == set(data)
    defs = schema["$defs"]
    items = {
        "cpu": data["cpu"],
        "gpu": data["gpus"][0],
        "gpu_backend": data["gpu_backends"][0],
        "library": data["libraries"][0],
        "compiler": data["compilers"][0],
        "container_runtime": data["container_runtimes"][0],
    }
    for key, item in items.items():
        assert set(defs[key]["properties"]) == set(item), key


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda d: d["gpus"][0].update(driver_version="Version not found"), "/gpus/0"),
        (lambda d: d["tools"].update(cmake="Unknown"), "/tools/cmake"),
        (lambda d: d["cpu"].update(stepping=4), "/cpu"),
        (lambda d: d["libraries"][0].update(kind="blas-ish"), "/libraries/0/kind"),
    ],
)
def test_native_schema_rejects(change: Any, pointer: str, tmp_path: Path) -> None:
    data = FULL.to_dict()
    change(data)
    path = write_json(tmp_path / "bad.json", data)
    with pytest.raises(InputError, match=f"at {pointer}") as err:
        load_system(path)
    assert str(path) in str(err.value)


def test_dump_system_formats() -> None:
    assert dump_system(FULL, "native")["format"] == "xaas-parsl-system"
    upstream = dump_system(FULL, "xaas")
    assert upstream["CPU Info"]["Supported Vectorizations"] == ["asimd", "sve", "sve2"]
    assert upstream["Accelerators"]["Driver Versions"] == {"NVIDIA": "550.54.15"}
    assert upstream["Parallel Libraries"] == {"CrayMPICH": {"libmpi.so": "/opt/cray/libmpi.so"}}
    assert upstream["GPU Backends"]["SYCL"] == {"libraries": [], "version": None}
    assert_no_sentence_versions(upstream)
    with pytest.raises(ValueError, match="unknown system format"):
        dump_system(FULL, "yaml")  # type: ignore[arg-type]


def test_upstream_file_detected() -> None:
    info = load_system(UPSTREAM / "lumi.json")
    assert info.source.startswith("xaas:")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"CPU Info": {"Architecture": "x86_64", ', "invalid JSON at line 1"),
        ("", "file is empty"),
        ("[1, 2]", "got a list"),
        ('"x86_64"', "got a JSON str"),
        ('{"gpu_build": {"value": true}}', "specialization-points file"),
        ('{"hello": 1}', "not a system description"),
        ('{"CPU Info": []}', "at /CPU Info"),
        ('{"CPU Info": {"Model Name": "x"}}', "Architecture"),
        ('{"CPU Info": {"Architecture": "x86_64"}, "Compilers": {"c": "gcc"}}', "at /Compilers/c"),
        ('{"format": "xaas-parsl-system", "schema_version": 99, "cpu": {}}', "newer"),
        ('{"format": "xaas-parsl-system", "schema_version": 1}', "'cpu' is a required"),
    ],
)
def test_bad_inputs_name_the_file(tmp_path: Path, text: str, problem: str) -> None:
    path = _write(tmp_path, "system.json", text)
    with pytest.raises(InputError) as err:
        load_system(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert problem in message
    assert "\n" not in message


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file") as err:
        load_system(tmp_path / "absent.json")
    assert str(tmp_path / "absent.json") in str(err.value)
    with pytest.raises(InputError, match="is a directory") as err:
        load_system(tmp_path)
    assert str(tmp_path) in str(err.value)


@pytest.mark.skipif(not SPEC_FILE.is_dir(), reason="reference pack not present")
def test_real_spec_file_given_as_system() -> None:
    path = SPEC_FILE / "gromacs-2025.0.json"
    with pytest.raises(InputError, match="specialization-points file") as err:
        load_system(path)
    assert str(path) in str(err.value)


def test_truncated_upstream_file(tmp_path: Path) -> None:
    text = (UPSTREAM / "ault23.json").read_text()
    path = _write(tmp_path, "ault23.json", text[: len(text) // 2])
    with pytest.raises(InputError, match="invalid JSON") as err:
        load_system(path)
    assert str(path) in str(err.value)
    json.loads(text)  # the original is fine
