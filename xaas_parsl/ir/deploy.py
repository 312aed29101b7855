"""``xaas ir deploy``: re-target, lower and link one configuration of an IR bundle.

Every IR unit of the configuration is taken from the store (verified), re-targeted when it is
shared across tuning flags, and lowered with the original command's ``-O`` level, tuning and
``-f`` flags into ``deploy/<NAME>/objects/`` (temp file + rename, so a failure leaves no
half-written object and touches no build tree). Then ninja builds the configured tree with
``XAAS_IR_OBJECTS`` set, so the compiler launcher places the lowered objects instead of
compiling (see ``launcher.py``); the launcher's log proves that no IR unit was recompiled.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from xaas_parsl.cuda.deploy import install_runtime
from xaas_parsl.descriptor.app import load_app
from xaas_parsl.discovery.load import load_node
from xaas_parsl.discovery.model import SystemInfo
from xaas_parsl.discovery.probe import discover_local
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.intersection import intersect
from xaas_parsl.ir.cross import host_arch
from xaas_parsl.ir.lower import ObjectCache, lower_all, make_jobs
from xaas_parsl.ir.node import check_node, node_tuning
from xaas_parsl.ir.pipeline import MODES, Phases
from xaas_parsl.ir.store import Store
from xaas_parsl.ir.tools import BATCH, batches, first_error, require, run_tool
from xaas_parsl.safety import bundle_digest, config_name, inside

# Flags a manifest may hand to ``clang -x ir``: the forms ``plan`` records, nothing that names a
# file or loads code (``-fplugin=``, ``-fpass-plugin=``, ``-o``, ``-Xclang``).
_OPT_LEVEL = re.compile(r"-O[0-3sgz]|-Ofast")
_TUNING = re.compile(r"-m[A-Za-z0-9][A-Za-z0-9_.=,+-]*|--?target(=[A-Za-z0-9_.-]+)?"
                     r"|[A-Za-z0-9_][A-Za-z0-9_.-]*")  # the last: --target's separate value
_TARGET = re.compile(r"--target=[A-Za-z0-9_.-]+")  # a cross unit's triple (aarch64 bundles)
_FFLAG = re.compile(r"-f(?!plugin|pass-plugin|profile|crash|save|record)"
                    r"[A-Za-z0-9][A-Za-z0-9_.=,+-]*")


def checked_unit(unit: Any, where: Path) -> dict[str, Any]:
    """A manifest unit whose strings are safe to use: ``output`` a relative path (checked
    against its roots by the caller), ``ir`` a SHA-256, flags of the recorded forms only."""
    if not isinstance(unit, dict) or not isinstance(unit.get("output"), str):
        raise InputError("a unit must be a mapping with a string 'output'", where)
    if unit.get("kind") != "ir":
        return unit
    bundle_digest(unit.get("ir"), where)
    flags = [("opt_level", _OPT_LEVEL, [unit.get("opt_level")]),
             ("tuning", _TUNING, unit.get("tuning")), ("fflags", _FFLAG, unit.get("fflags")),
             ("target", _TARGET, unit.get("target", []))]
    for key, form, values in flags:
        if not isinstance(values, list) or not all(
                isinstance(v, str) and form.fullmatch(v) for v in values):
            raise InputError(f"unit {unit['output']!r}: {key} {values!r} is not a compiler "
                             f"flag of the form {form.pattern}", where)
    return unit


def choose_config(bundle: Path, target: Path | None, system: SystemInfo | None = None) -> str:
    """The bundle configuration the intersection chooses for ``target`` (default: here).

    Only options of the app's matrix are kept from the choice, so a choice that also sets
    e.g. ``HEAT2D_MPI`` maps onto the bundle's names (``OPENMP+AVX_512``).
    """
    meta = load_json(bundle / "bundle.json")
    app = load_app(meta["app_descriptor"])
    if system is None and target is None and meta.get("arch", host_arch()) != host_arch():
        raise InputError(f"the bundle is {meta['arch']}, this machine {host_arch()}: name a "
                         "--config or the node's system file (--target)", bundle / "bundle.json")
    if system is None:
        system = load_node(target) if target else discover_local()
        if target:
            check_node(meta, system, target)
    choice = intersect(app.spec(), system, None).choice
    matrix = {o for m in app.matrix for o in m.cmake_options()}
    args = [a for a in choice.cmake_args
            if a.startswith("-D") and a[2:].split("=", 1)[0].split(":", 1)[0] in matrix]
    name = app.config_name(args)
    if name not in meta["configs"]:
        raise InputError(f"the intersection chose {name!r}, which the bundle lacks "
                         f"(it has: {', '.join(meta['configs'])})", bundle / "bundle.json")
    return name


def deploy(bundle: Path, config: str | None = None, target: Path | None = None,
           install_dir: Path | None = None, jobs: int = 2, quiet: bool = False,
           cpu: str | None = None, mode: str | None = None, count_passes: bool = False,
           tuning: tuple[list[str], str | None] | None = None) -> dict[str, Any]:
    """Deploy one configuration of ``bundle``; returns ``{config, install_dir, lowered, ...,
    phases}`` (CPU and wall seconds per phase).

    ``target``: the node's system file (or recorded ``/proc/cpuinfo``): checked against the
    bundle's ISA family, and its CPU tunes the lowering when archspec knows it. Without it
    nothing is checked and the code is lowered for the family's baseline (cross-lowered when
    the bundle is not this machine's family). ``cpu`` (archspec name: ``neoverse-v2``,
    ``armv8.2-a``) sets the tuning explicitly. ``mode`` defaults to the bundle's; ``full``
    works on every bundle, ``split`` needs one built in ``split`` mode. ``count_passes``
    also counts the LLVM pass runs of the lowering (a deterministic measure of its work).
    ``tuning``: (flags, CPU) computed by the caller with ``ir.node.node_tuning`` instead of
    here (a container's host: archspec is not in the toolchain image); flags of the
    recorded tuning form only."""
    bundle = bundle.resolve()
    if not (bundle / "bundle.json").is_file():
        raise InputError("not an IR bundle (no bundle.json)", bundle)
    meta = load_json(bundle / "bundle.json")
    known = meta.get("configs") if isinstance(meta, dict) else None
    if not isinstance(known, list):
        raise InputError("bundle.json has no list of configs", bundle / "bundle.json")
    for each in known:
        config_name(each, bundle / "bundle.json")
    built_mode = meta.get("mode", "full")  # bundles from before the split are full-mode
    mode = mode or built_mode
    if mode not in MODES:
        raise InputError(f"unknown IR mode {mode!r} (known: {', '.join(MODES)})")
    if mode == "split" and built_mode != "split":
        raise InputError("split deployment of a bundle built in full mode: rebuild it with "
                         "--mode split, or deploy with --mode full", bundle / "bundle.json")
    system = None
    if target is not None:
        system = load_node(target)
        check_node(meta, system, target)
    if tuning is None:
        node, tuned_for = node_tuning(meta, system, cpu)
    else:
        node, tuned_for = tuple(tuning[0]), tuning[1]
        if not all(isinstance(f, str) and _TUNING.fullmatch(f) for f in node):
            raise InputError(f"tuning {list(node)!r} is not a list of -m flags")
    name = config_name(config or choose_config(bundle, target, system), bundle)
    if name not in known:
        raise InputError(f"unknown configuration {name!r} (bundle has: "
                         f"{', '.join(known)})", bundle)
    manifest_path = bundle / "configs" / f"{name}.json"
    manifest = load_json(manifest_path)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("units"), list):
        raise InputError("a configuration manifest needs a list of units", manifest_path)
    tree = inside(bundle, str(manifest.get("build_dir", "")), "build_dir", manifest_path)
    work = bundle / "deploy" / name
    install = (install_dir or work / "install").resolve()
    units = [checked_unit(u, manifest_path) for u in manifest["units"]]
    for unit in units:  # every output names a file in the tree (checked before any write)
        inside(tree, unit["output"], "unit output", manifest_path)
    ir_units = [u for u in units if u.get("kind") == "ir"]
    store = Store(bundle / "store")
    phases = Phases()
    cache = ObjectCache(bundle / "store")
    with phases.phase("verify"):
        all_jobs = make_jobs(store, ir_units, mode, work / "objects", name, node)
    todo = [j for j in all_jobs if not cache.fetch(j.key, j.obj)]
    for batch in batches(todo, BATCH):  # cached after each batch: an interrupt resumes there
        lower_all(batch, phases, jobs, quiet, name, count_passes)
        for job in batch:
            cache.put(job.key, job.obj)
        cache.save()
    placed = {j.unit["output"]: str(j.obj) for j in all_jobs}
    mapping = write_json(work / "objects.json", placed)
    log = work / "launcher.log"
    log.write_text("", encoding="utf-8")
    for out in placed:  # ninja must run these edges again so that the launcher places them
        inside(tree, out, "unit output", manifest_path).unlink(missing_ok=True)
    env = {**os.environ, "XAAS_IR_OBJECTS": str(mapping), "XAAS_IR_LOG": str(log)}
    cmake = require("cmake")
    with phases.phase("link"):
        _build(cmake, tree, jobs, env, name)
    actions = [line.split(" ", 1) for line in log.read_text("utf-8").splitlines() if line]
    recompiled = sorted(o for a, o in actions if a == "compiled" and o in placed)
    if recompiled:
        raise ToolError(f"{name}: the build recompiled IR unit {recompiled[0]} from source")
    with phases.phase("install"):
        run_tool([cmake, "--install", str(tree), "--prefix", str(install)], f"install {name}")
    cuda = install_runtime(bundle, install) if any("fatbin" in u for u in ir_units) else None
    result: dict[str, Any] = {
        "config": name, "install_dir": str(install), "mode": mode, "lowered": len(todo),
        "reused": len(all_jobs) - len(todo),
        "arch": meta.get("arch", host_arch()), "triple": meta.get("triple"),
        "cpu": tuned_for, "cpu_flags": list(node), "node_checked": system is not None,
        **({"cuda_runtime": cuda["runtime"]} if cuda else {}),
        "placed": sum(1 for a, _ in actions if a == "placed"),
        "compiled_natively": sorted(o for a, o in actions if a == "compiled"),
        "phases": phases.rows, "cpu_s": phases.total_cpu()}
    if count_passes:
        result["pass_runs"] = sum(j.passes for j in todo)
    return result


def _build(cmake: str, tree: Path, jobs: int, env: dict[str, str], name: str) -> None:
    proc = subprocess.run([cmake, "--build", str(tree), "-j", str(jobs)], env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolError(f"linking {name} failed: {first_error(proc.stdout + proc.stderr)}",
                        tree)
