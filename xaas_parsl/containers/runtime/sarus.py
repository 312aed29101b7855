"""Sarus 1.6 (Ault): ``sarus load`` / ``sarus run`` lines; generated, not run here.

Sarus imports a docker-archive with ``sarus load FILE NAME`` (the image is then
``load/library/NAME:TAG``) and runs as the invoking user with the host network; there is no
``--user`` and no ``--network``. GPUs need no flag: the NVIDIA Container Toolkit hook activates
when ``CUDA_VISIBLE_DEVICES`` is set, which Slurm does for ``--gpus-per-node``. MPI uses the
native MPI hook (``sarus run --mpi``), which swaps the image's MPICH-ABI MPI for the host's, so
containers are started by ``srun --mpi=pmi2``.

Sarus cannot be installed here (docs/containers-sites.md): the argv are tested against the
documented syntax and ``run`` executes them only where ``sarus`` is on PATH (the site).
"""

from __future__ import annotations

import shutil

from xaas_parsl.containers.runtime.base import Capabilities, ContainerRuntime, RunResult, RunSpec
from xaas_parsl.containers.runtime.launch import SiteShape, execute
from xaas_parsl.errors import InputError


def loaded_name(name: str) -> str:
    """The reference ``sarus images`` shows for ``sarus load FILE name[:tag]``."""
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    return f"load/library/{repo}:{tag or 'latest'}"


class SarusRuntime(ContainerRuntime):
    """``srun ... sarus run`` of a loaded image."""

    name = "sarus"

    def __init__(self, site: SiteShape | None = None, executable: str = "sarus") -> None:
        self.site = site or SiteShape(launcher="srun")
        self.executable = executable

    def capabilities(self) -> Capabilities:
        return Capabilities(
            build=False, run=True, gpu_flags=("srun --gpus-per-node (NVIDIA hook)",),
            mpi_hook="--mpi", bind_mounts=True, verified_here=False,
            notes=("generated only: sarus is not installable here",
                   "images come from `sarus load IMAGE.tar NAME` (docker-archive), no build",
                   "runs as the invoking user with the host network; RunSpec.user and "
                   "RunSpec.network are not applicable"))

    def run_argv(self, spec: RunSpec) -> list[str]:
        if spec.gpus is not None and spec.gpus.vendor != "nvidia":
            raise InputError(f"Sarus on this site provides NVIDIA GPUs only, not "
                             f"{spec.gpus.vendor}")
        argv = self.site.launch(spec, always=True, gpus_by_launcher=True)
        argv += [self.executable, "run"]
        if spec.mpi is not None and spec.mpi.use_host_mpi:
            argv.append("--mpi")
        for bind in spec.binds:
            mount = f"--mount=type=bind,source={bind.source},destination={bind.target}"
            argv.append(mount + (",readonly" if bind.read_only else ""))
        for key, value in spec.env:
            argv.append(f"--env={key}={value}")
        if spec.workdir:
            argv.append(f"--workdir={spec.workdir}")
        return [*argv, spec.image, *spec.command]

    def load_argv(self, archive: str, name: str) -> list[str]:
        """``sarus load ARCHIVE NAME``: import a docker-archive (run it on a compute node)."""
        return [self.executable, "load", archive, name]

    def available(self) -> bool:
        return shutil.which(self.executable) is not None

    def run(self, spec: RunSpec, timeout_s: float | None = None) -> RunResult:
        return execute(self.executable, self.run_argv(spec), timeout_s)
