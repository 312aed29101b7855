"""IR containers (``xaas container ir build``): the app's IR bundle built inside an image.

The bundle is built *in* a container of the toolchain image (network off), at ``/xaas/bundle``:
its CMake trees hold absolute paths, so building inside puts the paths deployment needs in the
image, and none of the host's. The container is committed as ``<app>-ir:<version>`` only after
the build succeeded; a failing build leaves no tag and the container is removed. When a named
configuration needs the CUDA toolchain (an opt-in GPU configuration), the build runs in the
CUDA variant of the toolchain image (``cuda_image.py``), made on first use.
"""

from __future__ import annotations

import json
import platform
import time
import uuid
from typing import TYPE_CHECKING, Any

from xaas_parsl.containers import labels as L
from xaas_parsl.containers.engine import commit, connect, container, run_to_end
from xaas_parsl.containers.images import require_base
from xaas_parsl.containers.source import (
    APP_DIR,
    APP_ENV,
    app_labels,
    app_payload,
    cached,
    payload_hash,
    toolchain_name,
)
from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.errors import ToolError
from xaas_parsl.ir.cross import family, is_cross

if TYPE_CHECKING:
    import docker

INSIDE = ["python3", "-m", "xaas_parsl.containers.inside"]


def build_ir_image(app: AppDescriptor, configs: list[str] | None = None, jobs: int = 2,
                   ref: str | None = None, mode: str = "split", arch: str | None = None
                   ) -> dict[str, Any]:
    """Build the IR bundle of ``app`` inside a toolchain container and commit it (``mode``:
    the bundle's optimisation split, see ``xaas_parsl.ir.pipeline``). ``arch``: the bundle's
    ISA family (default: this host's); another family's is built in the cross toolchain image
    (``xaas images bootstrap --arch aarch64``), tagged ``<app>-ir:<version>-<arch>`` and
    labelled ``org.xaas.target.arch``."""
    client = connect(timeout=3600)
    start = time.perf_counter()
    fam = family(arch)
    base = toolchain_base(client, app, configs, fam.arch if is_cross(fam) else None)
    ref = ref or L.ir_ref(app.name, app.version, fam.arch)
    argv = [*INSIDE, "ir-build", "-j", str(jobs), "--ir-mode", mode]
    if configs:
        argv += ["--configs", ",".join(configs)]
    extra = []
    if is_cross(fam):
        argv += ["--arch", fam.arch]
        extra = [f"arch={fam.arch}"]
    payload = app_payload(app)
    digest = payload_hash(client, base, payload, "ir", f"mode={mode}", *extra,
                          *(configs or ["all"]))
    found = cached(client, ref, digest)
    reused = found is not None
    if found is None:
        with container(client, base, argv, environment=APP_ENV, working_dir=APP_DIR,
                       name=f"xaas-ir-build-{L.repo_name(app.name)}-{uuid.uuid4().hex[:8]}"
                       ) as ctr:
            ctr.put_archive("/", payload)
            output = run_to_end(ctr, f"IR bundle build of {app.name}")
            summary = _last_json(output)
            labels = app_labels(app, "ir", toolchain_name(client, base))
            labels[L.CONFIGS] = json.dumps(summary["configs"], separators=(",", ":"))
            labels[L.BUNDLE] = json.dumps({k: summary[k] for k in
                                           ("compile_jobs", "unique_irs", "reduction",
                                            "mode", "cuda_device_jobs", "gpu_targets")
                                           if k in summary},
                                          separators=(",", ":"))
            labels[L.CONTENT_HASH] = digest
            labels[L.TARGET_ARCH] = fam.arch
            found = str(commit(ctr, ref, labels, APP_ENV, ["/bin/sh"], APP_DIR).id)
    labels = L.labels_of(client.images.get(found).attrs)
    bundle = json.loads(labels[L.BUNDLE])
    return {"image": ref, "id": found, "app": app.name, "version": app.version,
            "configs": json.loads(labels[L.CONFIGS]), **bundle, "arch": target_arch(labels),
            "reused": reused,
            "seconds": round(time.perf_counter() - start, 1)}


def toolchain_base(client: docker.DockerClient, app: AppDescriptor,
                   configs: list[str] | None, cross: str | None = None) -> str:
    """The image to build ``configs`` of ``app`` in: the cross toolchain image for another ISA
    family ``cross``; else the CUDA toolchain image when one of them needs it (only named
    configurations can: GPU ones are opt-in), else the base toolchain."""
    if cross is not None:
        return require_base(client, "toolchain", cross)
    if configs:
        from xaas_parsl.ir.bundle import select_configs

        needs = {c.toolchain for c in select_configs(app, platform.machine(), configs)}
        if "cuda" in needs:
            from xaas_parsl.containers.cuda_image import ensure_cuda_toolchain

            return str(ensure_cuda_toolchain(client)["image"])
    return require_base(client, "toolchain")


def _last_json(output: str) -> dict[str, Any]:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            data: dict[str, Any] = json.loads(line)
            return data
    raise ToolError("the IR bundle build printed no summary")


def target_arch(labels: dict[str, str]) -> str:
    """The ISA family of the IR an image holds (images from before the label: x86-64)."""
    return labels.get(L.TARGET_ARCH) or "x86_64"


def ir_image_holding(app: AppDescriptor, needed: list[str], jobs: int = 2,
                     arch: str | None = None) -> dict[str, Any]:
    """An IR image of ``app`` that holds every configuration in ``needed``.

    Why not always :func:`build_ir_image`: its cache key includes the configuration list, so
    asking for another set would rebuild the bundle under the same tag and evict the one other
    deployments still use. The app's default image (``<app>-ir:<version>``) is taken when its
    ``org.xaas.configs`` label covers ``needed``, else the ``-extra`` variant when it does;
    otherwise the default tag is built with exactly ``needed`` when it is free, else the
    variant. The result is :func:`build_ir_image`'s record (``reused`` says nothing was built).
    """
    from xaas_parsl.containers.engine import get_image, has_image

    client = connect(timeout=3600)
    start = time.perf_counter()
    fam = family(arch)
    default = L.ir_ref(app.name, app.version, fam.arch)
    variant = f"{default}-extra"
    try:
        for ref in (default, variant):
            if has_image(client, ref):
                image = get_image(client, ref)
                labels = L.labels_of(image.attrs)
                held = json.loads(labels.get(L.CONFIGS, "[]"))
                if set(needed) <= set(held) and target_arch(labels) == fam.arch:
                    return {"image": ref, "id": str(image.id), "app": app.name,
                            "version": app.version, "configs": held, "arch": fam.arch,
                            **json.loads(labels.get(L.BUNDLE, "{}")), "reused": True,
                            "seconds": round(time.perf_counter() - start, 1)}
        target = variant if has_image(client, default) else default
    finally:
        client.close()
    return build_ir_image(app, sorted(set(needed)), jobs, ref=target, arch=fam.arch)
