"""Planning an IR bundle: configure each configuration with clang, read its compile commands,
preprocess where they differ, group units into IR files (``build.py`` emits and writes them).

All IR is emitted *before* LLVM optimisation (``-mllvm -disable-llvm-optzns``) and lowered at
deployment with the original ``-O`` level, so a deployed object goes through the optimiser once,
for its final target, exactly as a native build does (upstream optimises only retargetable IR
late; optimising twice, or for the wrong CPU, costs performance parity).
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from xaas_parsl.descriptor.app import AppDescriptor, Configuration
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.ir.commands import CompileCommand, normalised, parse_entry, strip_for
from xaas_parsl.ir.sharing import IrGroup, Observation, group_unit, has_openmp, split_by_tuning
from xaas_parsl.ir.tools import BATCH, CLANG, CLANGXX, batches, parallel, require, run_tool

# The launcher lets deployment place lowered objects through ninja (see launcher.py). It runs
# once per object, so it is started as a script in isolated mode without ``site``: ``-m
# xaas_parsl.ir.launcher`` would import the whole ``xaas_parsl.ir`` package first (0.4 CPU s
# per object, more than lowering a small unit).
LAUNCHER = f"{sys.executable};-I;-S;{Path(__file__).with_name('launcher.py')}"
EMIT_FLAGS = ["-mllvm", "-disable-llvm-optzns", "-emit-llvm", "-c"]


@dataclass(frozen=True)
class Unit:
    """One configuration's compile job."""

    config: str
    build_dir: str
    command: CompileCommand


def select_configs(app: AppDescriptor, arch: str, names: list[str] | None) -> list[Configuration]:
    """The matrix configurations for ``arch``, restricted to ``names`` (unknown = error)."""
    configs = app.configurations(arch)
    if not names:
        return configs  # opt-in (GPU) configurations only when named
    known = {c.name: c for c in [*configs, *app.opt_in_configurations(arch)]}
    missing = [n for n in names if n not in known]
    if missing:
        raise InputError(f"unknown configuration {missing[0]!r} for {arch} "
                         f"(known: {', '.join(known)})", app.path)
    return [known[n] for n in names]


def configure(app: AppDescriptor, config: Configuration, build_dir: Path,
              toolchain: Path | None = None) -> None:
    """CMake-configure one configuration with clang-19 (skipped when already configured with
    the same arguments, so a second ``ir build`` reconfigures nothing); ``toolchain``: the
    cross toolchain file of another ISA family (see ``cross.py``)."""
    compilers = ([f"-DCMAKE_TOOLCHAIN_FILE={toolchain}"] if toolchain else
                 [f"-DCMAKE_C_COMPILER={CLANG}", f"-DCMAKE_CXX_COMPILER={CLANGXX}"])
    args = [*app.cmake_args, *config.cmake_args(), *compilers,
            "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
            f"-DCMAKE_C_COMPILER_LAUNCHER={LAUNCHER}", f"-DCMAKE_CXX_COMPILER_LAUNCHER={LAUNCHER}"]
    if config.toolchain == "cuda":  # opt-in: clang-19 CUDA with the wheel toolkit
        from xaas_parsl.cuda.toolchain import cmake_args as cuda_cmake_args

        args += cuda_cmake_args(CLANGXX, LAUNCHER)
    stamp = build_dir / "xaas-configure.json"
    if stamp.is_file() and (build_dir / "build.ninja").is_file() and load_json(stamp) == args:
        return
    argv = [require("cmake"), "-G", "Ninja", "-S", str(app.source), "-B", str(build_dir), *args]
    run_tool(argv, f"configure {config.name}")
    write_json(stamp, args)


def read_units(config: str, build_dir: Path) -> list[Unit]:
    """Parsed entries of a configured tree's ``compile_commands.json``."""
    path = build_dir / "compile_commands.json"
    data = load_json(path)
    if not isinstance(data, list):
        raise InputError("compile_commands.json must be a list", path)
    generate_sources(data, build_dir)
    return [Unit(config, str(build_dir), parse_entry(e, path)) for e in data]


