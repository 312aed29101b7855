"""``xaas demo --deploy ir``'s path: bundle heat2d, deploy the configuration chosen for this node,
run its tests. One call for the demo (``run_ir_job``); each step is also a CLI command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from xaas_parsl.build.cmake import run_app_tests
from xaas_parsl.descriptor.app import AppDescriptor, bundled_app
from xaas_parsl.ir.build import build_bundle
from xaas_parsl.ir.deploy import deploy


def run_ir_job(workdir: Path, app: AppDescriptor | None = None,
               configs: list[str] | None = None, target: Path | None = None,
               quiet: bool = True) -> dict[str, Any]:
    """Build ``app``'s IR bundle under ``workdir/ir-bundle`` (all configurations for this
    arch unless ``configs``), deploy the intersection's choice for ``target`` (default: this
    machine) and run the app's tests; returns a JSON-ready report with ``passed``."""
    app = app or bundled_app("heat2d")
    start = time.perf_counter()
    summary = build_bundle(app, workdir / "ir-bundle", configs, quiet=quiet)
    built = time.perf_counter()
    deployment = deploy(Path(summary["bundle"]), None, target, quiet=quiet)
    deployed = time.perf_counter()
    tests = run_app_tests(app, Path(deployment["install_dir"]))
    return {
        "mode": "ir",
        "bundle": summary,
        "deployment": deployment,
        "tests": [{"name": t.name, "passed": t.passed, "returncode": t.returncode,
                   "seconds": round(t.seconds, 3)} for t in tests],
        "passed": bool(tests) and all(t.passed for t in tests),
        "timings": {"bundle_s": round(built - start, 3), "deploy_s": round(deployed - built, 3),
                    "tests_s": round(time.perf_counter() - deployed, 3)},
    }
