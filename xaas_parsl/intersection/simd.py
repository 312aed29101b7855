"""SIMD levels: what a node supports and which level an application should be built for.

Applications spell SIMD choices their own way (GROMACS ``AVX_512``, milc ``AVX512``, llama.cpp
``AVX512`` + per-instruction switches, vpic ``Portable``). Each spelling is mapped to a canonical
``Level`` with the CPU flags it needs (``/proc/cpuinfo`` names). The host's preferred level follows
GROMACS's own host→level table (docs/architecture.md):

* ``avx512f`` with 2 FMA units → AVX_512, with 1 unit → AVX2_256 (unknown count: 2, unless the CPU
  model is known to have one: Xeon Bronze/Silver, Skylake/Cascade Lake Gold 51xx/52xx);
* AMD Zen1/Zen+ → AVX2_128; ``avx2`` → AVX2_256; ``avx`` + ``fma4`` → AVX_128_FMA;
  ``avx`` → AVX_256; ``sse4_1`` → SSE4.1; ``sse2`` → SSE2;
* ``asimd`` → ARM_NEON_ASIMD; SVE only when the vector length is known to exceed 128 bits (on
  GH200, 128-bit SVE measured slower than NEON); ``vsx`` → IBM_VSX.

Unlike upstream, AVX_128_FMA needs ``fma4`` (it is an AMD Bulldozer level, not offered on Intel)
and AVX_512_KNL is matched when the CPU has ``avx512er`` (Xeon Phi).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xaas_parsl.discovery.cpu import normalise_arch
from xaas_parsl.discovery.model import CpuInfo

__all__ = ["normalise_arch"]  # re-exported for the choosers


@dataclass(frozen=True)
class Level:
    """A canonical SIMD level: architecture, required CPU flags and a preference rank."""

    name: str
    arch: str | None
    requires: frozenset[str]
    rank: int


def _lv(name: str, arch: str | None, requires: set[str], rank: int) -> Level:
    return Level(name, arch, frozenset(requires), rank)


LEVELS: dict[str, Level] = {
    lv.name: lv
    for lv in (
        _lv("None", None, set(), 0),
        _lv("SSE2", "x86_64", {"sse2"}, 10),
        _lv("SSE4.1", "x86_64", {"sse4_1"}, 20),
        _lv("SSE4.2", "x86_64", {"sse4_2"}, 20),
        _lv("AVX_128_FMA", "x86_64", {"avx", "fma4"}, 30),
        _lv("AVX_256", "x86_64", {"avx"}, 35),
        _lv("AVX2_128", "x86_64", {"avx2"}, 40),
        _lv("AVX2_256", "x86_64", {"avx2"}, 40),
        _lv("AVX_512", "x86_64", {"avx512f"}, 50),
        _lv("AVX_512_KNL", "x86_64", {"avx512f", "avx512er"}, 50),
        _lv("ARM_NEON_ASIMD", "aarch64", {"asimd"}, 40),
        _lv("ARM_SVE", "aarch64", {"sve"}, 50),
        _lv("ARM_SVE2", "aarch64", {"sve2"}, 50),
        _lv("IBM_VSX", "ppc64le", {"vsx"}, 40),
    )
}

# App spellings (upper case, separators removed) -> canonical level name.
_ALIASES: dict[str, str] = {
    "NONE": "None", "REFERENCE": "None", "PORTABLE": "None", "GENERIC": "None",
    "SCALAR": "None", "OFF": "None",
    "SSE2": "SSE2", "SSE41": "SSE4.1", "SSE42": "SSE4.2",
    "AVX128FMA": "AVX_128_FMA", "FMA4": "AVX_128_FMA",
    "AVX": "AVX_256", "AVX256": "AVX_256",
    "AVX2": "AVX2_256", "AVX2256": "AVX2_256", "AVX2128": "AVX2_128",
    "AVX512": "AVX_512", "AVX512F": "AVX_512", "AVX512KNL": "AVX_512_KNL",
    "NEON": "ARM_NEON_ASIMD", "ASIMD": "ARM_NEON_ASIMD", "ARMNEON": "ARM_NEON_ASIMD",
    "ARMNEONASIMD": "ARM_NEON_ASIMD", "NEONASIMD": "ARM_NEON_ASIMD",
    "SVE": "ARM_SVE", "ARMSVE": "ARM_SVE", "SVE2": "ARM_SVE2", "ARMSVE2": "ARM_SVE2",
    "VSX": "IBM_VSX", "IBMVSX": "IBM_VSX", "ALTIVEC": "IBM_VSX",
}

_AUTO = {"AUTO", "NATIVE", "HOST"}

# Per-instruction switches (llama.cpp's GGML_AVX512_VNNI, GGML_AMX_INT8, ...): app spelling
# -> (architecture, /proc/cpuinfo flag).
_INSTRUCTIONS: dict[str, tuple[str, str]] = {
    "FMA": ("x86_64", "fma"), "F16C": ("x86_64", "f16c"), "BMI2": ("x86_64", "bmi2"),
    "AVXVNNI": ("x86_64", "avx_vnni"), "AVX512VBMI": ("x86_64", "avx512vbmi"),
    "AVX512VNNI": ("x86_64", "avx512_vnni"), "AVX512BF16": ("x86_64", "avx512_bf16"),
    "AMXTILE": ("x86_64", "amx_tile"), "AMXINT8": ("x86_64", "amx_int8"),
    "AMXBF16": ("x86_64", "amx_bf16"), "SSE3": ("x86_64", "pni"), "SSSE3": ("x86_64", "ssse3"),
    "SVE2": ("aarch64", "sve2"), "DOTPROD": ("aarch64", "asimddp"), "I8MM": ("aarch64", "i8mm"),
    "RVV": ("riscv64", "v"), "VXE": ("s390x", "vxe"), "XTHEADVECTOR": ("riscv64", "xtheadvector"),
    "LSX": ("loongarch64", "lsx"), "LASX": ("loongarch64", "lasx"),
    "AVX512FP16": ("x86_64", "avx512_fp16"), "AMXFP16": ("x86_64", "amx_fp16"),
}
# RISC-V named extensions spelled RV_<Z...> (GGML_RV_ZFH, GGML_RV_ZICBOP): flag is the lower-case
# extension name, as in /proc/cpuinfo's "isa" line.
_RISCV_EXTENSION = re.compile(r"RV(Z[A-Z0-9]+)")

# Flags every CPU with the key flag has, used because upstream files whitelist only a subset.
_IMPLIED: dict[str, set[str]] = {
    "avx512f": {"avx2", "avx", "fma", "f16c", "sse4_2", "sse4_1", "ssse3", "sse2"},
    "avx2": {"avx", "fma", "f16c", "bmi2", "sse4_2", "sse4_1", "ssse3", "sse2"},
    "avx": {"sse4_2", "sse4_1", "ssse3", "sse2"},
    "sse4_2": {"sse4_1", "ssse3", "sse2"},
    "sse4_1": {"ssse3", "sse2"},
    "sve2": {"sve", "asimd"},
    "sve": {"asimd"},
}

# CPU models with a single AVX-512 FMA unit (GROMACS warns about them; Intel ARK "# of AVX-512
# FMA Units"): Xeon Bronze and Silver, Skylake/Cascade Lake Gold 51xx/52xx except 5122 and 5222.
_ONE_FMA_UNIT = re.compile(r"Xeon.*\b(Bronze|Silver)\b|Xeon.*\bGold\s+5(1(?!22)|2(?!22))\d\d")


def canonical_name(app_name: str) -> str | None:
    """Canonical level for an app's SIMD spelling (``None`` if it is not a level)."""
    key = re.sub(r"[^A-Z0-9]", "", app_name.upper())
    if key in _AUTO:
        return "AUTO"
    if app_name in LEVELS:
        return app_name
    return _ALIASES.get(key)


