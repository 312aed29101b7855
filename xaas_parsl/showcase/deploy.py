"""The showcase's XaaS deployment: the IR container when a Docker engine answers, else native.

Container mode deploys the chosen *and* the portable configuration from the app's IR container
(``xaas_parsl.containers``: planned inside, lowered inside, lean runtime image out; a repeated
run reuses the content-hashed tags), runs the app's own test in the chosen image, and copies
the two install trees out of the lean images. The kernel timings and the flare's workers then
run those exact binaries on the host: a ``docker run`` costs ~10 s here (vfs storage copies the
root file system per container), which would swamp an 8-worker flare, and the kernel time is
what heat2d itself reports, so where the binary runs does not enter the figure.
Native mode (no engine, or ``deploy: native``) deploys both configurations from a native IR
bundle (``xaas_parsl.ir``) and runs the test there; the report says which mode ran and why.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.errors import ToolError

INSTALL_IN_IMAGE = "/opt/xaas/app"  # containers.inside.PREFIX


def engine_answers() -> tuple[bool, str]:
    """Whether a Docker engine answers, and the one line saying why not."""
    from xaas_parsl.containers.engine import connect

    try:
        connect(timeout=10).close()
    except ToolError as exc:
        return False, exc.one_line()
    return True, ""


def bases_missing() -> list[str]:
    """Base images (toolchain, runtime) the engine lacks: ``xaas images bootstrap`` makes them
    (debootstrap, ~4 minutes the first time here, cached after)."""
    from xaas_parsl.containers.engine import connect, has_image
    from xaas_parsl.containers.images import base_images

    client = connect(timeout=60)
    return [img.ref for img in base_images().values() if not has_image(client, img.ref)]


def bootstrap() -> list[dict[str, Any]]:
    """Make the base images (``containers.images.bootstrap``)."""
    from xaas_parsl.containers.images import bootstrap as make

    return make()


def deploy_native(app: AppDescriptor, configs: dict[str, str], builds: Path) -> dict[str, Any]:
    """Both configurations from one native IR bundle; the chosen one's tests run."""
    from xaas_parsl import steps
    from xaas_parsl.ir import build_bundle, deploy

    summary = build_bundle(app, builds / f"{app.name}-ir-bundle",
                           sorted(set(configs.values())), quiet=True)
    out: dict[str, Any] = {}
    for role, name in configs.items():
        deployed = deploy(Path(summary["bundle"]), name, quiet=True)
        out[role] = {"config": name, "prefix": str(deployed["install_dir"]),
                     "lowered": deployed.get("lowered")}
    tests = steps.run_tests(str(app.path), {"prefix": out["chosen"]["prefix"],
                                            "configuration": configs["chosen"]})
    return {"deployments": out, "tests": tests,
            "bundle": {k: summary[k] for k in ("compile_jobs", "unique_irs", "reduction")}}


def _ir_image(app: AppDescriptor, needed: list[str]) -> tuple[str, dict[str, Any] | None]:
    """An IR image holding ``needed`` configurations: the app's default one when it does,
    else ``<app>-ir:<version>-showcase`` (built with exactly these when missing)."""
    from xaas_parsl.containers import labels as L
    from xaas_parsl.containers.engine import connect, get_image, has_image
    from xaas_parsl.containers.ir_image import build_ir_image

    client = connect(timeout=3600)
    default = L.ir_ref(app.name, app.version)
    for ref in (default, f"{default}-showcase"):
        if has_image(client, ref):
            held = json.loads(L.labels_of(get_image(client, ref).attrs).get(L.CONFIGS, "[]"))
            if set(needed) <= set(held):
                return ref, None
    target = default if not has_image(client, default) else f"{default}-showcase"
    built = build_ir_image(app, sorted(set(needed)), ref=target)
    return target, built


def _copy_out(ref: str, dest: Path) -> Path:
    """The install tree of a deployed image, copied to ``dest`` (replaced when present)."""
    import shutil

    from xaas_parsl.containers.engine import connect, container, read_archive

    client = connect(timeout=600)
    with container(client, ref, ["/bin/true"]) as ctr:
        data = read_archive(ctr, INSTALL_IN_IMAGE)
    staging = dest.with_name(dest.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(staging, filter="data")
    shutil.rmtree(dest, ignore_errors=True)
    (staging / Path(INSTALL_IN_IMAGE).name).rename(dest)
    shutil.rmtree(staging, ignore_errors=True)
    return dest


def deploy_container(app: AppDescriptor, configs: dict[str, str], system_file: Path,
                     builds: Path) -> dict[str, Any]:
    """Both configurations from the IR container; the chosen image's tests run inside it."""
    from xaas_parsl.containers.deploy import deploy_image, run_image_tests

    image, built = _ir_image(app, list(configs.values()))
    out: dict[str, Any] = {}
    for role, name in configs.items():
        deployed = deploy_image(image, "ir", system_file=system_file, config=name)
        tag = str(deployed["image"]).replace(":", "_").replace("/", "_")
        prefix = _copy_out(str(deployed["image"]), builds / "from-images" / tag)
        out[role] = {"config": name, "image": deployed["image"], "from": image,
                     "reused": deployed["reused"], "seconds": deployed["seconds"],
                     "content_hash": deployed["content_hash"], "prefix": str(prefix)}
    tests = run_image_tests(str(out["chosen"]["image"]))
    return {"deployments": out, "tests": tests, "ir_image": image,
            "ir_image_built": built is not None}
