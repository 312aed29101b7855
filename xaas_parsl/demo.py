"""The main job (``xaas demo``): discover the node, choose the example's configuration, build it
from source and run its test.

Two engines run the same steps (``xaas_parsl.steps``): ``parsl`` (the default) runs them as Parsl
apps on a site config (``local`` here: discovery, build and test on the ``compute`` executor,
intersection on ``login``); ``direct`` calls them in this process. The report is the same.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from xaas_parsl import __version__, steps
from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.discovery.model import SystemInfo
from xaas_parsl.interrupts import cleanup_dfk, load_dfk
from xaas_parsl.intersection import Policy


def new_report(
    app: AppDescriptor, system: dict[str, Any], intersection: dict[str, Any], engine: str
) -> dict[str, Any]:
    """The report of a planned (not yet built) configuration."""
    args = list(app.cmake_args) + list(intersection["choice"]["cmake_args"])
    return {
        "xaas_parsl_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "app": {
            "name": app.name,
            "version": app.version,
            "descriptor": str(app.path),
            "specialization_points": str(app.spec_path),
        },
        "system": system,
        "intersection": intersection,
        "configuration": app.config_name(args),
        "cmake_args": args,
        "build": None,
        "tests": [],
        "passed": None,
        "timings": {},
    }


def _finish(report: dict[str, Any], deployment: dict[str, Any], tests: dict[str, Any]) -> None:
    report["build"] = deployment
    report["tests"] = tests["tests"]
    report["passed"] = tests["passed"]
    report["timings"]["build_s"] = deployment["seconds"]


def _in_container(app: AppDescriptor, mode: str, configuration: str, workdir: Path
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Deploy from the app's container on the Docker engine; (deployment, tests)."""
    from xaas_parsl.containers.job import run_container_job

    done = run_container_job(app, mode, configuration, workdir)
    return done["deployment"], done["tests"]


def run_direct(
    app: AppDescriptor,
    policy: Policy,
    system: SystemInfo | None,
    workdir: Path | None,
    mode: str = "source",
    runtime: str = "native",
) -> dict[str, Any]:
    """Run the steps in this process; ``system`` given = plan for that node (no build).

    ``runtime="docker"``: the chosen configuration is deployed from the app's ``mode``
    container on the Docker engine and tested inside it instead of being built on the host.
    """
    start = time.perf_counter()
    native = system.to_dict() if system else steps.discover_system()
    discovered = time.perf_counter()
    chosen = steps.intersect(app.spec().raw, native, policy.to_dict())
    report = new_report(app, native, chosen, "direct")
    report["timings"] = {"discovery_s": round(discovered - start, 3),
                         "intersection_s": round(time.perf_counter() - discovered, 4)}
    if workdir is not None and runtime == "docker":
        _finish(report, *_in_container(app, mode, report["configuration"], workdir))
    elif workdir is not None:
        if mode == "ir":
            # The bundle holds the matrix only: ``configuration`` names the chosen matrix
            # point; options outside the matrix keep the descriptor's ``fixed`` values.
            deployment = steps.deploy_ir(str(app.path), report["configuration"], str(workdir))
        else:
            deployment = steps.deploy_source(str(app.path), chosen, str(workdir))
        _finish(report, deployment, steps.run_tests(str(app.path), deployment))
    return report


def run_parsl(
    app: AppDescriptor,
    policy: Policy,
    workdir: Path | None,
    site: str = "local",
    mode: str = "source",
    runtime: str = "native",
) -> dict[str, Any]:
    """Run the steps as Parsl apps on ``site``'s config (loaded here, cleaned up after);
    with ``runtime="docker"`` the plan runs as Parsl apps and the deployment in containers."""
    import parsl

    from xaas_parsl import apps
    from xaas_parsl.sites import config

    start = time.perf_counter()
    run_dir = (workdir or Path(".xaas-demo")).resolve() / "runinfo"
    parsl.clear()
    dfk = load_dfk(config(site, run_dir=run_dir))
    try:
        system = apps.discover_system()
        spec = apps.load_spec_points(str(app.path))
        chosen = apps.intersect(spec, system, policy.to_dict())
        report = new_report(app, system.result(), chosen.result(), f"parsl:{site}")
        report["timings"] = {"plan_s": round(time.perf_counter() - start, 3)}
        if workdir is not None and runtime == "docker":
            _finish(report, *_in_container(app, mode, report["configuration"], workdir))
        elif workdir is not None:
            if mode == "ir":
                deployment = apps.deploy_ir(str(app.path), report["configuration"],
                                            str(workdir.resolve()))
            else:
                deployment = apps.deploy_source(str(app.path), chosen, str(workdir.resolve()))
            tests = apps.run_tests(str(app.path), deployment)
            _finish(report, deployment.result(), tests.result())
    finally:
        cleanup_dfk(dfk)
    return report
