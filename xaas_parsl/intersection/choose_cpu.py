"""Choosers for what depends on the CPU and toolchain: SIMD level, compiler, build system.

Two shapes of SIMD sections exist in real spec files:

* *levels*: one multi-choice option (``-DGMX_SIMD=AVX_512``): exactly one entry is chosen, the
  best one in ``simd.preference_order`` that the app offers;
* *switches*: one boolean option per instruction set (llama.cpp's ``-DGGML_AVX2``,
  ``-DGGML_AVX512_VNNI``): every switch the CPU supports is turned on and the automatic
  ``AUTO`` (``-DGGML_NATIVE``) is turned off, so the build does not depend on the build host.
"""

from __future__ import annotations

from dataclasses import replace

from xaas_parsl.discovery.model import CpuInfo
from xaas_parsl.intersection import simd
from xaas_parsl.intersection.context import Context
from xaas_parsl.intersection.flags import is_multichoice, option_name
from xaas_parsl.intersection.libraries import compiler_family_key, key
from xaas_parsl.intersection.result import Available
from xaas_parsl.intersection.versions import VersionCheck, check_minimum
from xaas_parsl.spec.model import SimdEntry

SECTION = "vectorization_flags"


def _entry_status(ctx: Context, entry: SimdEntry) -> tuple[str | None, str | None]:
    """(canonical level or instruction flag, exclusion reason or None)."""
    cpu = ctx.system.cpu
    level = simd.canonical_name(entry.name)
    if level == "AUTO":
        return "AUTO", None
    if level is not None:
        lv = simd.LEVELS[level]
        if simd.supports(cpu, lv):
            return level, None
        if lv.arch and simd.normalise_arch(cpu.architecture) != lv.arch:
            return level, f"{entry.name} is for {lv.arch}, the node is {cpu.architecture}"
        missing = sorted(lv.requires - simd.effective_flags(cpu))
        return level, f"the CPU lacks {', '.join(missing)}"
    instr = simd.instruction_flag(entry.name)
    if instr is not None:
        arch, flag = instr
        if simd.normalise_arch(cpu.architecture) != arch:
            return None, f"{entry.name} is for {arch}, the node is {cpu.architecture}"
        if flag in simd.effective_flags(cpu):
            return flag, None
        hint = "" if cpu.flags_complete else " (the system file lists only a subset of flags)"
        return None, f"the CPU lacks {flag}{hint}"
    return None, f"{entry.name} is not a SIMD level xaas-parsl knows"


def choose_simd(ctx: Context) -> None:
    """Fill ``vectorization_flags`` and choose the SIMD configuration."""
    entries = ctx.spec.simd
    if not entries:
        ctx.reason("SIMD: the application has no SIMD choice.")
        return
    cpu = ctx.system.cpu
    if ctx.policy.fma_units is not None:
        cpu = replace(cpu, fma_units=ctx.policy.fma_units)
    usable: dict[str, str] = {}  # app name -> canonical level / instruction flag
    for entry in entries:
        canon, why = _entry_status(ctx, entry)
        if why is None and canon is not None:
            usable[entry.name] = canon
            ctx.keep(Available(SECTION, entry.name, entry.build_flag, None, entry.default))
        else:
            ctx.drop(SECTION, entry.name, why or "unsupported")
    switches = not any(is_multichoice(e.build_flag) for e in entries)
    if switches and len({option_name(e.build_flag) for e in entries}) > 1:
        _choose_switches(ctx, entries, usable)
    else:
        _choose_level(ctx, entries, usable, cpu)


def _choose_level(
    ctx: Context, entries: tuple[SimdEntry, ...], usable: dict[str, str], cpu: CpuInfo
) -> None:
    preferred, why = simd.host_level(cpu)
    by_level = {canon: name for name, canon in usable.items()}
    default = next((name for level in simd.preference_order(cpu, preferred)
                    if (name := by_level.get(level))), None)
    if default is None and "AUTO" in by_level:
        default = by_level["AUTO"]
    chosen = ctx.pick("simd", list(usable), default)
    if chosen is None:
        ctx.warn("no SIMD entry of the application is usable on this CPU")
        return
    entry = next(e for e in entries if e.name == chosen)
    ctx.choice.simd = chosen
    ctx.enable(entry.build_flag)
    if chosen == default and not ctx.policy.preferred("simd"):
        if usable[chosen] == preferred:
            ctx.reason(f"SIMD: {chosen}, because {why}.")
        else:
            ctx.reason(
                f"SIMD: {chosen}, the best level the application offers; the host's own "
                f"would be {preferred} ({why})."
            )


