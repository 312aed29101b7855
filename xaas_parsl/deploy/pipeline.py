"""The one deployment pipeline: discover → intersect → build → deploy → test (→ export).

Every door runs its deployment through :func:`drive`: ``xaas demo`` and ``xaas deploy ...``
(the CLI), the Parsl apps (``xaas_parsl.apps``), the Snakemake rules (through the CLI), the
showcase's deploy step and the container job. A door that spreads the steps over machines or
rules (Parsl: discovery on the compute executor, intersection on the login one; Snakemake: one
rule per file) runs one slice of :class:`~xaas_parsl.deploy.model.Stage` per call and passes
the earlier stages' records in the request, so the mode-dependent logic exists once.

What each mode does per stage:

========== =================== ============================ ===========================
stage      source              ir                           container
========== =================== ============================ ===========================
BUILD      (nothing)           IR bundle under ``workdir``  base images + app image
DEPLOY     CMake build+install lower + link the config      deploy the image, lean image
                                                            out, install tree copied out
TEST       app tests on prefix app tests on prefix          app tests inside the image
EXPORT     -                   -                            site tool's files (EDF, ...)
========== =================== ============================ ===========================
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xaas_parsl import steps
from xaas_parsl.deploy.model import DeployRequest, DeployResult, Mode, Stage, mode_of
from xaas_parsl.descriptor.app import AppDescriptor, load_app
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import write_json

#: Export target of each site container runtime (``site.yaml``'s ``container_runtime``).
SITE_EXPORT = {"cscs-container-engine": "edf", "sarus": "sarus", "apptainer": "apptainer"}


def export_target(site: str) -> str | None:
    """The export format a site's container runtime imports (``None``: it runs the engine's
    images directly, e.g. Docker on ``local``)."""
    from xaas_parsl.sites.facts import load_site

    return SITE_EXPORT.get(load_site(site).container_runtime)


@contextmanager
def _timed(result: DeployResult, stage: Stage) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        result.timings[f"{stage.value}_s"] = round(time.perf_counter() - start, 3)


def _need(record: dict[str, Any] | None, what: str, stage: Stage) -> dict[str, Any]:
    if record is None:
        raise InputError(f"stage {stage.value} needs {what} (run the earlier stage or pass "
                         "its record)")
    return record


def drive(request: DeployRequest) -> DeployResult:
    """Run ``request.stages`` of the pipeline for ``request.app``; the stages' records.

    Stages run in pipeline order whatever order the request lists them in. DISCOVER is skipped
    when the request carries a system; INTERSECT needs a system, DEPLOY an intersection (or, in
    IR and container mode, an explicit ``configuration``), TEST and EXPORT a deployment.
    """
    app = load_app(request.app)
    result = DeployResult(mode=request.mode, system=request.system,
                          intersection=request.intersection, artifact=request.artifact,
                          deployment=request.deployment)
    stages = set(request.stages)
    workdir = Path(request.workdir).resolve() if request.workdir else Path(".")
    if Stage.DISCOVER in stages and result.system is None:
        with _timed(result, Stage.DISCOVER):
            result.system = steps.discover_system()
    if Stage.INTERSECT in stages:
        with _timed(result, Stage.INTERSECT):
            result.intersection = steps.intersect(
                dict(app.spec().raw), _need(result.system, "a system", Stage.INTERSECT),
                request.policy)
    result.configuration = request.configuration or (
        _matrix_configuration(app, result.intersection) if result.intersection else None)
    if Stage.BUILD in stages:
        with _timed(result, Stage.BUILD):
            result.artifact = _build(request, app, result.configuration, workdir)
    if Stage.DEPLOY in stages:
        with _timed(result, Stage.DEPLOY):
            result.deployment = _deploy(request, app, result, workdir)
        result.deployment["seconds"] = round(
            result.timings.get("build_s", 0.0) + result.timings["deploy_s"], 3)
    if Stage.TEST in stages:
        with _timed(result, Stage.TEST):
            result.tests = _test(app, _need(result.deployment, "a deployment", Stage.TEST))
    if Stage.EXPORT in stages:
        with _timed(result, Stage.EXPORT):
            result.export = _export(request, _need(result.deployment, "a deployment",
                                                   Stage.EXPORT), workdir)
    return result


def run_slice(app_descriptor: str, workdir: str | None, mode: str, stages: tuple[str, ...],
              **fields: Any) -> DeployResult:
    """:func:`drive` for callers that hold plain values (Parsl apps, CLI commands): the mode
    and stage names as strings, the other request fields as keywords."""
    return drive(DeployRequest(app=app_descriptor, workdir=workdir, mode=mode_of(mode),
                               stages=tuple(Stage(s) for s in stages), **fields))


def _matrix_configuration(app: AppDescriptor, intersection: dict[str, Any]) -> str:
    """The build-matrix configuration (``OPENMP+AVX_512``) an intersection's choice selects."""
    return app.config_name(list(app.cmake_args) + list(intersection["choice"]["cmake_args"]))


def _wanted(request: DeployRequest, configuration: str | None) -> list[str]:
    """Configurations the artifact must hold: ``configs`` plus the one to deploy."""
    return sorted({*request.configs, *([configuration] if configuration else [])})


