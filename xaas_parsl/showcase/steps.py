"""The showcase's DAG nodes: one function per node, files in and one JSON file of raw data out.

Both doors call these and nothing else: the Snakefile through ``xaas showcase step NAME``, the
Parsl script as Parsl apps (``pipeline``). A node's output holds the raw measurements (every
kernel time, every worker's start stamp, every call record) and no derived figure: figures are
made once, from that raw data, by ``figures`` when the report is written.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.fileio import load_json, write_json
from xaas_parsl.resumable import interleaved
from xaas_parsl.showcase.config import ShowcaseConfig

TIME_RE = re.compile(r"time\s*:\s*([0-9.eE+-]+) s")


def _stamp(record: dict[str, Any], started: float) -> dict[str, Any]:
    """``record`` with the node's wall-clock span (the showcase timeline is drawn from these)."""
    record["node"] = {"start": started, "end": time.time(), "host": socket.gethostname(),
                      "pid": os.getpid()}
    return record


def _app(cfg: ShowcaseConfig) -> Any:
    from xaas_parsl.descriptor import bundled_app, load_app

    if cfg.app.endswith((".yaml", ".yml")):
        return load_app(cfg.app)
    return bundled_app(cfg.app)


def discover(out: str | Path) -> dict[str, Any]:
    """This (compute) node, native format."""
    from xaas_parsl import steps

    started = time.time()
    record = _stamp({"step": "discover", "system": steps.discover_system()}, started)
    write_json(Path(out), record)
    return record


def choose(system_file: str | Path, cfg: ShowcaseConfig, out: str | Path) -> dict[str, Any]:
    """App ∩ node: the chosen matrix configuration, its reasons, and the portable baseline
    (every matrix option at its portable value: no SIMD, no OpenMP)."""
    from xaas_parsl.deploy.plan import choose_configs

    started = time.time()
    app = _app(cfg)
    record = {"step": "choose", "app": {"name": app.name, "version": app.version},
              **choose_configs(app, load_json(Path(system_file))["system"])}
    write_json(Path(out), _stamp(record, started))
    return record


def deploy_mode(requested: str, engine_problem: str | None, missing_bases: list[str]
                ) -> tuple[str, str]:
    """``(mode, why)`` of the deployment: ``container`` or ``native`` and the sentence the
    report and the CLI show. ``engine_problem`` is None when a Docker engine answers."""
    if requested == "native":
        return "native", "deploy: native in the showcase config"
    if engine_problem is None and (not missing_bases or requested == "container"):
        return "container", "a Docker engine answers: deployed from the app's IR container"
    if requested == "container":
        raise ToolError(f"deploy: container, but {engine_problem}")
    if engine_problem is None:
        return "native", (f"the Docker engine answers but lacks the base images "
                          f"{', '.join(missing_bases)} (`xaas images bootstrap` makes them, "
                          "~4 min once; or --deploy container); fell back to native IR "
                          "deployment")
    return "native", (f"no container engine answers ({engine_problem}); fell back to native "
                      "IR deployment")


def deploy(choice_file: str | Path, system_file: str | Path, cfg: ShowcaseConfig,
           builds: str | Path, out: str | Path) -> dict[str, Any]:
    """XaaS deployment of the chosen and the portable configuration (``showcase.deploy``)."""
    from xaas_parsl.deploy.plan import deployment_plan
    from xaas_parsl.showcase import deploy as dep

    started = time.time()
    app = _app(cfg)
    choice = load_json(Path(choice_file))
    configs = {"chosen": choice["configuration"], "portable": choice["portable"]}
    system = load_json(Path(system_file))["system"]
    arch = deployment_plan(app, system, configs, "ir")["arch"]
    where = Path(builds).resolve()
    problem: str | None = "not asked (deploy: native)"
    missing: list[str] = []
    if cfg.deploy != "native":
        from xaas_parsl.containers.engine import probe

        problem = probe()
        missing = dep.bases_missing(arch) if problem is None else []
    mode, why = deploy_mode(cfg.deploy, problem, missing)
    plan = deployment_plan(app, system, configs, "container" if mode == "container" else "ir",
                           cfg.site)  # what runs: the plan
    if mode == "container" and missing:
        dep.bootstrap(arch)
    if mode == "container":
        result = dep.deploy_container(app, plan, system, where)
    else:
        result = dep.deploy_native(app, plan, system, where)
    if not result["tests"]["passed"]:
        raise ToolError(f"the app's test failed in the {mode} deployment of "
                        f"{configs['chosen']}")
    record = {"step": "deploy", "mode": mode, "why": why, "plan": plan, **result}
    write_json(Path(out), _stamp(record, started))
    return record


