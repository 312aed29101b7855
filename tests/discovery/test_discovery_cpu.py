"""CPU parsing: /proc/cpuinfo samples of other machines, tables, and py-cpuinfo fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.discovery.cpu import (
    amd_microarchitecture,
    cpu_from_proc,
    cpu_from_pycpuinfo,
    epyc_microarchitecture,
    intel_microarchitecture,
    normalise_arch,
    parse_proc_cpuinfo,
    parse_sve_default_length,
)


def test_gh200_cpuinfo_is_neoverse_v2(data_dir: Path) -> None:
    proc = parse_proc_cpuinfo((data_dir / "gh200_cpuinfo.txt").read_text())
    cpu = cpu_from_proc(proc, "aarch64", sve_vector_bits=128, logical_cores=None)
    assert cpu.architecture == "aarch64"
    assert cpu.vendor == "ARM"
    assert cpu.microarchitecture == "neoverse-v2"
    assert cpu.model_name == "Neoverse-V2"  # /proc has no model name on this kernel
    assert {"asimd", "sve", "sve2"} <= set(cpu.flags)
    assert cpu.sve_vector_bits == 128
    assert cpu.fma_units is None  # never guessed
    assert cpu.logical_cores == 2
    assert cpu.flags_complete


def test_arm_without_sve_has_no_vector_length() -> None:
    text = "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"
    cpu = cpu_from_proc(parse_proc_cpuinfo(text), "arm64", sve_vector_bits=128, logical_cores=4)
    assert (cpu.architecture, cpu.microarchitecture, cpu.sve_vector_bits) == (
        "aarch64",
        "neoverse-n1",
        None,
    )


def test_unknown_arm_part_is_named_by_id() -> None:
    text = "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\nCPU part\t: 0xd99\n"
    cpu = cpu_from_proc(parse_proc_cpuinfo(text), "aarch64", sve_vector_bits=None, logical_cores=1)
    assert cpu.microarchitecture is None
    assert cpu.model_name == "ARM part 0xd99"


def test_epyc_7742_is_zen2(data_dir: Path) -> None:
    proc = parse_proc_cpuinfo((data_dir / "epyc7742_cpuinfo.txt").read_text())
    cpu = cpu_from_proc(proc, "x86_64", sve_vector_bits=None, logical_cores=128)
    assert (cpu.vendor, cpu.family, cpu.model, cpu.microarchitecture) == ("AMD", 23, 49, "zen2")
    assert cpu.model_name == "AMD EPYC 7742 64-Core Processor"
    assert "avx2" in cpu.flags and "avx512f" not in cpu.flags
    assert cpu.logical_cores == 128


@pytest.mark.parametrize(
    ("family", "model", "expected"),
    [
        (23, 0x01, "zen"),
        (23, 0x08, "zen"),  # Zen+ counts as zen (same 128-bit AVX units)
        (23, 0x31, "zen2"),
        (25, 0x01, "zen3"),
        (25, 0x11, "zen4"),
        (25, 0x61, "zen4"),
        (25, 0xA0, "zen4"),
        (25, 0x21, "zen3"),
        (26, 0x02, "zen5"),
        (21, 0x02, None),
    ],
)
def test_amd_zen_table(family: int, model: int, expected: str | None) -> None:
    assert amd_microarchitecture(family, model) == expected


@pytest.mark.parametrize(
    ("model", "stepping", "expected"),
    [
        (0x55, 4, "skylake_avx512"),
        (0x55, 7, "cascadelake"),
        (0x6A, 6, "icelake"),
        (0x8F, 8, "sapphirerapids"),
        (0x57, 1, "knl"),
        (0x01, 0, None),
    ],
)
def test_intel_table(model: int, stepping: int, expected: str | None) -> None:
    assert intel_microarchitecture(6, model, stepping) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AMD EPYC 7742 64-Core Processor", "zen2"),
        ("AMD EPYC 7A53 64-Core Processor", "zen3"),
        ("AMD EPYC 9654 96-Core Processor", "zen4"),
        ("AMD EPYC 7601 32-Core Processor", "zen"),
        ("Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", None),
        (None, None),
    ],
)
def test_epyc_model_names(name: str | None, expected: str | None) -> None:
    assert epyc_microarchitecture(name) == expected


@pytest.mark.parametrize(
    ("machine", "expected"),
    [("x86_64", "x86_64"), ("AMD64", "x86_64"), ("arm64", "aarch64"), ("ppc64le", "ppc64le")],
)
def test_normalise_arch(machine: str, expected: str) -> None:
    assert normalise_arch(machine) == expected


@pytest.mark.parametrize(("text", "bits"), [("16\n", 128), ("32", 256), ("0", None), ("x", None)])
def test_sve_default_vector_length_is_bytes(text: str, bits: int | None) -> None:
    assert parse_sve_default_length(text) == bits


def test_pycpuinfo_fallback() -> None:
    info = {
        "arch_string_raw": "x86_64",
        "vendor_id_raw": "AuthenticAMD",
        "brand_raw": "AMD EPYC 9654 96-Core Processor",
        "family": 25,
        "model": 17,
        "flags": ["avx512f", "AVX2", "sse4_1"],
        "count": 192,
    }
    cpu = cpu_from_pycpuinfo(info, sve_vector_bits=None)
    assert (cpu.architecture, cpu.vendor, cpu.microarchitecture) == ("x86_64", "AMD", "zen4")
    assert cpu.flags == ("avx512f", "avx2", "sse4_1")
    assert cpu.logical_cores == 192
