"""Deciding which configurations of one compilation unit can share one IR file (pure).

Rules (docs/ir.md, improved on upstream): for one unit (a compile_commands ``output``),
configurations share an IR when their preprocessed texts hash equal and the argument classes that
reach the compiler after preprocessing agree: optimisation, ``-f`` flags and other flags.
Definitions and includes are *not* compared: equal preprocessed text proves they made no difference.
Exceptions: a lone ``-fopenmp`` difference does not split a unit whose preprocessed text has no
``#pragma omp``; and configurations that differ only in CPU tuning (``-m*``/``-march``) share one
*retargetable* IR, emitted without tuning flags and before LLVM optimisation, whose functions'
target attributes are rewritten per configuration at deployment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xaas_parsl.ir.commands import CompileCommand

OMP_RE = re.compile(r"^\s*#\s*pragma\s+omp\b", re.MULTILINE)


def has_openmp(preprocessed: str) -> bool:
    """Whether preprocessed text contains an OpenMP directive."""
    return OMP_RE.search(preprocessed) is not None


@dataclass(frozen=True)
class Observation:
    """One configuration's view of a unit: its command, preprocessed hash, OpenMP use."""

    config: str
    command: CompileCommand
    pp_hash: str
    openmp: bool


@dataclass(frozen=True)
class IrGroup:
    """Configurations that share one IR of a unit; ``emit`` is the observation to emit from."""

    configs: tuple[str, ...]
    emit: Observation
    retargetable: bool
    reason: str
    members: tuple[Observation, ...] = ()


def is_openmp_flag(flag: str) -> bool:
    """``-fopenmp`` or ``-fopenmp=<runtime>`` (CMake's FindOpenMP passes ``=libomp``)."""
    return flag == "-fopenmp" or flag.startswith("-fopenmp=")


def _fflags(obs: Observation) -> tuple[str, ...]:
    flags = obs.command.classes.fflags
    if not obs.openmp:
        flags = tuple(f for f in flags if not is_openmp_flag(f))
    return flags


def _key(obs: Observation) -> tuple[object, ...]:
    c = obs.command.classes
    return (obs.pp_hash, c.opt_level(), _fflags(obs), c.other)


def _why_split(a: Observation, b: Observation) -> str:
    if a.pp_hash != b.pp_hash:
        return "preprocessed text differs"
    ca, cb = a.command.classes, b.command.classes
    if ca.opt_level() != cb.opt_level():
        return f"optimisation differs ({ca.opt_level()} vs {cb.opt_level()})"
    if _fflags(a) != _fflags(b):
        return f"-f flags differ ({' '.join(_fflags(a))} vs {' '.join(_fflags(b))})"
    return f"other flags differ ({' '.join(ca.other)} vs {' '.join(cb.other)})"


def group_unit(observations: list[Observation]) -> list[IrGroup]:
    """Partition one unit's configurations into IR groups (order follows the input)."""
    buckets: dict[tuple[object, ...], list[Observation]] = {}
    for obs in observations:
        buckets.setdefault(_key(obs), []).append(obs)
    groups = []
    for members in buckets.values():
        names = tuple(o.config for o in members)
        tunings = {o.command.classes.tuning for o in members}
        omp = {any(map(is_openmp_flag, o.command.classes.fflags)) for o in members}
        if len(members) == 1:
            reason = "only this configuration has this preprocessed text and flags"
        elif len(tunings) > 1:
            reason = ("same preprocessed text and flags, CPU tuning differs: one IR without "
                      "tuning, re-targeted at deployment")
        else:
            reason = "same preprocessed text and flags"
        if len(members) > 1 and len(omp) > 1:
            reason += " (lone -fopenmp difference ignored: no #pragma omp in the file)"
        others = [o for o in observations if o.config not in names]
        if others:
            reason += f"; not shared with {others[0].config}: {_why_split(members[0], others[0])}"
        groups.append(IrGroup(names, members[0], len(tunings) > 1, reason, tuple(members)))
    return groups


def split_by_tuning(group: IrGroup, why: str) -> list[IrGroup]:
    """A retargetable group undone: one exact IR per distinct set of tuning flags (used when
    the unit's code, not only its attributes, depends on the tuning)."""
    by_tuning: dict[tuple[str, ...], list[Observation]] = {}
    for obs in group.members or (group.emit,):
        by_tuning.setdefault(obs.command.classes.tuning, []).append(obs)
    return [IrGroup(tuple(o.config for o in ms), ms[0], False, why, tuple(ms))
            for ms in by_tuning.values()]
