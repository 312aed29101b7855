"""The CSCS Container Engine (Alps): EDF ``.toml`` files and ``srun --environment=EDF``.

On Alps a container is a Slurm job-step option: the Environment Definition File (TOML) names
the image (a registry reference or a local squashfs path), bind mounts
(``SOURCE:DESTINATION[:FLAGS]``, flags joined by ``+``), the working directory, environment
and hook annotations (``com.hooks.cxi.enabled`` for Slingshot, ``com.hooks.aws_ofi_nccl.*``
for NCCL). ``srun --environment=/path/x.toml CMD`` then runs CMD inside it on every rank; GPUs
are exposed by the Container Engine's NVIDIA hook and bound by Slurm.

The Container Engine cannot be installed here (docs/containers-sites.md): EDFs are written with
``tomli_w`` and read back with ``tomllib`` in the tests, and ``run`` executes the ``srun`` line only
where Slurm is on PATH (the site).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xaas_parsl.containers.runtime.base import Capabilities, ContainerRuntime, RunResult, RunSpec
from xaas_parsl.containers.runtime.launch import SiteShape, execute
from xaas_parsl.errors import InputError


def _edf_str(value: str) -> str:
    """EDF values expand ``${VAR}``; a literal ``$`` is written ``$$`` (EDF reference)."""
    return value.replace("$", "$$")


def _nest(dotted: Mapping[str, str]) -> dict[str, Any]:
    """``{"com.hooks.cxi.enabled": "true"}`` as nested tables (TOML dotted keys), so the
    rendered file reads ``[annotations.com.hooks.cxi] enabled = "true"`` as documented, not a
    single quoted key."""
    root: dict[str, Any] = {}
    for key, value in sorted(dotted.items()):
        node = root
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return root


class ContainerEngineRuntime(ContainerRuntime):
    """``srun --environment=EDF`` with the EDF rendered from the ``RunSpec``."""

    name = "cscs-container-engine"

    def __init__(self, site: SiteShape | None = None, edf_path: str | None = None,
                 nccl_variant: str | None = None) -> None:
        self.site = site or SiteShape(launcher="srun")
        #: where the EDF will live on the site; None: derived from the image (IMAGE.toml)
        self.edf_path = edf_path
        #: AWS OFI NCCL plugin variant (``cuda12`` on GH200 nodes); None: hook not requested
        self.nccl_variant = nccl_variant

    def capabilities(self) -> Capabilities:
        return Capabilities(
            build=False, run=True, gpu_flags=("srun --gpus-per-node (NVIDIA hook in the CE)",),
            mpi_hook="com.hooks.cxi.enabled", bind_mounts=True, verified_here=False,
            notes=("generated only: the Container Engine exists only on Alps",
                   "image: a squashfs path (from `xaas images export --for edf`) or a "
                   "registry reference; no build",
                   "runs as the invoking user with the host network; RunSpec.user and "
                   "RunSpec.network are not applicable"))

    def edf(self, spec: RunSpec) -> dict[str, Any]:
        """The EDF table for ``spec`` (what ``edf_text`` writes as TOML)."""
        if spec.gpus is not None and spec.gpus.vendor != "nvidia":
            raise InputError(f"the Container Engine on this site provides NVIDIA GPUs only, "
                             f"not {spec.gpus.vendor}")
        data: dict[str, Any] = {"image": _edf_str(spec.image)}
        if spec.binds:
            data["mounts"] = [
                _edf_str(f"{b.source}:{b.target}" + (":ro" if b.read_only else ""))
                for b in spec.binds]
        if spec.workdir:
            data["workdir"] = _edf_str(spec.workdir)
        if spec.env:
            data["env"] = {key: _edf_str(value) for key, value in spec.env}
        annotations: dict[str, str] = {}
        if spec.mpi is not None:
            annotations["com.hooks.cxi.enabled"] = "true"  # Slingshot for libfabric MPIs
        if self.nccl_variant and spec.gpus is not None:
            annotations["com.hooks.aws_ofi_nccl.enabled"] = "true"
            annotations["com.hooks.aws_ofi_nccl.variant"] = self.nccl_variant
        if annotations:
            data["annotations"] = _nest(annotations)
        return data

    def edf_text(self, spec: RunSpec) -> str:
        """The EDF as TOML text."""
        import tomli_w

        return tomli_w.dumps(self.edf(spec))

    def edf_location(self, spec: RunSpec) -> str:
        """Where the EDF is expected on the site (``--environment`` takes a path)."""
        if self.edf_path:
            return self.edf_path
        image = Path(spec.image)
        if image.suffix in {".sqsh", ".squashfs"}:
            return str(image.with_suffix(".toml"))
        raise InputError("the Container Engine needs the EDF path (edf_path=...) when the "
                         f"image {spec.image!r} is not a squashfs file")

    def run_argv(self, spec: RunSpec) -> list[str]:
        argv = self.site.launch(spec, always=True, gpus_by_launcher=True)
        if not argv:
            argv = ["srun"]
        return [*argv, f"--environment={self.edf_location(spec)}", *spec.command]

    def available(self) -> bool:
        return shutil.which("srun") is not None

    def run(self, spec: RunSpec, timeout_s: float | None = None) -> RunResult:
        argv = self.run_argv(spec)
        if shutil.which("srun"):  # on the site: the EDF must exist where --environment points
            from xaas_parsl.fileio import write_atomic

            write_atomic(self.edf_location(spec), self.edf_text(spec))
        return execute("srun", argv, timeout_s)