def instruction_flag(app_name: str) -> tuple[str, str] | None:
    """(arch, cpu flag) for a per-instruction switch name such as ``AVX512_VNNI``."""
    key = re.sub(r"[^A-Z0-9]", "", app_name.upper())
    found = _INSTRUCTIONS.get(key)
    if found is None and (m := _RISCV_EXTENSION.fullmatch(key)):
        return "riscv64", m.group(1).lower()
    return found


def effective_flags(cpu: CpuInfo) -> frozenset[str]:
    """The CPU's flags plus those they imply (upstream files list only a subset)."""
    flags = set(cpu.flags)
    for key, implied in _IMPLIED.items():
        if key in flags:
            flags |= implied
    return frozenset(flags)


def supports(cpu: CpuInfo, level: Level) -> bool:
    """Whether the CPU can run code built for ``level``."""
    if level.arch is not None and normalise_arch(cpu.architecture) != level.arch:
        return False
    return level.requires <= effective_flags(cpu)


def fma_units(cpu: CpuInfo) -> tuple[int, str]:
    """AVX-512 FMA units and how we know: measured/discovered, model table, or the default 2."""
    if cpu.fma_units is not None:
        return cpu.fma_units, "reported by system discovery"
    if cpu.model_name and _ONE_FMA_UNIT.search(cpu.model_name):
        return 1, f"{cpu.model_name} is known to have one AVX-512 FMA unit"
    return 2, "FMA unit count unknown, assuming 2 as GROMACS does"


