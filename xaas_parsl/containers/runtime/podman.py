"""Podman (Debian 4.3, daemonless): runs containers for real on this machine.

Podman needs no daemon, so it is the runtime that works wherever the package is installed,
including sites that offer it to users. Images move between Docker and Podman as
docker-archive tars (``podman save --format docker-archive`` / ``podman load``), which is also
what Sarus and Apptainer import, so one archive serves every site.

Storage can be private (``root``/``runroot``/``storage_driver``): tests and one-off exports use
a temporary store with the ``vfs`` driver and never touch the machine's global image store.

Resource limits: as root, Podman raises the container's ``nofile``/``nproc`` limits to the
kernel maximum by default; in a sandbox without ``CAP_SYS_RESOURCE`` runc then fails with
"error setting rlimits ... operation not permitted". We pass limits the caller can always keep:
its own hard ``nofile`` limit and ``nproc`` capped at ``kernel.pid_max`` (larger ``nproc``
values were refused on this machine).

OCI runtime: chosen by probing the host's cgroup layout (:mod:`.cgroups`): on a cgroup-hybrid
host crun refuses to run anything, so runc is used there.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xaas_parsl.containers.runtime.base import (
    Capabilities,
    ContainerRuntime,
    RunResult,
    RunSpec,
    invoking_user,
    oci_run_options,
)
from xaas_parsl.containers.runtime.cgroups import probe_runtime_options
from xaas_parsl.containers.runtime.launch import SiteShape, execute, visible_devices
from xaas_parsl.errors import InputError, ToolError


def inherited_ulimits() -> list[str]:
    """``--ulimit`` options the calling process can grant (see the module docstring)."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    try:
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text().strip())
    except (OSError, ValueError):
        pid_max = 32768
    out = []
    for name, value in (("nofile", nofile), ("nproc", nproc)):
        if name == "nproc":
            value = pid_max if value == resource.RLIM_INFINITY else min(value, pid_max)
        elif value == resource.RLIM_INFINITY:
            value = 1048576
        out += ["--ulimit", f"{name}={value}:{value}"]
    return out


