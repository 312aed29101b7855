"""Re-targeting IR to a configuration's CPU: rewrite the functions' target attributes.

The features come from clang itself: we compile an empty function with the configuration's
tuning flags and read back the ``"target-cpu"``/``"target-features"`` strings clang writes, so
the re-targeted IR carries byte-for-byte the attributes a native build would have (including
implied features: ``-mavx512f`` → ``+avx2,+fma,+evex512,...``). The rewrite is textual, on the
``llvm-dis`` output, then ``llvm-as`` re-assembles (and so verifies) the module: ``opt`` has no
pass that sets these attributes, and attribute groups are one line each, so the edit is exact.
Features a function asked for itself (``__attribute__((target("avx2")))``) are kept.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from xaas_parsl.errors import ToolError
from xaas_parsl.ir.tools import CLANGXX, run_tool

ATTR_RE = re.compile(r'"(target-cpu|target-features|tune-cpu)"="([^"]*)"')


@dataclass(frozen=True)
class Target:
    """What clang writes for a set of tuning flags."""

    cpu: str
    features: tuple[str, ...]
    tune: str | None


def parse_target(ir_text: str) -> Target:
    """The first function's target attributes in textual IR."""
    found: dict[str, str] = {}
    for key, value in ATTR_RE.findall(ir_text):
        found.setdefault(key, value)
    feats = tuple(f for f in found.get("target-features", "").split(",") if f)
    return Target(found.get("target-cpu", "generic"), feats, found.get("tune-cpu"))


@cache
def probe_target(tuning: tuple[str, ...], triple: tuple[str, ...] = ()) -> Target:
    """Ask clang which attributes it writes for ``tuning`` (cached per flag set); ``triple``:
    the unit's ``--target`` argument (another ISA family's attributes)."""
    argv = [CLANGXX, *triple, "-x", "c++", "-", "-S", "-emit-llvm", "-o", "-", *tuning]
    proc = subprocess.run(argv, input="void xaas_probe() {}\n", capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise ToolError(f"clang rejects tuning flags {' '.join(tuning)}: "
                        f"{proc.stderr.strip()[:200]}")
    return parse_target(proc.stdout)


def merge_features(own: list[str], baseline: tuple[str, ...], target: tuple[str, ...]) -> str:
    """Target's features plus what a function added beyond the baseline it was built for."""
    extra = [f for f in own if f not in baseline and f not in target
             and ("-" + f[1:]) not in target]
    return ",".join([*target, *extra])


def rewrite_text(ir_text: str, baseline: Target, target: Target) -> str:
    """Replace target attributes in every attribute group of textual IR (pure)."""
    def sub(match: re.Match[str]) -> str:
        key, value = match.group(1), match.group(2)
        if key == "target-cpu":
            return f'"target-cpu"="{target.cpu}"'
        if key == "tune-cpu":
            return f'"tune-cpu"="{target.tune or value}"'
        own = [f for f in value.split(",") if f]
        return f'"target-features"="{merge_features(own, baseline.features, target.features)}"'
    return ATTR_RE.sub(sub, ir_text)


def retarget(ir: Path, out: Path, tuning: tuple[str, ...], unit: str,
             triple: tuple[str, ...] = (), emitted: tuple[str, ...] = ()) -> None:
    """Write ``ir`` (emitted with tuning ``emitted``) re-targeted to ``tuning`` as bitcode
    ``out`` (llvm-dis → rewrite → llvm-as)."""
    text = run_tool(["llvm-dis-19", str(ir), "-o", "-"], f"llvm-dis unit {unit}")
    new = rewrite_text(text, probe_target(emitted, triple), probe_target(tuning, triple))
    text_path = out.with_suffix(".ll")
    text_path.write_text(new, encoding="utf-8")
    run_tool(["llvm-as-19", str(text_path), "-o", str(out)], f"llvm-as unit {unit}")
    text_path.unlink()