def is_zen1(cpu: CpuInfo) -> bool:
    """AMD Zen/Zen+ (family 0x17, model < 0x30), where 128-bit AVX2 is faster."""
    if cpu.microarchitecture:
        return cpu.microarchitecture.lower() in {"zen", "zen1", "zen+"}
    if cpu.family is not None and cpu.model is not None:
        return cpu.family == 0x17 and cpu.model < 0x30
    name = cpu.model_name or ""
    return bool(re.search(r"EPYC\s+7\d\d1\b|Ryzen\s+\d\s+[12]\d{3}|Threadripper\s+[12]\d{3}", name))


def host_level(cpu: CpuInfo) -> tuple[str, str]:
    """The level GROMACS's table picks for this CPU, and the sentence saying why."""
    flags = effective_flags(cpu)
    arch = normalise_arch(cpu.architecture)
    if arch == "x86_64":
        if "avx512f" in flags:
            if "avx512er" in flags:
                return "AVX_512_KNL", "CPU has avx512er (Xeon Phi): AVX_512_KNL"
            units, why = fma_units(cpu)
            if units >= 2:
                return "AVX_512", f"CPU has avx512f with 2 FMA units ({why})"
            return "AVX2_256", f"CPU has avx512f but one FMA unit ({why}): AVX2_256 is faster"
        if "avx2" in flags and is_zen1(cpu):
            return "AVX2_128", "AMD Zen1/Zen+ executes 256-bit AVX2 as two halves: AVX2_128"
        if "avx2" in flags:
            return "AVX2_256", "CPU has avx2"
        if "avx" in flags and "fma4" in flags:
            return "AVX_128_FMA", "CPU has avx and fma4 (AMD Bulldozer family)"
        if "avx" in flags:
            return "AVX_256", "CPU has avx"
        if "sse4_1" in flags:
            return "SSE4.1", "CPU has sse4_1"
        if "sse2" in flags:
            return "SSE2", "CPU has sse2"
    if arch == "aarch64":
        bits = cpu.sve_vector_bits
        if "sve" in flags and bits is not None and bits > 128:
            return "ARM_SVE", f"CPU has SVE with {bits}-bit vectors"
        if "asimd" in flags:
            if "sve" in flags:
                length = f"{bits}-bit" if bits else "unknown-length"
                return "ARM_NEON_ASIMD", (
                    f"CPU has {length} SVE; NEON measured faster than 128-bit SVE on GH200"
                )
            return "ARM_NEON_ASIMD", "CPU has asimd"
    if arch.startswith("ppc64") and "vsx" in flags:
        return "IBM_VSX", "CPU has vsx"
    return "None", f"no SIMD level known for {cpu.architecture}"


def preference_order(cpu: CpuInfo, preferred: str) -> list[str]:
    """Levels the CPU supports, best first: the preferred level, then lower-or-equal ranks
    (descending), then higher ranks (ascending), then ``None``."""
    pref_rank = LEVELS[preferred].rank if preferred in LEVELS else 0
    supported = [lv for lv in LEVELS.values() if lv.name != "None" and supports(cpu, lv)]
    lower = sorted((lv for lv in supported if lv.rank <= pref_rank), key=lambda lv: -lv.rank)
    higher = sorted((lv for lv in supported if lv.rank > pref_rank), key=lambda lv: lv.rank)
    order = [preferred] if preferred != "None" else []
    for lv in lower + higher:
        if lv.name not in order:
            order.append(lv.name)
    order.append("None")
    return order
