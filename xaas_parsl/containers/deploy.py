"""Deploying a source or IR container for a target: plan inside, build inside, lean image out.

One container of the source/IR image runs for the whole deployment (network off, removed at
the end). In it, ``inside plan`` discovers the node (or reads the ``--system`` file put in) and
intersects; the host computes the content hash of (image ID, mode, configuration, CMake
arguments, runtime base ID) and, when ``<app>:<version>-<config>-<hash>`` already exists,
stops there: a repeated deployment builds nothing. Otherwise ``inside source-build`` or
``inside ir-deploy`` installs the app into ``/opt/xaas/app``, the install tree alone is copied
into a container of the slim runtime image, and that is committed with the ``org.xaas.*``
labels: no source, no IR, no compiler. The tag is set by that commit, the last step, so a
failure anywhere leaves no tag behind.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xaas_parsl
from xaas_parsl.containers import labels as L
from xaas_parsl.containers.engine import (
    commit,
    connect,
    container,
    exec_json,
    get_image,
    has_image,
    read_archive,
    tar_of,
)
from xaas_parsl.containers.images import PATH_ENV, require_base
from xaas_parsl.containers.inside import PREFIX, SYSTEM_FILE
from xaas_parsl.containers.ir_image import INSIDE, target_arch
from xaas_parsl.containers.runtime.base import RunSpec
from xaas_parsl.containers.runtime.docker import DockerRuntime
from xaas_parsl.containers.source import APP_DIR, APP_ENV
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_json
from xaas_parsl.ir.cross import host_arch

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

HASH_VERSION = 1
RUNTIME_ENV = {"PATH": f"{PREFIX}/bin:{PATH_ENV}", "LANG": "C.UTF-8", "XAAS_PREFIX": str(PREFIX)}


def deploy_image(image: str, mode: str, system_file: Path | None = None,
                 config: str | None = None, jobs: int = 2, cpu: str | None = None
                 ) -> dict[str, Any]:
    """Deploy source/IR container ``image`` (``mode`` ``source`` or ``ir``) for a target.

    An IR image of another ISA family (``org.xaas.target.arch``, e.g. aarch64 from the cross
    toolchain) cross-lowers inside and deploys into that family's runtime image (its
    Architecture field ``arm64``); tag and ``org.xaas.arch`` carry the family. ``cpu`` tunes
    the lowering (``xaas ir deploy --cpu``; with ``system_file`` the node is checked too).
    Returns ``{image, config, reused, seconds, plan_s, build_s, arch, ...}``; ``reused`` is
    true when the deployed image already existed and nothing was built.
    """
    client = connect(timeout=3600)
    start = time.perf_counter()
    img = get_image(client, image)
    img_id = str(img.id)
    labels = L.labels_of(img.attrs)
    kind = labels.get(L.KIND)
    if kind != mode:
        raise InputError(f"not a{'n' if mode == 'ir' else ''} {mode} container "
                         f"(org.xaas.kind={kind or 'unset'})", image)
    system = load_json(system_file) if system_file else None
    arch = target_arch(labels) if mode == "ir" else host_arch()
    runtime = require_base(client, "runtime", arch if arch != host_arch() else None)
    runtime_id = client.images.get(runtime).id
    with container(client, img_id, ["sleep", "infinity"], environment=APP_ENV,
                   working_dir=APP_DIR) as ctr:
        if system is not None:
            ctr.put_archive("/", tar_of({SYSTEM_FILE.lstrip("/"): json.dumps(system).encode()}))
        ctr.start()
        argv = [*INSIDE, "plan", mode]
        argv += ["--system", SYSTEM_FILE] if system is not None else []
        argv += ["--config", config] if config else []
        plan = exec_json(ctr, argv, f"planning the deployment of {image}", image)
        flags, tuned = _tuning(arch, system, system_file, cpu) if mode == "ir" else ((), None)
        parts = {"from": img_id, "mode": mode, "config": plan["config"],
                 "cmake_args": plan["cmake_args"], "runtime": runtime_id, "v": HASH_VERSION}
        if flags:  # untuned deployments keep the tags they had before tuning existed
            parts["tuning"] = list(flags)
        digest = L.content_hash(parts)
        ref = L.deployed_ref(labels[L.APP], labels[L.APP_VERSION], plan["config"], digest,
                             arch)
        planned = time.perf_counter()
        result = {"image": ref, "from": image, "mode": mode, "config": plan["config"],
                  "cmake_args": plan["cmake_args"], "content_hash": digest,
                  "arch": arch, "plan_s": round(planned - start, 2)}
        reused = has_image(client, ref)
        built: dict[str, Any] = {}
        install = b""
        if not reused:
            node = ["--system", SYSTEM_FILE] if system is not None else []
            node += ["--tuning", json.dumps(list(flags))]
            built, install = _build_inside(ctr, mode, plan, jobs, labels[L.APP],
                                           node + (["--tuned-for", tuned] if tuned else []))
    if reused:  # the seconds include removing the container (vfs: a full copy to delete)
        return {**result, "reused": True, "build_s": 0.0, "lowered": None, "cpu_flags": None,
                "seconds": round(time.perf_counter() - start, 2)}
    build_s = time.perf_counter() - planned
    new_labels = L.deployed_labels(
        app=labels[L.APP], version=labels[L.APP_VERSION], config=plan["config"], mode=mode,
        flags=plan["cmake_args"], choice=plan["choice"],
        toolchain=labels.get(L.TOOLCHAIN, "unknown"), target=L.target_summary(plan["system"]),
        from_image=img_id, digest=digest, xaas_version=xaas_parsl.__version__)
    new_labels[L.TESTS] = labels.get(L.TESTS, "[]")
    new_labels[L.ARCH] = arch
    lean = write_runtime_image(client, runtime, install, ref, new_labels)
    return {**result, "reused": False, "id": lean, "build_s": round(build_s, 2),
            "lowered": built.get("lowered"), "cpu_flags": built.get("cpu_flags", []),
            "seconds": round(time.perf_counter() - start, 2)}


def _tuning(arch: str, system: dict[str, Any] | None, where: Path | None, cpu: str | None
            ) -> tuple[tuple[str, ...], str | None]:
    """(lowering flags, CPU) for ``cpu`` (None: the baseline; ``node``: the system's CPU),
    computed here with archspec, which the toolchain image does not carry."""
    if cpu is None:
        return (), None
    from xaas_parsl.discovery.load import system_from_data
    from xaas_parsl.ir.node import node_tuning

    info = system_from_data(system, where or "--system") if system is not None else None
    return node_tuning({"arch": arch}, info, cpu)


def _build_inside(ctr: Container, mode: str, plan: dict[str, Any], jobs: int, app: str,
                  tuning: list[str]) -> tuple[dict[str, Any], bytes]:
    """Build/lower the planned configuration in ``ctr``; its result and the install tree.
    ``tuning``: ``ir-deploy``'s ``--system``/``--cpu`` arguments."""
    if mode == "source":
        step = [*INSIDE, "source-build", "--args", json.dumps(plan["cmake_args"]),
                "-j", str(jobs)]
    else:
        step = [*INSIDE, "ir-deploy", "--config", plan["config"], "-j", str(jobs), *tuning]
    built = exec_json(ctr, step, f"building {plan['config']} of {app}", app)
    return built, read_archive(ctr, str(PREFIX.parent))


def write_runtime_image(client: docker.DockerClient, runtime: str, install: bytes, ref: str,
                        labels: dict[str, str]) -> str:
    """Commit the runtime base plus the install tree (tar of ``/opt/xaas``) as ``ref``."""
    with container(client, runtime, ["/bin/true"]) as ctr:
        ctr.put_archive(str(PREFIX.parent.parent), install)
        image = commit(ctr, ref, labels, RUNTIME_ENV, ["/bin/sh"], "/tmp")
    return str(image.id)


def run_image_tests(image: str, timeout_s: float = 600) -> dict[str, Any]:
    """Run the tests named in ``image``'s ``org.xaas.tests`` label in it, site conventions on.

    A test passes on exit 0 and, when it declares ``expect``, that text in its output.
    """
    client = connect()
    labels = L.labels_of(get_image(client, image).attrs)
    tests = json.loads(labels.get(L.TESTS, "[]"))
    if not tests:
        raise InputError("the image declares no tests (label org.xaas.tests)", image)
    runtime = DockerRuntime()
    rows = []
    for test in tests:
        res = runtime.run(RunSpec(image=image, command=tuple(test["command"])), timeout_s)
        passed = res.exit_code == 0 and (not test.get("expect") or
                                         test["expect"] in res.stdout + res.stderr)
        rows.append({"name": test["name"], "passed": passed, "returncode": res.exit_code,
                     "seconds": round(res.seconds, 3), "output": (res.stdout + res.stderr)[-2000:]})
    return {"image": image, "passed": all(r["passed"] for r in rows), "tests": rows}
