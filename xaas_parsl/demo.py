"""``xaas demo`` (the README's smaller job): discover the node, choose the example's
configuration, deploy it (from source, from its IR bundle with ``--deploy ir``, or in containers
when a Docker engine answers) and run its test.

Both engines run the one pipeline (``xaas_parsl.deploy.pipeline.drive``): ``direct`` in this
process, ``parsl`` (the default) as the Parsl apps of ``xaas_parsl.apps`` on a site config
(``local`` here: discovery, deployment and tests on the ``compute`` executor, intersection on
``login``), each app one slice of the same pipeline. The report is the same.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from xaas_parsl import __version__
from xaas_parsl.deploy import PIPELINE, DeployRequest, Mode, Stage
from xaas_parsl.deploy import pipeline as deploy_pipeline
from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.discovery.model import SystemInfo
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


def deploy_mode(mode: str, runtime: str) -> tuple[Mode, str]:
    """The demo's ``--deploy`` (source|ir) and ``--runtime`` (native|docker) as the driver's
    mode and, for containers, the app image kind: ``docker`` deploys from the ``mode``
    container."""
    if runtime == "docker":
        return Mode.CONTAINER, mode
    return Mode(mode), "ir"


def run_direct(
    app: AppDescriptor,
    policy: Policy,
    system: SystemInfo | None,
    workdir: Path | None,
    mode: str = "source",
    runtime: str = "native",
) -> dict[str, Any]:
    """Run the pipeline in this process; ``system`` given = plan for that node (no build).

    ``runtime="docker"``: the chosen configuration is deployed from the app's ``mode``
    container on the Docker engine and tested inside it instead of being built on the host.
    """
    driver_mode, kind = deploy_mode(mode, runtime)
    stages = PIPELINE if workdir is not None else (Stage.DISCOVER, Stage.INTERSECT)
    done = deploy_pipeline.drive(DeployRequest(
        app=str(app.path), workdir=str(workdir) if workdir is not None else None,
        mode=driver_mode, image_kind=kind, stages=stages, policy=policy.to_dict(),
        system=system.to_dict() if system else None))
    assert done.system is not None and done.intersection is not None
    report = new_report(app, done.system, done.intersection, "direct")
    report["timings"] = {"discovery_s": done.timings.get("discover_s", 0.0),
                         "intersection_s": done.timings.get("intersect_s", 0.0)}
    if done.deployment is not None and done.tests is not None:
        _finish(report, done.deployment, done.tests)
    return report


def run_parsl(
    app: AppDescriptor,
    policy: Policy,
    workdir: Path | None,
    site: str = "local",
    mode: str = "source",
    runtime: str = "native",
) -> dict[str, Any]:
    """Run the pipeline as Parsl apps on ``site``'s config (loaded here, cleaned up after)."""
    from xaas_parsl import apps
    from xaas_parsl.sites.session import parsl_session

    start = time.perf_counter()
    driver_mode, kind = deploy_mode(mode, runtime)
    run_dir = (workdir or Path(".xaas-demo")).resolve() / "runinfo"
    with parsl_session(site, run_dir=run_dir):
        system = apps.discover_system()
        spec = apps.load_spec_points(str(app.path))
        chosen = apps.intersect(spec, system, policy.to_dict())
        report = new_report(app, system.result(), chosen.result(), f"parsl:{site}")
        report["timings"] = {"plan_s": round(time.perf_counter() - start, 3)}
        if workdir is not None:
            deployment = apps.deploy(str(app.path), chosen, str(workdir.resolve()),
                                     driver_mode.value, kind, system)
            tests = apps.run_tests(str(app.path), deployment)
            _finish(report, deployment.result(), tests.result())
    return report
