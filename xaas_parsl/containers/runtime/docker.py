"""Docker: the runtime that really runs here (``dockerd`` with the vfs storage driver).

``run_argv`` renders the ``docker run`` line a user would type for a ``RunSpec`` (for docs,
logs and sites that use the CLI); ``run`` does the same through the Docker SDK, so nothing is
parsed from CLI output. The site conventions are applied in both: the invoking user's uid:gid
unless the spec names one, ``--network none`` unless the spec says otherwise, a read-only root
file system (the image, which holds the app, cannot be changed; ``/tmp`` is a tmpfs), bind
mounts read-only unless declared writable, and the container removed afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from xaas_parsl.containers.runtime.base import (
    Capabilities,
    ContainerRuntime,
    GpuRequest,
    RunResult,
    RunSpec,
    invoking_user,
    oci_run_options,
)
from xaas_parsl.errors import InputError, ToolError


def gpu_args(gpus: GpuRequest) -> list[str]:
    """Docker's GPU flags: ``--gpus`` (NVIDIA container toolkit) or the device nodes."""
    if gpus.vendor == "nvidia":
        return ["--gpus", "all" if gpus.count is None else f"count={gpus.count}"]
    if gpus.vendor == "amd":
        return ["--device", "/dev/kfd", "--device", "/dev/dri", "--group-add", "video"]
    return ["--device", "/dev/dri"]  # Intel: Level Zero through the DRM render nodes


def container_command(spec: RunSpec) -> list[str]:
    """The command inside: MPI has no Docker hook, so ranks start with the image's mpiexec."""
    if spec.mpi and spec.mpi.ranks > 1:
        return ["mpiexec", "-n", str(spec.mpi.ranks), *spec.command]
    return list(spec.command)


class DockerRuntime(ContainerRuntime):
    """The Docker engine through its Python SDK."""

    name = "docker"

    def capabilities(self) -> Capabilities:
        """Build and run are real here; GPU flags are rendered, not run (no GPU here)."""
        return Capabilities(
            build=True, run=True, gpu_flags=("--gpus", "--device"), mpi_hook=None,
            bind_mounts=True, verified_here=True,
            notes=("builds, deployments and runs verified against dockerd 20.10 (vfs) by "
                   "tests/containers", "GPU flags rendered only: no GPU on this machine",
                   "no MPI hook: ranks use the image's own mpiexec"))

    def run_argv(self, spec: RunSpec) -> list[str]:
        """``docker run`` with the site conventions applied."""
        argv = ["docker", "run", "--rm", "--network", spec.network,
                "--user", spec.user or invoking_user(), "--read-only", "--tmpfs", "/tmp"]
        argv += oci_run_options(spec)
        if spec.gpus:
            argv += gpu_args(spec.gpus)
        return [*argv, spec.image, *container_command(spec)]

    def available(self) -> bool:
        """Whether a Docker engine answers."""
        from xaas_parsl.containers.engine import probe

        return probe() is None

    def run(self, spec: RunSpec, timeout_s: float | None = None) -> RunResult:
        """Run ``spec`` in a fresh container; exit code, stdout, stderr and wall time."""
        import docker

        from xaas_parsl.containers import labels as L
        from xaas_parsl.containers.engine import connect, get_image, owner, remove_named

        client = connect(timeout=int(timeout_s or 3600) + 60)
        get_image(client, spec.image)
        for bind in spec.binds:
            if not os.path.isabs(bind.source) or not os.path.exists(bind.source):
                raise InputError("bind mount source must be an existing absolute path",
                                 bind.source)
        kwargs: dict[str, Any] = {
            "user": spec.user or invoking_user(), "network_mode": spec.network,
            "read_only": True, "tmpfs": {"/tmp": "rw,exec,nosuid,size=1g"},
            "volumes": {b.source: {"bind": b.target, "mode": "ro" if b.read_only else "rw"}
                        for b in spec.binds},
            "environment": dict(spec.env), "working_dir": spec.workdir,
        }
        if spec.gpus and spec.gpus.vendor == "nvidia":
            kwargs["device_requests"] = [docker.types.DeviceRequest(
                count=-1 if spec.gpus.count is None else spec.gpus.count,
                capabilities=[["gpu"]])]
        elif spec.gpus:
            kwargs["devices"] = [f"{d}:{d}" for d in gpu_args(spec.gpus)[1::2]
                                 if d.startswith("/dev/")]
        # named and labelled like the build containers (engine.container): Ctrl-C during the
        # create, which the engine finishes anyway, still finds the container to remove
        kwargs["name"] = f"xaas-run-{uuid.uuid4().hex[:12]}"
        kwargs["labels"] = {L.OWNER: owner()}
        try:
            ctr = client.containers.create(spec.image, container_command(spec), **kwargs)
        except docker.errors.APIError as exc:
            raise ToolError(f"docker could not create the container: {exc.explanation}",
                            spec.image) from None
        except BaseException:
            remove_named(client, kwargs["name"])
            raise
        try:
            start = time.perf_counter()
            try:
                ctr.start()
                status = ctr.wait(timeout=timeout_s or 3600)
            except docker.errors.APIError as exc:
                raise ToolError(f"docker could not start {spec.command[0]!r}: "
                                f"{exc.explanation}", spec.image) from None
            except Exception as exc:  # requests' ReadTimeout: the command ran too long
                ctr.kill()
                raise ToolError(f"{spec.command[0]!r} timed out after {timeout_s} s "
                                f"({type(exc).__name__})", spec.image) from None
            seconds = time.perf_counter() - start
            out = ctr.logs(stdout=True, stderr=False).decode("utf-8", "replace")
            err = ctr.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            return RunResult(int(status.get("StatusCode", 1)), out, err, seconds)
        finally:
            ctr.remove(force=True, v=True)
