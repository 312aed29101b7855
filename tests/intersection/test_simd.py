"""The host→level table (docs/architecture.md, "SIMD choice"), including the rules upstream gets
wrong."""

from __future__ import annotations

import pytest

from xaas_parsl.discovery.model import CpuInfo
from xaas_parsl.intersection import simd

X86_512 = ("avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx2", "fma", "avx",
           "sse4_2", "sse4_1", "ssse3", "sse2")


def cpu(arch: str = "x86_64", flags: tuple[str, ...] = (), **kw: object) -> CpuInfo:
    return CpuInfo(architecture=arch, flags=flags, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("info", "level"),
    [
        (cpu(flags=X86_512, model_name="Intel(R) Xeon(R) Gold 6130 CPU"), "AVX_512"),
        (cpu(flags=X86_512, model_name="Intel(R) Xeon(R) Silver 4114 CPU"), "AVX2_256"),
        (cpu(flags=X86_512, model_name="Intel(R) Xeon(R) Gold 5118 CPU"), "AVX2_256"),
        (cpu(flags=X86_512, model_name="Intel(R) Xeon(R) Gold 5122 CPU"), "AVX_512"),
        (cpu(flags=X86_512, model_name="Intel(R) Xeon(R) Gold 6130", fma_units=1), "AVX2_256"),
        (cpu(flags=(*X86_512, "avx512er", "avx512pf")), "AVX_512_KNL"),
        (cpu(flags=("avx2", "avx", "sse4_1"), model_name="AMD EPYC 7601 32-Core"), "AVX2_128"),
        (cpu(flags=("avx2", "avx"), vendor="AuthenticAMD", family=0x17, model=0x31), "AVX2_256"),
        (cpu(flags=("avx2", "avx"), family=0x17, model=0x01), "AVX2_128"),
        (cpu(flags=("avx2", "avx"), model_name="AMD EPYC 7742 64-Core Processor"), "AVX2_256"),
        (cpu(flags=("avx", "fma4", "sse4_1")), "AVX_128_FMA"),
        (cpu(flags=("avx", "sse4_1")), "AVX_256"),
        (cpu(flags=("sse4_1", "sse2")), "SSE4.1"),
        (cpu(flags=("sse2",)), "SSE2"),
        (cpu("aarch64", ("asimd",)), "ARM_NEON_ASIMD"),
        (cpu("aarch64", ("asimd", "sve", "sve2")), "ARM_NEON_ASIMD"),
        (cpu("aarch64", ("asimd", "sve"), sve_vector_bits=128), "ARM_NEON_ASIMD"),
        (cpu("aarch64", ("asimd", "sve"), sve_vector_bits=512), "ARM_SVE"),
        (cpu("ppc64le", ("vsx",)), "IBM_VSX"),
        (cpu("riscv64", ()), "None"),
    ],
)
def test_host_level(info: CpuInfo, level: str) -> None:
    assert simd.host_level(info)[0] == level


def test_avx_128_fma_needs_fma4_unlike_upstream() -> None:
    intel = cpu(flags=X86_512)
    assert not simd.supports(intel, simd.LEVELS["AVX_128_FMA"])


def test_knl_level_is_matched_only_with_avx512er() -> None:
    assert simd.supports(cpu(flags=(*X86_512, "avx512er")), simd.LEVELS["AVX_512_KNL"])
    assert not simd.supports(cpu(flags=X86_512), simd.LEVELS["AVX_512_KNL"])


def test_subset_flags_imply_fma_for_avx2() -> None:
    assert "fma" in simd.effective_flags(cpu(flags=("avx2",)))


@pytest.mark.parametrize(
    ("name", "canonical"),
    [("AVX_512", "AVX_512"), ("AVX512", "AVX_512"), ("avx2", "AVX2_256"), ("SSE4.1", "SSE4.1"),
     ("SSE4_1", "SSE4.1"), ("ARM_NEON_ASIMD", "ARM_NEON_ASIMD"), ("NEON", "ARM_NEON_ASIMD"),
     ("Reference", "None"), ("Portable", "None"), ("AUTO", "AUTO"), ("fftw", None)],
)
def test_canonical_names(name: str, canonical: str | None) -> None:
    assert simd.canonical_name(name) == canonical


def test_preference_order_falls_back_to_siblings_first() -> None:
    zen1 = cpu(flags=("avx2", "avx", "sse4_1", "sse2"), family=0x17, model=0x01)
    order = simd.preference_order(zen1, "AVX2_128")
    assert order[:3] == ["AVX2_128", "AVX2_256", "AVX_256"]
    assert order[-1] == "None"