def _choose_switches(
    ctx: Context, entries: tuple[SimdEntry, ...], usable: dict[str, str]
) -> None:
    on: list[str] = []
    for entry in entries:
        canon = usable.get(entry.name)
        if canon == "AUTO":
            ctx.enable(entry.build_flag, "OFF")
        elif canon is not None:
            ctx.enable(entry.build_flag, "ON")
            on.append(entry.name)
        elif entry.default:
            ctx.enable(entry.build_flag, "OFF")
    ranked = sorted(
        on,
        key=lambda n: simd.LEVELS[lvl].rank if (lvl := simd.canonical_name(n)) in simd.LEVELS
        else -1,
    )
    pinned = ctx.pick("simd", on, ranked[-1] if ranked else None)
    ctx.choice.simd = pinned
    ctx.reason(
        "SIMD: per-instruction switches; enabled every one the CPU supports "
        f"({', '.join(on) or 'none'}) and turned the native/automatic detection off."
    )


def choose_compiler(ctx: Context) -> None:
    """Check C++ compilers against the app's minimum versions and pick one."""
    minimums = {compiler_family_key(k): (k, v) for k, v in ctx.spec.compilers.items()}
    candidates = [c for c in ctx.system.compilers if c.language == "cxx"]
    ok: list[str] = []
    unstated: list[str] = []
    for index, comp in enumerate(candidates):
        family = compiler_family_key(comp.family or "")
        spec_name, minimum = minimums.get(family, (comp.family or "?", None))
        check = check_minimum(comp.version, minimum)
        if check is VersionCheck.TOO_OLD:
            ctx.drop("compiler", comp.executable,
                     f"{comp.executable} {comp.version} < {spec_name} {minimum}")
            continue
        ctx.keep(Available("compiler", comp.executable, None, comp.version, index == 0, "cxx"))
        (ok if family in minimums else unstated).append(comp.executable)
    if not candidates:
        ctx.warn("no C++ compiler found on the node")
        return
    names = ok + unstated
    chosen = ctx.pick("compiler", names, names[0] if names else None) if names else None
    if chosen is None:
        ctx.warn("no C++ compiler meets the application's minimum versions: load a newer one")
        return
    ctx.choice.compiler = chosen
    if chosen != candidates[0].executable:
        comp = next(c for c in candidates if c.executable == chosen)
        ctx.choice.cmake_args.append(f"-DCMAKE_CXX_COMPILER={comp.path or comp.executable}")
        ctx.reason(f"Compiler: {chosen}, because the default {candidates[0].executable} "
                   "does not meet the application's minimum version.")
    else:
        ctx.reason(f"Compiler: {chosen} (the node's default C++ compiler).")


def check_build_system(ctx: Context) -> None:
    """Warn when the node's CMake is older than the app requires, or the arch is not listed."""
    minimum = ctx.spec.build_system_minimum
    if ctx.spec.build_system == "cmake" and minimum:
        have = ctx.system.tools.get("cmake") or ctx.system.modules.get("cmake")
        check = check_minimum(have, minimum)
        if check is VersionCheck.TOO_OLD:
            ctx.warn(f"cmake {have} is older than the required {minimum}: "
                     "load a newer cmake (e.g. pip install cmake)")
        elif check is VersionCheck.UNKNOWN:
            ctx.warn(f"cmake version unknown; the application needs {minimum}")
    arch = simd.normalise_arch(ctx.system.cpu.architecture)
    listed = [key(a) for a in ctx.spec.architectures]
    families = {"x86_64": ("x86", "x8664", "amd64"), "aarch64": ("arm", "aarch64", "armv8")}
    if listed and not any(a.startswith(f) for a in listed for f in families.get(arch, (arch,))):
        ctx.warn(f"the application lists architectures {list(ctx.spec.architectures)}, "
                 f"not {arch}")