def generate_sources(entries: list[object], build_dir: Path) -> None:
    """Create sources the build system generates at build time (GROMACS'
    ``baseversion-gen.cpp``). A missing source *inside the build tree* is such an output; a
    missing source elsewhere stays an error (``parse_entry``). ``ninja FILE`` would also build
    the target's order-only dependencies (whole libraries), so only the generating edges are
    run: missing explicit inputs first, then the edge's own command (``ninja -t commands
    -s``), with ``/bin/sh -c`` exactly as ninja runs it (the text comes from CMake's
    ``build.ninja``, not from user input)."""
    tree = build_dir.resolve()
    done: set[str] = set()
    for e in entries:
        if isinstance(e, dict) and "file" in e and "directory" in e:
            src = Path(str(e["directory"]), str(e["file"])).resolve()
            if not src.exists() and src.is_relative_to(tree):
                _run_edge(tree, str(src.relative_to(tree)), done)


def _run_edge(tree: Path, rel: str, done: set[str]) -> None:
    if rel in done:
        return
    done.add(rel)
    ninja = require("ninja")
    query = run_tool([ninja, "-C", str(tree), "-t", "query", rel], f"ninja query {rel}")
    inputs = query.split("  outputs:")[0].splitlines()[2:]
    for line in inputs:
        name = line.strip().removeprefix("| ")
        if not name or name.startswith("||"):
            continue
        path = (tree / name).resolve()
        if not path.exists() and path.is_relative_to(tree):
            _run_edge(tree, str(path.relative_to(tree)), done)
    command = run_tool([ninja, "-C", str(tree), "-t", "commands", "-s", rel],
                       f"ninja commands {rel}").strip()
    if command:
        run_tool(["/bin/sh", "-c", command], f"generate {rel}", tree)


def literal_irs(units: list[Unit]) -> int:
    """IR files under the *literal* rule: a unit shared only between configurations whose
    commands are identical (build tree normalised, no preprocessing) — what comparing
    command lines alone gives, for contrast with ``plan``'s rules."""
    by_output: dict[str, set[tuple[str, ...]]] = {}
    for u in units:
        if u.command.native_reason() is None:
            by_output.setdefault(u.command.output, set()).add(
                normalised(u.command, u.build_dir))
    return sum(len(cmds) for cmds in by_output.values())


def _pp_argv(unit: Unit, drop_tuning: bool) -> list[str]:
    cmd = unit.command
    return [*strip_for(cmd, drop_tuning), "-E", "-P", cmd.file, "-o", "-"]


def _preprocess(unit: Unit, drop_tuning: bool = False) -> tuple[str, bool]:
    cmd = unit.command
    text = run_tool(_pp_argv(unit, drop_tuning), f"preprocess unit {cmd.output} "
                    f"({unit.config})", cmd.directory)
    return hashlib.sha256(text.encode()).hexdigest(), has_openmp(text)


