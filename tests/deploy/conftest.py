"""A recording stand-in for the one driver (``xaas_parsl.deploy.pipeline.drive``).

DISCOVER and INTERSECT run for real (cheap: discovery is cached, intersection is pure); the
build, deploy, test and export stages are recorded and answered with records of the right shape,
so each door can be followed to the driver without building anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from xaas_parsl.deploy import DeployRequest, DeployResult, Stage, pipeline

PLANNING = {Stage.DISCOVER, Stage.INTERSECT}


class Recorder:
    """Replaces ``pipeline.drive``; ``requests`` holds every request it was given."""

    def __init__(self, real: object, prefix: Path) -> None:
        self.real = real
        self.prefix = prefix
        self.requests: list[DeployRequest] = []

    def __call__(self, request: DeployRequest) -> DeployResult:
        self.requests.append(request)
        planned = set(request.stages) & PLANNING
        result = self.real(DeployRequest(  # type: ignore[operator]
            app=request.app, stages=tuple(planned), policy=request.policy,
            system=request.system, intersection=request.intersection,
            configuration=request.configuration)) if planned else DeployResult(
            mode=request.mode, system=request.system, intersection=request.intersection,
            configuration=request.configuration or "OPENMP+None")
        result.mode = request.mode
        config = result.configuration or "OPENMP+None"
        stages = set(request.stages)
        result.artifact = request.artifact
        if Stage.BUILD in stages:
            result.artifact = {"bundle": str(self.prefix / "bundle"), "compile_jobs": 4,
                               "unique_irs": 2, "reduction": 0.5, "image": "heat2d-ir:1.0.0",
                               "kind": request.image_kind, "reused": True, "configs": [config]}
        result.deployment = request.deployment
        if Stage.DEPLOY in stages:
            result.deployment = {
                "app": "heat2d", "configuration": config, "cmake_args": [],
                "prefix": str(self.prefix), "mode": request.mode.value, "seconds": 0.0,
                "image": "heat2d:1.0.0-x", "from_image": "heat2d-ir:1.0.0", "reused": True,
                "content_hash": "0" * 12, "image_kind": request.image_kind,
                "runtime": request.runtime.value if request.runtime else "native",
                "timings": {"deploy_s": 0.0}, "lowered": 0,
                "bundle": {"compile_jobs": 4, "unique_irs": 2, "reduction": 0.5}}
        if Stage.TEST in stages:
            result.tests = {"app": "heat2d", "configuration": config, "passed": True,
                            "tests": [{"name": "numerics", "passed": True, "returncode": 0,
                                       "seconds": 0.1, "output": "PASS"}]}
        if Stage.EXPORT in stages:
            result.export = {"image": "heat2d:1.0.0-x", "target": request.export,
                             "site": request.site, "directory": str(self.prefix / "export"),
                             "files": [], "commands": []}
        return result

    def stages_of(self, index: int = -1) -> set[Stage]:
        return set(self.requests[index].stages)


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Recorder]:
    """``pipeline.drive`` patched with a :class:`Recorder` for the test."""
    recorder = Recorder(pipeline.drive, tmp_path / "prefix")
    monkeypatch.setattr(pipeline, "drive", recorder)
    yield recorder
