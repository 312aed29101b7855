"""The ``xaas ir build`` edge: configure, plan, emit IR into the store, write manifests.

A bundle directory holds ``bundle.json`` (app, arch, configurations), ``store/<sha256>.bc``,
``configs/<NAME>.json`` (one entry per unit) and ``builds/<NAME>/`` (the configured CMake
trees, which deployment links in). ``store/index.json`` maps each emit job's cache key to
its IR hash, so a second build with nothing changed emits nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xaas_parsl.cuda.ir_unit import build_cuda_units
from xaas_parsl.descriptor.app import AppDescriptor, Configuration
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.ir.bundle import (
    PreprocessCache,
    Unit,
    configure,
    emit_argv,
    emit_key,
    plan,
    read_units,
    select_configs,
)
from xaas_parsl.ir.cross import Family, family, is_cross, require_sysroot, write_toolchain
from xaas_parsl.ir.fatbin import target_key
from xaas_parsl.ir.lower import code_flags, simplify, unit_halves
from xaas_parsl.ir.pipeline import DEFAULT_MODE, MODES, Phases
from xaas_parsl.ir.sharing import IrGroup, split_by_tuning
from xaas_parsl.ir.store import Store
from xaas_parsl.ir.tools import BATCH, CLANG, CLANGXX, batches, parallel, run_tool
from xaas_parsl.locks import locked_dir
from xaas_parsl.safety import config_name, inside

FAILED = "failed-without-tuning"


def _emit(store: Store, index: dict[str, str], job: tuple[IrGroup, str]
          ) -> tuple[str, bool] | None:
    """Emit one group's IR unless its key is cached; ``None`` when a *retargetable* emit
    fails (the caller falls back to one IR per tuning), other failures raise."""
    group, key = job
    known = index.get(key)
    if known == FAILED:
        return None
    if known and store.intact(known):  # verified: a corrupted IR is emitted again
        return known, False
    temp = store.temp_path(key[:16])
    cmd = group.emit.command
    try:
        run_tool(emit_argv(group, temp), f"emit IR for unit {cmd.output} ({group.emit.config})",
                 cmd.directory)
    except ToolError:
        temp.unlink(missing_ok=True)
        if group.retargetable:
            return None
        raise
    return store.add(temp), True


def emit_groups(groups: list[IrGroup], store: Store, dirs: dict[str, str], jobs: int,
                quiet: bool) -> list[tuple[IrGroup, str, bool]]:
    """Emit every group's IR (cached ones are skipped); a retargetable group whose code does
    not compile without its tuning flags (e.g. unguarded intrinsics) is split into one IR per
    tuning. Returns (group, IR hash, emitted now) and updates ``store/index.json``."""
    index_path = store.root / "index.json"
    index: dict[str, str] = load_json(index_path) if index_path.is_file() else {}
    done: list[tuple[IrGroup, str, bool]] = []
    todo = groups
    while todo:
        retry: list[IrGroup] = []
        for batch in batches(todo, BATCH):  # the index is saved after each batch
            keys = [emit_key(g, dirs[g.emit.config]) for g in batch]
            results = parallel(list(zip(batch, keys, strict=True)),
                               lambda j: _emit(store, index, j), "emit IR", jobs, quiet)
            for group, key, result in zip(batch, keys, results, strict=True):
                if result is None:
                    index[key] = FAILED  # remembered: the next build does not retry it
                    retry.extend(split_by_tuning(group, "does not compile without its CPU "
                                                 "tuning flags, so one IR per tuning"))
                else:
                    index[key] = result[0]
                    done.append((group, *result))
            write_json(index_path, index)
        todo = retry
    write_json(index_path, index)
    return done


def _unit_entry(group: IrGroup, digest: str) -> dict[str, Any]:
    c = group.emit.command
    return {"output": c.output, "file": c.file, "kind": "ir", "ir": digest,
            "retargetable": group.retargetable, "shared_with": list(group.configs),
            "reason": group.reason}


def check_family(out: Path, fam: Family) -> None:
    """Refuse to add one ISA family's IR to a bundle of another (IR bundles are per family)."""
    meta = out / "bundle.json"
    if meta.is_file():
        arch = load_json(meta).get("arch")
        if arch and arch != fam.arch:
            raise InputError(f"this bundle holds {arch} IR; IR bundles are per ISA family: "
                             f"build the {fam.arch} one into another directory (-o)", meta)


