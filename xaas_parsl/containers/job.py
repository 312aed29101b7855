"""``xaas demo``'s container path: app image → deploy for this node → the app's test inside.

``run_container_job`` is what ``xaas demo`` runs when a Docker engine answers: base images
(bootstrapped once, cached), the app's IR container (or source container), a deployment for
this machine and the app's tests run in the deployed image with the site conventions. Every
step is cached by content, so a second run only plans (in a container) and runs the tests.
The install tree is also copied out of the deployed image to ``workdir`` so that callers that
expect a host prefix (reports, further checks) find one.
"""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path
from typing import Any

from xaas_parsl.containers.deploy import deploy_image, run_image_tests
from xaas_parsl.containers.engine import connect, container, read_archive
from xaas_parsl.containers.images import bootstrap
from xaas_parsl.containers.inside import PREFIX
from xaas_parsl.containers.ir_image import build_ir_image
from xaas_parsl.containers.source import build_source_image
from xaas_parsl.descriptor.app import AppDescriptor


def export_prefix(image: str, dest: Path) -> Path:
    """Copy ``/opt/xaas/app`` of ``image`` to ``dest`` (replaced); returns the prefix."""
    client = connect()
    with container(client, image, ["/bin/true"]) as ctr:
        data = read_archive(ctr, str(PREFIX))
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / PREFIX.name


def run_container_job(app: AppDescriptor, mode: str, configuration: str | None,
                      workdir: Path) -> dict[str, Any]:
    """Build ``app``'s ``mode`` (ir|source) container, deploy it here, test it inside.

    The IR container holds ``configuration`` (the intersection's choice, computed by the
    caller) and the portable ``None`` configuration, not the whole matrix: the main job stays
    quick, and the deployment still chooses among configurations inside the container.
    """
    start = time.perf_counter()
    bases = bootstrap()
    based = time.perf_counter()
    if mode == "ir":
        configs = sorted({c for c in (configuration, "None") if c})
        image = build_ir_image(app, configs)
    else:
        image = build_source_image(app)
    built = time.perf_counter()
    deployed = deploy_image(image["image"], mode)
    placed = time.perf_counter()
    tests = run_image_tests(deployed["image"])
    tested = time.perf_counter()
    prefix = export_prefix(deployed["image"], workdir / "deployed" / deployed["image"].replace(
        ":", "_"))
    deployment = {
        "app": app.name, "configuration": deployed["config"], "cmake_args": deployed["cmake_args"],
        "prefix": str(prefix), "mode": mode, "runtime": "docker", "image": deployed["image"],
        "from_image": image["image"], "reused": deployed["reused"],
        "seconds": round(placed - start, 3),
        "timings": {"bootstrap_s": round(based - start, 2), "image_s": round(built - based, 2),
                    "deploy_s": round(placed - built, 2), "tests_s": round(tested - placed, 2)},
        "base_images": [b["image"] for b in bases],
    }
    if mode == "ir":
        deployment["bundle"] = {k: image[k] for k in ("compile_jobs", "unique_irs", "reduction")}
        deployment["bundle"]["image"] = image["image"]
    return {"deployment": deployment, "tests": tests}