def kernel_seconds(prefix: str | Path, n: int, steps: int) -> float:
    """One ``heat2d --n N --steps S`` on one thread; the kernel time heat2d reports."""
    exe = Path(prefix) / "bin" / "heat2d"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([str(exe), "--n", str(n), "--steps", str(steps)], env=env,
                          capture_output=True, text=True, check=False, timeout=600)
    match = TIME_RE.search(proc.stdout)
    if proc.returncode != 0 or match is None:
        raise ToolError(f"{exe} failed (exit {proc.returncode}): "
                        f"{(proc.stderr or proc.stdout).strip()[-300:]}")
    return float(match.group(1))


def measure(deploy_file: str | Path, cfg: ShowcaseConfig, out: str | Path) -> dict[str, Any]:
    """Kernel times of the chosen and the portable deployment, interleaved rounds whose order
    alternates (machine noise hits both alike), one thread each so SIMD alone differs."""
    started = time.time()
    deps = load_json(Path(deploy_file))["deployments"]
    roles = ["chosen", "portable"]
    times: dict[str, list[float]] = {r: [] for r in roles}
    for _, role in interleaved(roles, cfg.rounds):
        times[role].append(kernel_seconds(deps[role]["prefix"], cfg.grid, cfg.steps))
    record = {"step": "measure", "n": cfg.grid, "steps": cfg.steps, "threads": 1,
              "configurations": {r: deps[r]["config"] for r in roles}, "kernel_seconds": times}
    write_json(Path(out), _stamp(record, started))
    return record


def flare_worker(ctx: Any, prefix: str, n: int, steps: int) -> dict[str, Any]:
    """One flare worker: solve a small heat2d problem with the deployed binary, then meet
    the others at a barrier (the flare is one unit: it ends when all have solved theirs)."""
    seconds = kernel_seconds(prefix, n, steps)
    ctx.barrier()
    return {"rank": ctx.rank, "host": socket.gethostname(), "kernel_s": seconds}


def flare(deploy_file: str | Path, cfg: ShowcaseConfig, out: str | Path,
          executor: str | Executor | None = None) -> dict[str, Any]:
    """The deployed app as a flare of ``flare_size`` workers; the raw start/end stamps.

    ``executor``: a Parsl executor label (the Parsl door: ``compute``) or None for one fresh
    process per pack (the Snakemake door, whose rule is already one job)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from xaas_parsl.burst import Placement
    from xaas_parsl.burst import flare as launch

    started = time.time()
    prefix = load_json(Path(deploy_file))["deployments"]["chosen"]["prefix"]
    placement = Placement.of(cfg.flare_size, cfg.flare_granularity)
    args = (prefix, cfg.flare_grid, cfg.flare_steps)
    if executor is None:
        with ProcessPoolExecutor(placement.packs,
                                 mp_context=multiprocessing.get_context("fork")) as pool:
            future = launch(flare_worker, cfg.flare_size, cfg.flare_granularity, args=args,
                            executor=pool, timeout=300)
            results = future.result()
        where = "one process per pack"
    else:
        future = launch(flare_worker, cfg.flare_size, cfg.flare_granularity, args=args,
                        executor=executor, timeout=300)
        results = future.result()
        where = f"Parsl executor {executor}" if isinstance(executor, str) else "an executor"
    timing = future.timing
    record = {"step": "flare", "size": cfg.flare_size, "granularity": placement.granularity,
              "packs": placement.packs, "where": where, "n": cfg.flare_grid,
              "steps": cfg.flare_steps, "t0": timing.t0, "starts": list(timing.starts),
              "ends": list(timing.ends), "results": results}
    write_json(Path(out), _stamp(record, started))
    return record


def flow(cfg: ShowcaseConfig, work: str | Path, out: str | Path) -> dict[str, Any]:
    """A SeBS-Flow benchmark experiment (its own Parsl DFK on the site); the raw call rows."""
    import logging

    from xaas_parsl.flow.bench import experiment, run_experiment
    from xaas_parsl.flow.metrics import read_calls

    started = time.time()
    logging.getLogger("parsl").propagate = False
    where = Path(work)
    exp = experiment(cfg.flow_benchmark, where, size=cfg.flow_size, mode=cfg.flow_mode,
                     reps=cfg.flow_reps, site=cfg.site, executor="compute")
    result = run_experiment(exp)
    if not result.verified:
        raise InputError("a SeBS-Flow output check failed", where / "runs.json")
    meta = load_json(where / "experiment.json")
    record = {"step": "flow", "benchmark": exp.benchmark.name, "size": cfg.flow_size,
              "mode": cfg.flow_mode, "reps": cfg.flow_reps,
              "memory_mb": float(meta.get("memory_mb", 256)),
              "definition": load_json(where / str(meta.get("definition", "definition.json"))),
              "calls": read_calls(where / "calls.csv")}
    write_json(Path(out), _stamp(record, started))
    return record
