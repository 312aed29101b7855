"""The showcase's XaaS deployment: the IR container when a Docker engine answers, else native.

Both paths are the one deployment pipeline (``xaas_parsl.deploy.pipeline.drive``), once per
configuration (the chosen and the portable one), with an artifact that holds both.
Container mode deploys them from the app's IR container (planned inside, lowered inside, lean
runtime image out; a repeated run reuses the content-hashed tags), runs the app's own test in
the chosen image, and copies the two install trees out of the lean images. The kernel timings
and the flare's workers then run those exact binaries on the host: a ``docker run`` costs
~10 s here (vfs storage copies the root file system per container), which would swamp an
8-worker flare, and the kernel time is what heat2d itself reports, so where the binary runs
does not enter the figure. Native mode (no engine, or ``deploy: native``) deploys both
configurations from a native IR bundle and runs the test there; the report says which mode
ran and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xaas_parsl.deploy import DeployRequest, Mode, Stage, pipeline
from xaas_parsl.descriptor.app import AppDescriptor


def bases_missing(arch: str | None = None) -> list[str]:
    """Base images (toolchain, runtime) of ISA family ``arch`` the engine lacks: ``xaas
    images bootstrap`` makes them (debootstrap, ~4 minutes the first time here, cached after).
    """
    from xaas_parsl.containers.engine import connect, has_image
    from xaas_parsl.containers.images import base_images

    client = connect(timeout=60)
    return [img.ref for img in base_images(arch=arch).values()
            if not has_image(client, img.ref)]


def bootstrap(arch: str | None = None) -> list[dict[str, Any]]:
    """Make the base images (``containers.images.bootstrap``)."""
    from xaas_parsl.containers.images import bootstrap as make

    return make(arch=arch)


def _deploy_each(app: AppDescriptor, mode: Mode, plan: dict[str, Any], workdir: Path,
                 system: dict[str, Any]
                 ) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]:
    """Build the artifact holding every configuration of ``plan`` once (its ISA family),
    deploy each role as planned (the chosen one tuned for the node, checked against
    ``system``), test the chosen one; (artifact, deployment per role, tests)."""
    names = tuple(plan["bundle"]["configs"])
    artifact: dict[str, Any] | None = None
    deployed: dict[str, dict[str, Any]] = {}
    tests: dict[str, Any] = {}
    for role, entry in plan["roles"].items():
        stages = (Stage.DEPLOY, Stage.TEST) if role == "chosen" else (Stage.DEPLOY,)
        done = pipeline.drive(DeployRequest(
            app=str(app.path), workdir=str(workdir), mode=mode,
            configuration=entry["configuration"], configs=names, system=system,
            artifact=artifact, arch=plan["arch"], cpu=entry["cpu"] or "baseline",
            stages=stages if artifact is not None else (Stage.BUILD, *stages)))
        artifact = done.record("artifact")
        deployed[role] = done.record("deployment")
        if done.tests is not None:
            tests = done.tests
    assert artifact is not None
    return artifact, deployed, tests


def deploy_native(app: AppDescriptor, plan: dict[str, Any], system: dict[str, Any],
                  builds: Path) -> dict[str, Any]:
    """Both configurations from one native IR bundle; the chosen one's tests run."""
    bundle, deployed, tests = _deploy_each(app, Mode.IR, plan, builds, system)
    out = {role: {"config": d["configuration"], "prefix": d["prefix"],
                  "lowered": d.get("lowered"), "cpu_flags": d.get("cpu_flags")}
           for role, d in deployed.items()}
    return {"deployments": out, "tests": tests,
            "bundle": {k: bundle[k] for k in ("compile_jobs", "unique_irs", "reduction")}}


def deploy_container(app: AppDescriptor, plan: dict[str, Any], system: dict[str, Any],
                     builds: Path) -> dict[str, Any]:
    """Both configurations from the IR container; the chosen image's tests run inside it."""
    image, deployed, tests = _deploy_each(app, Mode.CONTAINER, plan, builds, system)
    out = {role: {"config": d["configuration"], "image": d["image"], "from": d["from_image"],
                  "reused": d["reused"], "seconds": d["timings"]["deploy_s"],
                  "content_hash": d["content_hash"], "prefix": d["prefix"]}
           for role, d in deployed.items()}
    tests = {k: v for k, v in tests.items() if k not in ("app", "configuration")}
    return {"deployments": out, "tests": tests, "ir_image": image["image"],
            "ir_image_built": not image["reused"]}
