"""The main job (``xaas demo``): discover this node, intersect the bundled example, build, test.

This is the end-to-end path a user runs first. It is a pure composition of library functions,
so the CLI only renders the report this module returns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from xaas_parsl import __version__
from xaas_parsl.build.cmake import cmake_build, run_app_tests
from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.discovery.model import SystemInfo
from xaas_parsl.intersection import Intersection, Policy, intersect


def build_dir_name(app: AppDescriptor, config: str, cmake_args: list[str]) -> str:
    """``<app>-<config>-<hash of the exact arguments>``: a changed flag never reuses a tree."""
    digest = hashlib.sha256("\0".join(cmake_args).encode()).hexdigest()[:10]
    return f"{app.name}-{config}-{digest}"


def plan_demo(
    app: AppDescriptor,
    system: SystemInfo,
    policy: Policy,
    discovery_seconds: float = 0.0,
) -> tuple[Intersection, dict[str, Any]]:
    """Intersect ``app`` with ``system``: the report without build results."""
    start = time.perf_counter()
    spec = app.spec()
    result = intersect(spec, system, policy)
    intersect_seconds = time.perf_counter() - start
    args = list(app.cmake_args) + result.choice.cmake_args
    config = app.config_name(args)
    report: dict[str, Any] = {
        "xaas_parsl_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "app": {
            "name": app.name,
            "version": app.version,
            "descriptor": str(app.path),
            "specialization_points": str(app.spec_path),
        },
        "system": system.to_dict(),
        "intersection": result.to_dict(),
        "configuration": config,
        "cmake_args": args,
        "build": None,
        "tests": [],
        "timings": {"discovery_s": round(discovery_seconds, 3),
                    "intersection_s": round(intersect_seconds, 4)},
    }
    return result, report


def build_and_test(app: AppDescriptor, report: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Build the planned configuration under ``workdir``, run the app's tests, extend report."""
    args: list[str] = report["cmake_args"]
    tree = workdir / build_dir_name(app, report["configuration"], args)
    build = cmake_build(app.source, tree / "build", tree / "install", args)
    report["build"] = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(build).items()}
    report["build"]["cmake_args"] = list(build.cmake_args)
    report["timings"]["build_s"] = round(build.seconds, 2)
    report["tests"] = [
        {"name": t.name, "passed": t.passed, "returncode": t.returncode,
         "seconds": round(t.seconds, 3), "output": t.output[-2000:]}
        for t in run_app_tests(app, build.prefix)
    ]
    return report
