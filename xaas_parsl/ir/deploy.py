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
import subprocess
from pathlib import Path
from typing import Any

from xaas_parsl.descriptor.app import load_app
from xaas_parsl.discovery.load import load_system
from xaas_parsl.discovery.probe import discover_local
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.intersection import intersect
from xaas_parsl.ir.lower import ObjectCache, lower_all, make_jobs
from xaas_parsl.ir.pipeline import MODES, Phases
from xaas_parsl.ir.store import Store
from xaas_parsl.ir.tools import first_error, require, run_tool


def choose_config(bundle: Path, target: Path | None) -> str:
    """The bundle configuration the intersection chooses for ``target`` (default: here).

    Only options of the app's matrix are kept from the choice, so a choice that also sets
    e.g. ``HEAT2D_MPI`` maps onto the bundle's names (``OPENMP+AVX_512``).
    """
    meta = load_json(bundle / "bundle.json")
    app = load_app(meta["app_descriptor"])
    system = load_system(target) if target else discover_local()
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
           mode: str | None = None, count_passes: bool = False) -> dict[str, Any]:
    """Deploy one configuration of ``bundle``; returns ``{config, install_dir, lowered, ...,
    phases}`` (CPU and wall seconds per phase). ``mode`` defaults to the bundle's; ``full``
    works on every bundle, ``split`` needs one built in ``split`` mode. ``count_passes``
    also counts the LLVM pass runs of the lowering (a deterministic measure of its work)."""
    bundle = bundle.resolve()
    if not (bundle / "bundle.json").is_file():
        raise InputError("not an IR bundle (no bundle.json)", bundle)
    meta = load_json(bundle / "bundle.json")
    built_mode = meta.get("mode", "full")  # bundles from before the split are full-mode
    mode = mode or built_mode
    if mode not in MODES:
        raise InputError(f"unknown IR mode {mode!r} (known: {', '.join(MODES)})")
    if mode == "split" and built_mode != "split":
        raise InputError("split deployment of a bundle built in full mode: rebuild it with "
                         "--mode split, or deploy with --mode full", bundle / "bundle.json")
    name = config or choose_config(bundle, target)
    if name not in meta["configs"]:
        raise InputError(f"unknown configuration {name!r} (bundle has: "
                         f"{', '.join(meta['configs'])})", bundle)
    manifest = load_json(bundle / "configs" / f"{name}.json")
    tree = bundle / manifest["build_dir"]
    work = bundle / "deploy" / name
    install = (install_dir or work / "install").resolve()
    ir_units = [u for u in manifest["units"] if u["kind"] == "ir"]
    store = Store(bundle / "store")
    phases = Phases()
    cache = ObjectCache(bundle / "store")
    with phases.phase("verify"):
        all_jobs = make_jobs(store, ir_units, mode, work / "objects", name)
    todo = [j for j in all_jobs if not cache.fetch(j.key, j.obj)]
    lower_all(todo, phases, jobs, quiet, name, count_passes)
    for job in todo:
        cache.put(job.key, job.obj)
    cache.save()
    placed = {j.unit["output"]: str(j.obj) for j in all_jobs}
    mapping = write_json(work / "objects.json", placed)
    log = work / "launcher.log"
    log.write_text("", encoding="utf-8")
    for out in placed:  # ninja must run these edges again so that the launcher places them
        (tree / out).unlink(missing_ok=True)
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
    result: dict[str, Any] = {
        "config": name, "install_dir": str(install), "mode": mode, "lowered": len(todo),
        "reused": len(all_jobs) - len(todo),
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