def _build(request: DeployRequest, app: AppDescriptor, configuration: str | None,
           workdir: Path) -> dict[str, Any] | None:
    if request.mode is Mode.SOURCE:
        return None  # the source tree is the artifact; DEPLOY builds the configuration
    if request.mode is Mode.IR:
        # ``configs`` empty: the whole matrix, so later deployments of another
        # configuration only lower and link.
        names = _wanted(request, configuration) if request.configs else None
        return steps.build_ir_bundle(str(app.path), str(workdir), names, request.arch)
    from xaas_parsl.containers.images import bootstrap

    start = time.perf_counter()
    bases = bootstrap(arch=request.arch)
    based = time.perf_counter()
    if request.image_kind == "ir":
        from xaas_parsl.containers.ir_image import ir_image_holding

        # The chosen and the portable configuration, not the whole matrix: the image stays
        # quick to build, and deployment still chooses among configurations inside it.
        image = ir_image_holding(app, _wanted(request, configuration) if request.configs
                                 else sorted({c for c in (configuration, "None") if c}),
                                 arch=request.arch)
    else:
        from xaas_parsl.containers.source import build_source_image

        image = build_source_image(app)
    return {**image, "kind": request.image_kind, "base_images": [b["image"] for b in bases],
            "bootstrap_s": round(based - start, 2),
            "image_s": round(time.perf_counter() - based, 2)}


def _deploy(request: DeployRequest, app: AppDescriptor, result: DeployResult,
            workdir: Path) -> dict[str, Any]:
    if request.mode is Mode.SOURCE:
        return steps.deploy_source(str(app.path), _need(result.intersection, "an intersection",
                                                        Stage.DEPLOY), str(workdir))
    configuration = result.configuration
    artifact = _need(result.artifact, "the artifact of stage build", Stage.DEPLOY)
    if request.mode is Mode.IR:
        if configuration is None:
            raise InputError("stage deploy needs an intersection or a configuration")
        from xaas_parsl.ir.deploy import deploy

        node = None
        if request.cpu is not None and result.system is not None:  # checked, tuned for it
            node = write_json(workdir / f"{app.name}-system.json", result.system)
        deployed = deploy(Path(artifact["bundle"]), configuration, node, quiet=True,
                          cpu=request.cpu)
        return {"app": app.name, "configuration": configuration, "cmake_args": [],
                "prefix": str(deployed["install_dir"]), "mode": Mode.IR.value,
                "bundle": {k: artifact[k] for k in ("bundle", "compile_jobs", "unique_irs",
                                                     "reduction")},
                "lowered": deployed["lowered"], "arch": deployed["arch"],
                "cpu": deployed["cpu"], "cpu_flags": deployed["cpu_flags"]}
    return _deploy_image(request, app, artifact, configuration, result.system, workdir)


def _deploy_image(request: DeployRequest, app: AppDescriptor, artifact: dict[str, Any],
                  configuration: str | None, system: dict[str, Any] | None, workdir: Path
                  ) -> dict[str, Any]:
    """Deploy the app image for this node; the install tree copied out under ``workdir``.

    An IR image deploys ``configuration``; without one (and for a source image) the plan
    made inside the container (discovery or ``system``, then intersection) chooses."""
    from xaas_parsl.containers.deploy import deploy_image
    from xaas_parsl.containers.engine import copy_out
    from xaas_parsl.containers.inside import PREFIX

    system_file = None
    if system is not None:
        system_file = workdir / f"{app.name}-system.json"
        write_json(system_file, system)
    kind = artifact["kind"]
    deployed = deploy_image(artifact["image"], kind, system_file,
                            configuration if kind == "ir" and configuration else None,
                            cpu=request.cpu if kind == "ir" else None)
    image = str(deployed["image"])
    prefix = None
    if request.copy_out:
        tag = image.replace(":", "_").replace("/", "_")
        prefix = str(copy_out(image, str(PREFIX), workdir / "deployed" / tag))
    record = {"app": app.name, "configuration": deployed["config"],
              "cmake_args": deployed["cmake_args"], "prefix": prefix,
              "mode": Mode.CONTAINER.value, "image_kind": kind, "runtime": "docker",
              "image": image, "from_image": artifact["image"], "reused": deployed["reused"],
              "content_hash": deployed["content_hash"], "arch": deployed["arch"],
              "timings": {"bootstrap_s": artifact.get("bootstrap_s", 0.0),
                          "image_s": artifact.get("image_s", 0.0),
                          "deploy_s": deployed["seconds"]},
              "base_images": artifact.get("base_images", [])}
    if kind == "ir":
        record["bundle"] = {k: artifact[k] for k in ("compile_jobs", "unique_irs", "reduction")
                            if k in artifact}
        record["bundle"]["image"] = artifact["image"]
    return record


def _test(app: AppDescriptor, deployment: dict[str, Any]) -> dict[str, Any]:
    if deployment.get("mode") == Mode.CONTAINER.value:
        from xaas_parsl.containers.deploy import run_image_tests

        tests = run_image_tests(str(deployment["image"]))
        return {"app": app.name, "configuration": deployment.get("configuration"), **tests}
    return steps.run_tests(str(app.path), deployment)


def _export(request: DeployRequest, deployment: dict[str, Any], workdir: Path
            ) -> dict[str, Any]:
    """The deployed image as the files a site's container tool imports (``containers.export``).
    """
    from xaas_parsl.containers.export import docker_save, export_image, file_stem
    from xaas_parsl.sites.facts import load_site

    if deployment.get("mode") != Mode.CONTAINER.value:
        raise InputError("stage export needs a container deployment (deploy mode container)")
    target = request.export or (export_target(request.site) if request.site else None)
    if target is None:
        raise InputError(f"site {request.site or '(none)'} runs the engine's images directly: "
                         "nothing to export (name a target: edf, sarus, apptainer, enroot)")
    image = str(deployment["image"])
    out = workdir / "export" / f"{file_stem(image)}-{target}"
    facts = load_site(request.site) if request.site else None
    done = export_image(image, target, out, docker_save, site=facts)
    return {"image": image, "target": target, "site": request.site,
            "directory": str(done.directory), "files": done.files, "commands": done.commands}