def configure_all(app: AppDescriptor, out: Path, names: list[str] | None,
                  fam: Family | None = None) -> tuple[list[Configuration], list[Unit]]:
    """Configure the chosen configurations of family ``fam`` (default: this host's) into
    ``out/builds/<NAME>``; their compile units."""
    fam = fam or family(None)
    check_family(out, fam)
    configs = select_configs(app, fam.arch, names)
    toolchain = None
    if is_cross(fam):
        require_sysroot(fam)
        toolchain = write_toolchain(fam, out, CLANG, CLANGXX)
    units: list[Unit] = []
    for config in configs:
        tree = inside(out, f"builds/{config_name(config.name, app.path)}", "build tree")
        configure(app, config, tree, toolchain)
        units.extend(read_units(config.name, tree))
    return configs, units


def plan_only(app: AppDescriptor, out: Path, names: list[str] | None = None, jobs: int = 2,
              quiet: bool = False, arch: str | None = None, pp_cache: Path | None = None
              ) -> dict[str, Any]:
    """Configure and preprocess, decide the sharing, emit nothing: the figures of a bundle
    (``unique_irs`` = IR groups) for projects too large to emit here (GROMACS). A unit whose
    IR would not compile without its tuning flags is only found by emitting, so this can
    undercount IR files of such units; that is the only difference from ``build_bundle``.
    ``pp_cache``: as for ``build_bundle`` (immutable sources only)."""
    configs, units = configure_all(app, out.resolve(), names, family(arch))
    groups, native = plan(units, jobs, quiet, PreprocessCache(pp_cache) if pp_cache else None)
    jobs_total = len(units)
    return {"compile_jobs": jobs_total, "unique_irs": len(groups), "native_jobs": len(native),
            "retargetable_irs": sum(1 for g in groups if g.retargetable),
            "reduction": round(1 - (len(groups) + len(native)) / jobs_total, 4)
            if jobs_total else 0.0,
            "configs": [c.name for c in configs], "groups": groups, "native": native,
            "units": units}


