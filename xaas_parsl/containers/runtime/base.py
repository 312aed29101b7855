"""The one abstract base every container runtime implements.

Sites differ in how a container is started (``docker run``, ``podman run``, ``apptainer exec``,
``sarus run``, ``srun --environment=EDF``) but a deployment step only needs to say *what* to run:
an image, a command, who runs it, which directories are visible, whether GPUs or MPI are wanted.
``RunSpec`` is that request; a runtime turns it into its own command line (``run_argv``) and,
where the runtime really runs on this machine, executes it (``run``). ``Capabilities`` says what
a runtime can do and whether that was verified for real here, so docs and errors can be honest.
"""

from __future__ import annotations

import abc
import os
from dataclasses import dataclass, field
from typing import Literal

GpuVendor = Literal["nvidia", "amd", "intel"]


@dataclass(frozen=True)
class Bind:
    """A host directory made visible inside the container."""

    source: str
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class GpuRequest:
    """GPUs for the container: ``count`` devices (None = all) of one vendor."""

    vendor: GpuVendor = "nvidia"
    count: int | None = None


@dataclass(frozen=True)
class MpiRequest:
    """MPI inside the container: ranks, and whether the site's MPI hook replaces the image's MPI."""

    ranks: int = 1
    use_host_mpi: bool = True
    ranks_per_node: int | None = None  # None: the launcher's default (Aurora: one per GPU tile)


@dataclass(frozen=True)
class RunSpec:
    """What to run: image, command and the site conventions that apply to it."""

    image: str
    command: tuple[str, ...]
    user: str | None = None  # "uid:gid"; None: the runtime's default (invoking user where it maps)
    network: str = "none"
    binds: tuple[Bind, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    workdir: str | None = None
    gpus: GpuRequest | None = None
    mpi: MpiRequest | None = None


@dataclass(frozen=True)
class RunResult:
    """Outcome of a container run."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float


@dataclass(frozen=True)
class Capabilities:
    """What a runtime can do, and whether it was verified for real on this machine."""

    build: bool
    run: bool
    gpu_flags: tuple[str, ...] = ()
    mpi_hook: str | None = None
    bind_mounts: bool = True
    verified_here: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


def invoking_user() -> str:
    """``uid:gid`` of the process asking for the run (the site convention for containers)."""
    return f"{os.getuid()}:{os.getgid()}"


def oci_run_options(spec: RunSpec) -> list[str]:
    """Binds, environment and working directory as Docker-compatible ``run`` options.

    Docker and Podman share this part of their command-line syntax; keeping it in one place
    keeps the two runtimes' renderings of one ``RunSpec`` identical.
    """
    argv: list[str] = []
    for bind in spec.binds:
        argv += ["--volume", f"{bind.source}:{bind.target}:{'ro' if bind.read_only else 'rw'}"]
    for key, value in spec.env:
        argv += ["--env", f"{key}={value}"]
    if spec.workdir:
        argv += ["--workdir", spec.workdir]
    return argv


class ContainerRuntime(abc.ABC):
    """A container runtime: renders run command lines and, where installed, runs them."""

    name: str

    @abc.abstractmethod
    def capabilities(self) -> Capabilities:
        """What this runtime supports (static facts; ``verified_here`` from the tests' evidence)."""

    @abc.abstractmethod
    def run_argv(self, spec: RunSpec) -> list[str]:
        """The command line (argv, never a shell string) that runs ``spec`` with this runtime."""

    def available(self) -> bool:
        """Whether the runtime can run containers on this machine now."""
        return False

    def run(self, spec: RunSpec, timeout_s: float | None = None) -> RunResult:
        """Run ``spec`` for real; runtimes that cannot run here raise ``ToolError``."""
        from xaas_parsl.errors import ToolError

        raise ToolError(f"{self.name}: not runnable on this machine; use run_argv() on the site")