class PreprocessCache:
    """Preprocessed-text hashes by command, in a JSON file saved after each batch, so that
    planning a large project (GROMACS: thousands of units) resumes after an interrupt.

    Only for a source tree that never changes (a fetched source package): the key is the
    command, not the text, so an edited header would go unnoticed. ``xaas ir build`` does not
    use it; ``benchmarks/ir_gromacs.py`` does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = load_json(path) if path.is_file() else {}
        self.data: dict[str, list[object]] = data if isinstance(data, dict) else {}

    @staticmethod
    def key(unit: Unit, drop_tuning: bool) -> str:
        """The command and its directory, hashed."""
        return hashlib.sha256(json.dumps([_pp_argv(unit, drop_tuning), unit.command.directory])
                              .encode()).hexdigest()

    def hashes(self, units: list[Unit], drop_tuning: bool, jobs: int, quiet: bool,
               label: str) -> list[tuple[str, bool]]:
        """``_preprocess`` of every unit, cached ones taken from the file."""
        keys = [self.key(u, drop_tuning) for u in units]
        todo = [(u, k) for u, k in zip(units, keys, strict=True) if k not in self.data]
        for batch in batches(todo, BATCH):
            results = parallel([u for u, _ in batch], lambda u: _preprocess(u, drop_tuning),
                               label, jobs, quiet)
            for (_, k), (digest, omp) in zip(batch, results, strict=True):
                self.data[k] = [digest, omp]
            write_json(self.path, self.data)
        return [(str(self.data[k][0]), bool(self.data[k][1])) for k in keys]


def _hashes(units: list[Unit], drop_tuning: bool, jobs: int, quiet: bool, label: str,
            cache: PreprocessCache | None) -> list[tuple[str, bool]]:
    if cache is not None:
        return cache.hashes(units, drop_tuning, jobs, quiet, label)
    return parallel(units, lambda u: _preprocess(u, drop_tuning), label, jobs, quiet)


def plan(units: list[Unit], jobs: int, quiet: bool, cache: PreprocessCache | None = None
         ) -> tuple[list[IrGroup], dict[str, str]]:
    """Group every IR-capable unit; returns the groups and native units (config/output→why).
    ``cache``: preprocessing results kept across runs (immutable sources only)."""
    by_output: dict[str, list[Unit]] = {}
    native: dict[str, str] = {}
    for u in units:
        reason = u.command.native_reason()
        if reason:
            native[f"{u.config}/{u.command.output}"] = reason
        else:
            by_output.setdefault(u.command.output, []).append(u)
    # Identical commands (build tree normalised) need one preprocessing for the cache key;
    # differing ones need one per configuration to decide the sharing.
    jobs_pp = [u for us in by_output.values()
               for u in (us if len({normalised(x.command, x.build_dir) for x in us}) > 1
                         else us[:1])]
    hashes = _hashes(jobs_pp, False, jobs, quiet, "preprocess", cache)
    done = {(u.config, u.command.output): h for u, h in zip(jobs_pp, hashes, strict=True)}
    pp: dict[tuple[str, str], tuple[str, bool]] = {}
    for us in by_output.values():
        for u in us:
            key = (u.config, u.command.output)
            pp[key] = done[key] if key in done else done[(us[0].config, u.command.output)]
    groups: list[IrGroup] = []
    retarget_checks: list[IrGroup] = []
    for output, us in by_output.items():
        obs = [Observation(u.config, u.command, *pp[(u.config, output)])
               for u in us]
        for g in group_unit(obs):
            if g.retargetable:
                retarget_checks.append(g)
            else:
                groups.append(g)
    bare = _hashes([Unit(g.emit.config, "", g.emit.command) for g in retarget_checks], True,
                   jobs, quiet, "check retargetable", cache)
    why = "tuning flags change the preprocessed text, so one IR per tuning"
    for g, (digest, _) in zip(retarget_checks, bare, strict=True):
        groups.extend([g] if digest == g.emit.pp_hash else split_by_tuning(g, why))
    return groups, native


def emit_argv(group: IrGroup, out: Path) -> list[str]:
    """The clang command that emits a group's IR (tuning dropped when retargetable)."""
    cmd = group.emit.command
    return [*strip_for(cmd, group.retargetable), *EMIT_FLAGS, cmd.file, "-o", str(out)]


def emit_key(group: IrGroup, build_dir: str) -> str:
    """Cache key of an emit job: its command (build tree normalised) and preprocessed hash."""
    argv = [a.replace(build_dir, "@BUILD@") for a in emit_argv(group, Path("@OUT@"))]
    return hashlib.sha256(json.dumps([argv, group.emit.pp_hash]).encode()).hexdigest()