def simplify_all(manifests: dict[str, dict[str, Any]], store: Store, jobs: int,
                 quiet: bool) -> int:
    """``split`` mode: run the pipeline's simplification half once per distinct (IR, -O
    level, code flags) and record the result as each unit's ``pre``; returns how many were
    run now (the others were cached in ``store/index.json`` under a key with the mode)."""
    index_path = store.root / "index.json"
    index: dict[str, str] = load_json(index_path) if index_path.is_file() else {}
    todo: dict[tuple[str, str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for manifest in manifests.values():
        for u in manifest["units"]:
            if u["kind"] == "ir" and unit_halves(u) is not None:
                todo.setdefault((u["ir"], u["opt_level"], code_flags(u)), []).append(u)
    fresh = 0
    for batch in batches(list(todo.items()), BATCH):  # the index is saved after each batch
        try:
            results = parallel(batch, lambda item: simplify(store, index, item[0][0],
                                                            item[1][0]),
                               "simplify IR", jobs, quiet)
        finally:  # what finished before an interrupt is kept
            write_json(index_path, index)
        for (_, entries), (pre, now) in zip(batch, results, strict=True):
            fresh += now
            for u in entries:
                u["pre"] = pre
    return fresh


def build_bundle(app: AppDescriptor, out: Path, names: list[str] | None = None,
                 jobs: int = 2, quiet: bool = False, arch: str | None = None,
                 mode: str = DEFAULT_MODE, pp_cache: Path | None = None) -> dict[str, Any]:
    """Build (or bring up to date) the IR bundle of ``app``'s ISA family ``arch`` (default:
    this host's; ``aarch64`` cross-builds here) in ``out``; returns the summary with the CPU
    seconds of each phase. ``mode`` ``split`` (default) also runs the target-independent half
    of the optimisation pipeline here, once per IR file (``pipeline.py``); ``full`` leaves all
    optimisation to each deployment, as the first version did. ``pp_cache``: a file keeping
    preprocessing results across runs, for immutable sources only (``PreprocessCache``).

    The bundle directory is locked for the whole build (a second build into it is one error),
    and temporary IR files a killed build left in the store are removed first."""
    if mode not in MODES:
        raise InputError(f"unknown IR mode {mode!r} (known: {', '.join(MODES)})")
    with locked_dir(out, "ir build"):
        return _build_locked(app, out, names, jobs, quiet, arch, mode, pp_cache)


def _build_locked(app: AppDescriptor, out: Path, names: list[str] | None, jobs: int,
                  quiet: bool, arch: str | None, mode: str, pp_cache: Path | None
                  ) -> dict[str, Any]:
    fam = family(arch)
    out = out.resolve()
    phases = Phases()
    with phases.phase("configure"):
        configs, units = configure_all(app, out, names, fam)
    with phases.phase("plan"):
        groups, native = plan(units, jobs, quiet,
                              PreprocessCache(pp_cache) if pp_cache else None)
    store = Store(out / "store")
    store.sweep()
    with phases.phase("emit", len(groups)):
        emitted = emit_groups(groups, store, {u.config: u.build_dir for u in units}, jobs,
                              quiet)
        cuda = build_cuda_units(units, native, store, jobs, quiet)  # leave ``native``
    manifests: dict[str, dict[str, Any]] = {}
    for config in configs:
        manifests[config.name] = {"config": config.name, "cmake_args": config.cmake_args(),
                                  "build_dir": f"builds/{config.name}", "mode": mode,
                                  "units": []}
    ir_of = {(c, g.emit.command.output): (g, d) for g, d, _ in emitted for c in g.configs}
    for u in units:
        entry: dict[str, Any]
        key = f"{u.config}/{u.command.output}"
        if key in cuda:
            entry = dict(cuda[key])
            del entry["emitted"]
        elif key in native:
            entry = {"output": u.command.output, "file": u.command.file, "kind": "native",
                     "reason": native[key]}
        else:
            group, digest = ir_of[(u.config, u.command.output)]
            entry = _unit_entry(group, digest)
        cls = u.command.classes
        entry.update({"command": list(u.command.argv), "directory": u.command.directory,
                      "opt_level": cls.opt_level(), "tuning": list(cls.tuning),
                      "fflags": list(cls.fflags), "target": u.command.target})
        manifests[u.config]["units"].append(entry)
    simplified = 0
    if mode == "split":
        with phases.phase("simplify"):
            simplified = simplify_all(manifests, store, jobs, quiet)
    for name, manifest in manifests.items():
        write_json(inside(out, f"configs/{config_name(name, app.path)}.json", "manifest"),
                   manifest)
    triple = target_triple(fam)
    write_json(out / "bundle.json", {
        "app": app.name, "app_descriptor": str(app.path), "arch": fam.arch, "triple": triple,
        "configs": [c.name for c in configs], "mode": mode,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    unique = len({d for _, d, _ in emitted} | {e["ir"] for e in cuda.values()})
    jobs_total = len(units)
    summary: dict[str, Any] = {
        "compile_jobs": jobs_total, "unique_irs": unique, "native_jobs": len(native),
        "reduction": round(1 - (unique + len(native)) / jobs_total, 4) if jobs_total else 0.0,
        "emitted": sum(1 for _, _, fresh in emitted if fresh)
        + sum(1 for e in cuda.values() if e["emitted"])}
    if cuda:  # device compiles (one per architecture, SASS or PTX) of the CUDA units
        summary["cuda_device_jobs"] = sum(e["device_jobs"] for e in cuda.values())
        summary["gpu_targets"] = sorted({t for e in cuda.values() for t in e["gpu_targets"]},
                                        key=target_key)
    return {**summary, "mode": mode, "simplified": simplified, "bundle": str(out),
            "configs": [c.name for c in configs], "arch": fam.arch, "triple": triple,
            "phases": phases.rows, "cpu_s": phases.total_cpu()}


def target_triple(fam: Family) -> str:
    """The triple clang writes into the family's IR (``aarch64-unknown-linux-gnu``)."""
    argv = [CLANGXX, *([f"--target={fam.triple}"] if is_cross(fam) else []),
            "-print-target-triple"]
    return run_tool(argv, "clang -print-target-triple").strip()


def explain(bundle: Path, file: str) -> list[dict[str, Any]]:
    """Why units whose output or source ends with ``file`` were (not) shared, per config."""
    meta = load_json(bundle / "bundle.json")
    rows = []
    for name in meta["configs"]:
        manifest = f"configs/{config_name(name, bundle / 'bundle.json')}.json"
        for u in load_json(inside(bundle, manifest, "manifest"))["units"]:
            if u["output"].endswith(file) or u["file"].endswith(file):
                rows.append({"config": name, "output": u["output"], "kind": u["kind"],
                             "ir": u.get("ir"), "retargetable": u.get("retargetable", False),
                             "shared_with": u.get("shared_with", []), "reason": u["reason"]})
    if not rows:
        raise InputError(f"no unit matching {file!r} in the bundle", bundle)
    return rows
