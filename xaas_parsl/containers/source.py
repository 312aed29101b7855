"""Source containers and the payload every app image carries (``xaas container source build``).

A source container is the toolchain image plus the app: its source tree, specialization
points and a rewritten ``app.yaml`` under ``/xaas/app``, and this package under
``/opt/xaas/lib`` (so discovery, intersection and the build run inside with the same code).
Nothing runs to make it: a container is created, the payload is put in as a tar stream with
relative names and root ownership, and the container is committed with the ``org.xaas.*``
labels. The image is cached by content: the hash of (base image ID, payload bytes) is a label,
and a second build with nothing changed reuses the image. Deployment (``deploy.py``) then
discovers, intersects and builds inside.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

import xaas_parsl
from xaas_parsl.containers import labels as L
from xaas_parsl.containers.engine import commit, connect, container, has_image, tar_of
from xaas_parsl.containers.images import require_base
from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.fileio import load_yaml

if TYPE_CHECKING:
    import docker

LIB = "/opt/xaas/lib"
# The parts of this package that run inside containers (inside.py and what it imports): only
# these are copied, so the image (and its content hash) does not change with unrelated code.
INSIDE_PARTS = ("__init__.py", "errors.py", "fileio.py", "steps.py", "schemas", "descriptor",
                "discovery", "intersection", "spec", "ir", "cuda", "build",
                "containers/__init__.py",
                "containers/inside.py")
APP_DIR = "/xaas/app"
# Inside app images: our package on the path, no bytecode written into committed layers.
APP_ENV = {"PYTHONPATH": LIB, "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}


def app_payload(app: AppDescriptor) -> bytes:
    """The tar stream of ``/xaas/app`` (source, spec points, app.yaml) and ``/opt/xaas/lib``.

    ``app.yaml`` is rewritten to point at the copied source and spec points with relative
    paths, so no host path travels into the image.
    """
    data = load_yaml(app.path)
    data["source"] = "src"
    data["specialization_points"] = "specialization-points.json"
    descriptor = yaml.safe_dump(data, sort_keys=False).encode("utf-8")
    package = Path(xaas_parsl.__file__).resolve().parent
    entries: dict[str, Path | bytes] = {
        "xaas/app/src": app.source,
        "xaas/app/specialization-points.json": app.spec_path,
        "xaas/app/app.yaml": descriptor,
    }
    for part in INSIDE_PARTS:
        entries[f"opt/xaas/lib/xaas_parsl/{part}"] = package / part
    return tar_of(entries)


def tests_label(app: AppDescriptor) -> str:
    """The app's tests as a label value (commands run from the install prefix's ``bin``)."""
    return json.dumps([{"name": t.name, "command": list(t.command), "expect": t.expect}
                       for t in app.tests], separators=(",", ":"))


def app_labels(app: AppDescriptor, kind: str, toolchain: str) -> dict[str, str]:
    """Labels common to source and IR containers."""
    return {L.KIND: kind, L.APP: app.name, L.APP_VERSION: app.version, L.TOOLCHAIN: toolchain,
            L.TESTS: tests_label(app), L.XAAS_VERSION: xaas_parsl.__version__}


def toolchain_name(client: docker.DockerClient, ref: str) -> str:
    """The toolchain label of base image ``ref``."""
    labels: dict[str, str] = client.images.get(ref).attrs["Config"].get("Labels") or {}
    return labels.get(L.TOOLCHAIN, "unknown")


def build_source_image(app: AppDescriptor, ref: str | None = None) -> dict[str, Any]:
    """Make the source container of ``app``; tagged ``<app>-source:<version>`` by default."""
    client = connect()
    start = time.perf_counter()
    base = require_base(client, "toolchain")
    ref = ref or L.source_ref(app.name, app.version)
    payload = app_payload(app)
    digest = payload_hash(client, base, payload, "source")
    found = cached(client, ref, digest)
    if found is None:
        labels = app_labels(app, "source", toolchain_name(client, base))
        labels[L.CONTENT_HASH] = digest
        with container(client, base, ["/bin/sh"]) as ctr:
            ctr.put_archive("/", payload)
            found = str(commit(ctr, ref, labels, APP_ENV, ["/bin/sh"], APP_DIR).id)
        reused = False
    else:
        reused = True
    return {"image": ref, "id": found, "app": app.name, "version": app.version, "base": base,
            "reused": reused, "seconds": round(time.perf_counter() - start, 1)}


def payload_hash(client: docker.DockerClient, base: str, payload: bytes, *extra: str) -> str:
    """Content hash of an app image: the base image's ID, the payload bytes, the options."""
    return L.content_hash({"base": client.images.get(base).id, "extra": list(extra),
                           "payload": hashlib.sha256(payload).hexdigest()})


def cached(client: docker.DockerClient, ref: str, digest: str) -> str | None:
    """The ID of ``ref`` when it exists and was made from the same content, else ``None``."""
    if not has_image(client, ref):
        return None
    image = client.images.get(ref)
    return str(image.id) if L.labels_of(image.attrs).get(L.CONTENT_HASH) == digest else None
