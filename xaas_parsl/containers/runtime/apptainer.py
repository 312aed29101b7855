"""Apptainer (Aurora): ``apptainer exec`` lines and ``.def`` recipes; generated, not run here.

Apptainer always runs as the invoking user (no ``--user``), shares the host network unless
``--net`` is given, and reaches GPUs through flags: ``--nv`` (NVIDIA), ``--rocm`` (AMD) or, for
Intel GPUs as on Aurora, the ``/dev/dri`` render nodes bound into a contained ``/dev`` plus the
Level Zero variables (``ZE_FLAT_DEVICE_HIERARCHY``, ``ZE_AFFINITY_MASK``). MPI uses the hybrid
model: the site launcher (``mpiexec`` on Aurora) starts one ``apptainer exec`` per rank.

Apptainer cannot be installed here (docs/containers-sites.md): the argv and recipes are tested
against the documented syntax, and ``run`` executes them only where ``apptainer`` is on PATH (the
site).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xaas_parsl.containers.runtime.base import Capabilities, ContainerRuntime, RunResult, RunSpec
from xaas_parsl.containers.runtime.launch import SiteShape, execute, visible_devices
from xaas_parsl.errors import InputError
from xaas_parsl.safety import setting

#: Environment variable that selects GPUs inside the container, per vendor.
VISIBLE_DEVICES_ENV = {"nvidia": "CUDA_VISIBLE_DEVICES", "amd": "ROCR_VISIBLE_DEVICES",
                       "intel": "ZE_AFFINITY_MASK"}


class ApptainerRuntime(ContainerRuntime):
    """``apptainer exec`` of a ``.sif`` image, launched by the site's MPI launcher when asked."""

    name = "apptainer"

    def __init__(self, site: SiteShape | None = None, executable: str = "apptainer") -> None:
        self.site = site or SiteShape()
        self.executable = executable

    def capabilities(self) -> Capabilities:
        return Capabilities(
            build=True, run=True, gpu_flags=("--nv", "--rocm", "--bind /dev/dri"),
            mpi_hook=None, bind_mounts=True, verified_here=False,
            notes=("generated only: apptainer is not installable here",
                   "runs as the invoking user; RunSpec.user is not applicable",
                   "MPI: hybrid model (site launcher starts one container per rank); ranks "
                   "keep the host network and environment (PMI), so --net/--cleanenv are off",
                   "build: `apptainer build IMAGE.sif IMAGE.def` from a docker-archive"))

    def gpu_args(self, spec: RunSpec) -> list[str]:
        """GPU flags and device-selection variables for ``spec.gpus``."""
        if spec.gpus is None:
            return []
        node = self.site.node
        if node and node.gpu_vendor and node.gpu_vendor != spec.gpus.vendor:
            raise InputError(f"{spec.gpus.vendor} GPUs requested; the site's nodes have "
                             f"{node.gpu_vendor} GPUs")
        env: list[tuple[str, str]] = []
        if spec.gpus.vendor == "nvidia":
            args = ["--nv"]
        elif spec.gpus.vendor == "amd":
            args = ["--rocm"]
        else:
            # Level Zero sees the GPUs through the DRM render nodes; with a contained /dev
            # they must be bound explicitly. FLAT exposes each tile as a device (per-tile
            # binding, Aurora's default for one rank per tile), COMPOSITE one device per GPU.
            args = ["--bind", "/dev/dri:/dev/dri"]
            flat = self.site.gpu_binding == "per-tile"
            env.append(("ZE_FLAT_DEVICE_HIERARCHY", "FLAT" if flat else "COMPOSITE"))
        ids: Sequence[str] = ()
        if node and node.gpus:
            count = len(node.accelerators) if spec.gpus.vendor == "intel" and \
                self.site.gpu_binding == "per-tile" else node.gpus
            ids = [str(i) for i in range(count)]
        mask = visible_devices(spec.gpus.count, ids)
        if mask is not None:
            env.append((VISIBLE_DEVICES_ENV[spec.gpus.vendor], mask))
        for key, value in env:
            args += ["--env", f"{key}={value}"]
        return args

    def run_argv(self, spec: RunSpec) -> list[str]:
        argv = self.site.launch(spec)
        argv += [self.executable, "exec", "--contain"]
        if spec.mpi is None:
            argv.append("--cleanenv")
            if spec.network != "host":
                argv += ["--net", "--network", spec.network]
        for bind in spec.binds:
            argv += ["--bind", f"{bind.source}:{bind.target}:{'ro' if bind.read_only else 'rw'}"]
        for key, value in spec.env:
            argv += ["--env", f"{key}={value}"]
        if spec.workdir:
            argv += ["--pwd", spec.workdir]
        argv += self.gpu_args(spec)
        return [*argv, spec.image, *spec.command]

    def build_argv(self, sif: str, definition: str) -> list[str]:
        """``apptainer build IMAGE.sif IMAGE.def`` (unprivileged from a docker-archive)."""
        return [self.executable, "build", sif, definition]

    def available(self) -> bool:
        import shutil

        return shutil.which(self.executable) is not None

    def run(self, spec: RunSpec, timeout_s: float | None = None) -> RunResult:
        return execute(self.executable, self.run_argv(spec), timeout_s)


def render_def(archive: str, labels: Mapping[str, str], env: Sequence[tuple[str, str]],
               entrypoint: Sequence[str], cmd: Sequence[str], workdir: str | None) -> str:
    """An Apptainer definition file bootstrapping from a docker-archive tar.

    ``Bootstrap: docker-archive`` with ``From: <tar>`` needs no registry and no root; the image
    configuration (labels, environment, entrypoint/cmd, working directory) is carried over
    into ``%labels``, ``%environment`` and ``%runscript``, as ``apptainer build`` does for
    ``docker://`` sources. The configuration comes from the image, so nothing is pasted raw:
    environment keys must be identifiers and label keys single words (``safety.setting``),
    values are shell-quoted or folded onto one line.
    """
    import shlex

    # A line break survives shell quoting, and a following line starting with % would open a
    # section of the definition (%post runs as root at build time): refused, not folded,
    # since folding would change the value.
    for value in [*(v for _, v in env), *entrypoint, *cmd, workdir or ""]:
        if "\n" in value or "\r" in value:
            raise InputError(f"image configuration value {value!r} has a line break, which a "
                             "definition file cannot hold", archive)
    lines = ["Bootstrap: docker-archive", f"From: {archive}", ""]
    if labels:
        lines.append("%labels")
        lines += [f"    {setting('label_key', key, archive)} {_one_line(value)}"
                  for key, value in sorted(labels.items())]
        lines.append("")
    if env:
        lines.append("%environment")
        lines += [f"    export {setting('env_key', key, archive)}={shlex.quote(value)}"
                  for key, value in env]
        lines.append("")
    # Docker semantics: arguments replace CMD; ENTRYPOINT (if any) is always the program.
    lines.append("%runscript")
    if workdir:
        lines.append(f"    cd {shlex.quote(workdir)}")
    if cmd:
        lines.append(f"    if [ $# -eq 0 ]; then set -- {shlex.join(cmd)}; fi")
    prefix = f"{shlex.join(entrypoint)} " if entrypoint else ""
    lines.append(f"    exec {prefix}\"$@\"")
    return "\n".join(lines) + "\n"


def _one_line(value: str) -> str:
    return " ".join(str(value).split())