class PodmanRuntime(ContainerRuntime):
    """``podman run`` (and image import/save/load) through argv subprocesses."""

    name = "podman"

    def __init__(self, root: str | Path | None = None, runroot: str | Path | None = None,
                 storage_driver: str | None = None, executable: str = "podman",
                 site: SiteShape | None = None, ulimits: Sequence[str] | None = None,
                 runtime_args: Sequence[str] | None = None) -> None:
        self.root = str(root) if root else None
        self.runroot = str(runroot) if runroot else None
        if self.runroot and len(self.runroot) > 50:
            raise InputError("podman accepts a runroot of at most 50 characters", self.runroot)
        self.storage_driver = storage_driver
        self.executable = executable
        self.site = site or SiteShape()
        self.ulimits = list(ulimits) if ulimits is not None else inherited_ulimits()
        # None: probed on the first run (asks podman for its default OCI runtime)
        self._runtime_args = list(runtime_args) if runtime_args is not None else None

    @classmethod
    def private(cls, root: str | Path, **kwargs: Any) -> PodmanRuntime:
        """A Podman whose whole store lives under ``root`` (vfs driver: no overlay mounts).

        Podman records the runroot in its database and refuses a different one later, and
        limits it to 50 characters; so it is ``root/run`` when short enough, else a directory
        in the system temp dir named by a hash of ``root`` (the same every time).
        """
        base = Path(root).resolve()
        runroot = base / "run"
        if len(str(runroot)) > 50:
            digest = hashlib.sha256(str(base).encode()).hexdigest()[:16]
            runroot = Path(tempfile.gettempdir()) / f"xaas-podman-{digest}"
        return cls(root=base / "storage", runroot=runroot, storage_driver="vfs", **kwargs)

    def base_argv(self) -> list[str]:
        """``podman`` plus the global storage options of this instance."""
        argv = [self.executable]
        if self.root:
            argv += ["--root", self.root]
        if self.runroot:
            argv += ["--runroot", self.runroot]
        if self.storage_driver:
            argv += ["--storage-driver", self.storage_driver]
        return argv

    def capabilities(self) -> Capabilities:
        return Capabilities(
            build=True, run=True,
            gpu_flags=("--device nvidia.com/gpu=all (CDI)", "--device /dev/dri",
                       "--device /dev/kfd"),
            mpi_hook=None, bind_mounts=True, verified_here=True,
            notes=("run, import, save and load verified here (tests/containers/test_podman.py)",
                   "GPU device flags rendered only: no GPU on this machine",
                   "no MPI hook: one rank per container only"))

    def gpu_args(self, spec: RunSpec) -> list[str]:
        """Device flags: CDI names for NVIDIA, DRM/KFD device nodes for Intel/AMD."""
        if spec.gpus is None:
            return []
        if spec.gpus.vendor == "nvidia":
            ids = visible_devices(spec.gpus.count, self._gpu_ids())
            return [arg for i in (ids.split(",") if ids else ["all"])
                    for arg in ("--device", f"nvidia.com/gpu={i}")]
        devices = ["/dev/dri"] if spec.gpus.vendor == "intel" else ["/dev/kfd", "/dev/dri"]
        return [arg for dev in devices for arg in ("--device", dev)]

    def _gpu_ids(self) -> list[str]:
        node = self.site.node
        return [str(i) for i in range(node.gpus)] if node and node.gpus else []

    def run_argv(self, spec: RunSpec) -> list[str]:
        if spec.mpi is not None and spec.mpi.ranks > 1:
            raise InputError(f"podman has no MPI hook: {spec.mpi.ranks} ranks requested; use "
                             "the site's runtime (sarus, apptainer, cscs-container-engine)")
        user = spec.user or invoking_user()
        argv = [*self.base_argv(), "run", "--rm", "--pull=never", *(self._runtime_args or []),
                f"--network={spec.network}", f"--user={user}", *self.ulimits]
        argv += oci_run_options(spec)
        argv += self.gpu_args(spec)
        return [*argv, spec.image, *spec.command]

    # -- the real edge ------------------------------------------------------------------------

    def runtime_args(self) -> list[str]:
        """``--runtime=...`` when this host needs another OCI runtime than podman's default
        (probed once per instance, see :mod:`.cgroups`)."""
        if self._runtime_args is None:
            if shutil.which(self.executable) is None:
                raise ToolError("podman is not installed on this machine (apt-get install podman)")
            default = self._podman("info", "--format", "{{.Host.OCIRuntime.Name}}",
                                   what="info", timeout_s=120).strip()
            self._runtime_args = probe_runtime_options(default)
        return self._runtime_args

    def available(self) -> bool:
        if shutil.which(self.executable) is None:
            return False
        proc = subprocess.run([*self.base_argv(), "version", "--format", "{{.Client.Version}}"],
                              capture_output=True, text=True, check=False, timeout=60)
        return proc.returncode == 0

    def _podman(self, *args: str, what: str, timeout_s: float = 600) -> str:
        argv = [*self.base_argv(), *args]
        result = execute(self.executable, argv, timeout_s)
        if result.exit_code != 0:
            lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
            raise ToolError(f"podman {what} failed (exit {result.exit_code}): "
                            f"{lines[-1] if lines else 'no message'}")
        return result.stdout

    def image_exists(self, image: str) -> bool:
        """Whether ``image`` is in this instance's store."""
        argv = [*self.base_argv(), "image", "exists", image]
        if shutil.which(self.executable) is None:
            raise ToolError("podman is not installed on this machine (apt-get install podman)")
        return subprocess.run(argv, capture_output=True, check=False, timeout=120).returncode == 0

    def require_image(self, image: str) -> None:
        """An ``InputError`` naming ``image`` when the store does not have it (no registry)."""
        if not self.image_exists(image):
            raise InputError("no such image in the podman store (no registry is used; import "
                             "or load it first)", image)

    def run(self, spec: RunSpec, timeout_s: float | None = None) -> RunResult:
        self.require_image(spec.image)
        self.runtime_args()  # probe the host once: run_argv alone renders for another host
        return execute(self.executable, self.run_argv(spec), timeout_s)

    def import_rootfs(self, tarball: str | Path, ref: str, changes: Sequence[str] = (),
                      arch: str | None = None) -> str:
        """``podman import``: a root file system tar becomes image ``ref``; returns its id.
        ``arch``: the image's Architecture field (OCI name: ``arm64``, ``amd64``)."""
        args = ["import", "--quiet", *(["--arch", arch] if arch else [])]
        for change in changes:
            args += ["--change", change]
        return self._podman(*args, str(tarball), ref, what="import").strip()

    def save_archive(self, image: str, dest: str | Path) -> Path:
        """``podman save --format docker-archive`` to ``dest``, atomically (temp + rename)."""
        self.require_image(image)
        out = Path(dest)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            self._podman("save", "--quiet", "--format", "docker-archive", "--output", str(tmp),
                         image, what="save")
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        return out

    def load_archive(self, archive: str | Path) -> list[str]:
        """``podman load`` a docker-archive; returns the loaded image names."""
        if not Path(archive).is_file():
            raise InputError("no such archive", archive)
        out = self._podman("load", "--input", str(archive), what="load")
        return [name.strip() for line in out.splitlines() if line.startswith("Loaded image")
                for name in line.split(":", 1)[1].split(",") if name.strip()]

    def inspect_image(self, image: str) -> dict[str, Any]:
        """``podman image inspect`` of one image (its own ``Architecture`` field is what an
        export for a site checks)."""
        self.require_image(image)
        data = json.loads(self._podman("image", "inspect", image, what="image inspect"))
        return dict(data[0])

    def reset_store(self) -> None:
        """Remove everything in a *private* store (``podman system reset``) and its runroot;
        refused for the default store, which other users of this machine share."""
        if not self.root:
            raise InputError("reset_store() is only for private stores (root=...)")
        if shutil.which(self.executable):
            subprocess.run([*self.base_argv(), "system", "reset", "--force"],
                           capture_output=True, check=False, timeout=300)
        if self.runroot:
            shutil.rmtree(self.runroot, ignore_errors=True)
