"""Compiler banners, tool versions and compiler candidates, from recorded outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.discovery.toolchain import (
    Candidate,
    compiler_candidates,
    compiler_from_output,
    parse_compiler_banner,
    parse_tool_version,
)

NVCC = """nvcc: NVIDIA (R) Cuda compiler driver
Copyright (c) 2005-2025 NVIDIA Corporation
Built on Wed_Aug_20_01:58:59_PM_PDT_2025
Cuda compilation tools, release 13.0, V13.0.88
Build cuda_13.0.r13.0/compiler.36424714_0
"""
HIPCC = """HIP version: 6.0.32831-204d35d16
AMD clang version 17.0.0 (https://github.com/RadeonOpenCompute/llvm-project roc-6.0.3 24012)
Target: x86_64-unknown-linux-gnu
"""


@pytest.mark.parametrize(
    ("banner", "family", "version"),
    [
        ("gcc (Debian 12.2.0-14+deb12u1) 12.2.0\nCopyright (C) 2022", "GCC", "12.2.0"),
        ("g++ (GCC) 8.4.1 20200928 (Red Hat 8.4.1-1)", "GCC", "8.4.1"),
        ("GNU Fortran (Spack GCC) 13.3.0", "GCC", "13.3.0"),
        ("x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14) 12.2.0", "GCC", "12.2.0"),
        ("gcc-12 (Debian 12.2.0-14) 12.2.0", "GCC", "12.2.0"),
        ("Debian clang version 19.1.7 (3~deb12u1)\nTarget: x86_64-pc-linux-gnu", "Clang", "19.1.7"),
        ("clang version 17.0.6", "Clang", "17.0.6"),
        ("Apple clang version 15.0.0 (clang-1500.3.9.4)", "AppleClang", "15.0.0"),
        ("AMD clang version 14.0.6 (CLANG: AOCC_4.0.0-Build#434 2022_10_28)", "Clang", "14.0.6"),
        (
            "Intel(R) oneAPI DPC++/C++ Compiler 2024.2.1 (2024.2.1.20240711)",
            "IntelLLVM",
            "2024.2.1",
        ),
        ("ifx (IFX) 2024.2.1 20240711", "IntelLLVM", "2024.2.1"),
        ("icc (ICC) 2021.3.0 20210609", "Intel", "2021.3.0"),
        ("ifort (IFORT) 2021.13.1 20240703", "Intel", "2021.13.1"),
        (NVCC, "NVIDIA", "13.0.88"),
        (HIPCC, "HIP", "6.0.32831"),
        ("\nnvc 23.9-0 64-bit target on x86-64 Linux -tp zen3", "NVHPC", "23.9"),
        ("Cray C : Version 15.0.1  Tue Jan 10, 2023  10:41:20", "Cray", "15.0.1"),
        (
            "Cray clang version 17.0.1  (5ec9405551a8c8845cf14e81dc28bff7aa3935cb)",
            "CrayClang",
            "17.0.1",
        ),
        ("Cray Fortran : Version 17.0.1", "Cray", "17.0.1"),
        ("flang-new version 19.1.7", "LLVMFlang", "19.1.7"),
        ("mystery compiler 3.2 (build 7)", None, "3.2"),
        ("no version here", None, None),
    ],
)
def test_compiler_banners(banner: str, family: str | None, version: str | None) -> None:
    assert parse_compiler_banner(banner) == (family, version)


def test_compiler_record_keeps_first_line_only() -> None:
    compiler = compiler_from_output(Candidate("cuda", "nvcc", "/usr/bin/nvcc"), NVCC)
    assert compiler.banner == "nvcc: NVIDIA (R) Cuda compiler driver"
    assert (compiler.family, compiler.version, compiler.language) == ("NVIDIA", "13.0.88", "cuda")


def test_failed_compiler_has_null_fields() -> None:
    compiler = compiler_from_output(Candidate("c", "icx", "/opt/icx"), None)
    assert (compiler.family, compiler.version, compiler.banner) == (None, None, None)


@pytest.mark.parametrize(
    ("output", "version"),
    [
        ("cmake version 3.25.1\n\nCMake suite maintained by Kitware", "3.25.1"),
        ("1.11.1\n", "1.11.1"),
        ("GNU Make 4.3\nBuilt for x86_64-pc-linux-gnu", "4.3"),
        ("Docker version 28.2.2, build e6534b4", "28.2.2"),
        ("podman version 4.3.1", "4.3.1"),
        ("apptainer version 1.3.4-1.el8", "1.3.4"),
        ("singularity-ce version 4.1.0", "4.1.0"),
        ("0.38\n", "0.38"),
        (None, None),
        ("", None),
    ],
)
def test_tool_versions(output: str | None, version: str | None) -> None:
    assert parse_tool_version(output) == version


def test_compiler_candidates_versioned_and_cray(tmp_path: Path) -> None:
    bins = {
        "gcc": "/usr/bin/gcc",
        "gcc-12": "/usr/bin/gcc-12",
        "clang-19": "/usr/bin/clang-19",
        "clang++-19": "/usr/bin/clang++-19",
        "cc": "/opt/cray/pe/craype/bin/cc",
        "nvcc": "/usr/local/bin/nvcc",
    }
    real = {
        "/usr/bin/gcc": "/usr/bin/x86_64-linux-gnu-gcc-12",
        "/usr/bin/gcc-12": "/usr/bin/x86_64-linux-gnu-gcc-12",
        "/usr/bin/clang-19": "/usr/lib/llvm-19/bin/clang",
        "/usr/bin/clang++-19": "/usr/lib/llvm-19/bin/clang",
    }
    for name in ("gcc-12", "clang-19", "clang++-19"):  # versioned names are found by listing PATH
        (tmp_path / name).write_text("")
    env = {"PATH": str(tmp_path), "CRAYPE_VERSION": "2.7.31"}
    found = compiler_candidates(env, bins.get, lambda p: real.get(p, p))
    names = [(c.language, c.executable) for c in found]
    assert ("c", "gcc") in names and ("c", "gcc-12") not in names  # same binary as gcc
    assert ("c", "clang-19") in names and ("cxx", "clang++-19") in names
    assert ("c", "cc") in names and ("cuda", "nvcc") in names
