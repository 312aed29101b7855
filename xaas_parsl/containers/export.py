"""Shipping images to sites without a registry: ``xaas images export IMAGE --for TOOL``.

Every site tool imports something a local engine can write: Sarus and Apptainer read a
docker-archive tar (``sarus load``, ``Bootstrap: docker-archive``); Enroot/Pyxis and the CSCS
Container Engine run squashfs images, which we make from the archive's flattened layers with
``mksquashfs``. So one primitive is needed from an engine, "save this image as a
docker-archive tar" (``ArchiveSaver``), and Podman and Docker both provide it.

Each export is a directory holding the files to copy and a ``README.txt`` with the exact
commands to run on the site; it appears atomically (built in a sibling temporary directory and
renamed), so an interrupted export never leaves a half-written directory behind.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from xaas_parsl.containers.archive import flatten, make_squashfs, read_archive
from xaas_parsl.containers.runtime.apptainer import ApptainerRuntime, render_def
from xaas_parsl.containers.runtime.base import GpuRequest, RunSpec
from xaas_parsl.containers.runtime.cscs_ce import ContainerEngineRuntime
from xaas_parsl.containers.runtime.launch import SiteShape
from xaas_parsl.containers.runtime.sarus import SarusRuntime, loaded_name
from xaas_parsl.discovery.cpu import normalise_arch
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.sites.facts import SiteFacts

#: Export targets: the site tool that will import the files.
TARGETS = ("sarus", "apptainer", "enroot", "edf")
#: ``save(image, dest)`` writes ``image`` as a docker-archive tar at ``dest``.
ArchiveSaver = Callable[[str, Path], Path]


@dataclass
class ExportResult:
    """What an export wrote and what to run on the site."""

    target: str
    directory: Path
    files: list[str]
    commands: list[str] = field(default_factory=list)


def site_name(image: str) -> str:
    """The image name without the local-store prefix (``localhost/x:1`` → ``x:1``)."""
    for prefix in ("localhost/", "docker.io/library/", "docker.io/"):
        if image.startswith(prefix):
            return image[len(prefix):]
    return image


def file_stem(image: str) -> str:
    """A file name for ``image`` (``xaas/app:1.0`` → ``xaas_app_1.0``)."""
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in site_name(image))
    return stem.strip("._") or "image"


def _shape(site: SiteFacts | None, node_type: str | None, launcher: str) -> SiteShape:
    if site is None:
        return SiteShape(launcher=launcher)
    from xaas_parsl.containers.runtime.registry import site_shape

    return site_shape(site, node_type)


def _gpus(site: SiteFacts | None, node_type: str | None) -> GpuRequest | None:
    if site is None:
        return None
    node = site.node_type(node_type)
    if node.gpus and node.gpu_vendor in ("nvidia", "amd", "intel"):
        return GpuRequest(vendor=node.gpu_vendor)  # type: ignore[arg-type]
    return None


def _argv_line(argv: Sequence[str]) -> str:
    return shlex.join(argv)


def export_image(image: str, target: str, out_dir: Path, save: ArchiveSaver, *,
                 site: SiteFacts | None = None, node_type: str | None = None,
                 site_dir: str | None = None, command: Sequence[str] = ()) -> ExportResult:
    """Write what ``target``'s tool imports for ``image`` into ``out_dir`` (atomically).

    ``site_dir``: the absolute directory the files will be copied to on the site (the EDF
    needs an absolute image path); default: ``out_dir``'s absolute path. ``site``: site facts
    used to render the run line (launcher, GPUs, node list). ``command``: the command the
    README's run line starts (default: the image's entrypoint and cmd).
    """
    if target not in TARGETS:
        raise InputError(f"unknown export target {target!r} (known: {', '.join(TARGETS)})")
    out_dir = Path(out_dir)
    remote = site_dir or str(out_dir.resolve())
    if not remote.startswith("/"):
        raise InputError(f"--site-dir must be an absolute path, got {remote!r}")
    if site is not None:  # before the (slow) save: the engine knows the image's architecture
        known = image_architecture(save, image)
        if known is not None:
            check_architecture(image, known, site, node_type)
    stem = file_stem(image)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        archive = save(image, staging / f"{stem}.tar")
        config = read_archive(archive)
        if site is not None:
            check_architecture(image, config.architecture, site, node_type)
        cmd = tuple(command) or config.command
        if not cmd:
            raise InputError("the image has no entrypoint/cmd; give the command to run", image)
        result = ExportResult(target=target, directory=out_dir, files=[])
        if target == "sarus":
            _sarus(result, image, stem, remote, cmd, _shape(site, node_type, "srun"),
                   _gpus(site, node_type))
        elif target == "apptainer":
            (staging / f"{stem}.def").write_text(render_def(
                f"{stem}.tar", config.labels, config.env, config.entrypoint, config.cmd,
                config.workdir), encoding="utf-8")
            _apptainer(result, stem, remote, cmd, _shape(site, node_type, "mpiexec"),
                       _gpus(site, node_type))
        else:
            rootfs = staging / "rootfs"
            flatten(archive, rootfs)
            make_squashfs(rootfs, staging / f"{stem}.sqsh")
            shutil.rmtree(rootfs)
            archive.unlink()
            if target == "enroot":
                _enroot(result, stem, remote, cmd)
            else:
                from xaas_parsl.containers.runtime.registry import nccl_variant

                runtime = ContainerEngineRuntime(
                    site=_shape(site, node_type, "srun"), edf_path=f"{remote}/{stem}.toml",
                    nccl_variant=nccl_variant(site, node_type) if site else None)
                spec = RunSpec(image=f"{remote}/{stem}.sqsh", command=cmd,
                               gpus=_gpus(site, node_type))
                (staging / f"{stem}.toml").write_text(runtime.edf_text(spec), encoding="utf-8")
                result.files += [f"{stem}.sqsh", f"{stem}.toml"]
                result.commands += [_argv_line(runtime.run_argv(spec))]
        sums = "".join(f"{_sha256(staging / name)}  {name}\n" for name in result.files)
        (staging / "SHA256SUMS").write_text(sums, encoding="utf-8")
        result.files.append("SHA256SUMS")
        (staging / "README.txt").write_text(_readme(image, result, remote, site, node_type),
                                            encoding="utf-8")
        result.files.append("README.txt")
        _publish(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return result


def check_architecture(image: str, architecture: str | None, site: SiteFacts,
                       node_type: str | None) -> None:
    """Refuse an image whose own ``Architecture`` field (the image configuration's, what
    ``docker inspect`` shows; never a tag or label) is not the site nodes' ISA family."""
    node = site.node_type(node_type)
    wanted = normalise_arch(node.architecture)
    found = normalise_arch(architecture) if architecture else None
    if found != wanted:
        where = f"{site.name}" + (f" ({node_type})" if node_type else "")
        raise InputError(f"the image is {architecture or 'of unknown architecture'} "
                         f"({found or '?'}), {where} nodes are {wanted}: build or bootstrap "
                         f"the image for {wanted}", image)


def image_architecture(save: ArchiveSaver, image: str) -> str | None:
    """The image's own ``Architecture`` field from the engine that will save it (``docker
    inspect`` / ``podman image inspect``); ``None`` for another saver (the archive's
    configuration is checked after saving instead)."""
    from xaas_parsl.containers.runtime.podman import PodmanRuntime

    owner = getattr(save, "__self__", None)
    if isinstance(owner, PodmanRuntime):
        return str(owner.inspect_image(image).get("Architecture") or "") or None
    if save is docker_save:
        from xaas_parsl.containers.engine import connect, get_image

        client = connect()
        try:
            return str(get_image(client, image).attrs.get("Architecture") or "") or None
        finally:
            client.close()
    return None


def _sha256(path: Path) -> str:
    """``sha256sum`` of a file, so the copy on the site can be checked (``sha256sum -c``)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sarus(result: ExportResult, image: str, stem: str, remote: str, cmd: Sequence[str],
           shape: SiteShape, gpus: GpuRequest | None) -> None:
    runtime = SarusRuntime(site=shape)
    name = site_name(image)
    load = runtime.load_argv(f"{remote}/{stem}.tar", name)
    spec = RunSpec(image=loaded_name(name), command=tuple(cmd), gpus=gpus)
    result.files.append(f"{stem}.tar")
    result.commands += [_argv_line(["srun", "--ntasks=1", *load]),
                        _argv_line(runtime.run_argv(spec))]


def _apptainer(result: ExportResult, stem: str, remote: str, cmd: Sequence[str],
               shape: SiteShape, gpus: GpuRequest | None) -> None:
    runtime = ApptainerRuntime(site=shape)
    spec = RunSpec(image=f"{remote}/{stem}.sif", command=tuple(cmd), gpus=gpus)
    result.files += [f"{stem}.tar", f"{stem}.def"]
    result.commands += [_argv_line(["cd", remote]),
                        _argv_line(runtime.build_argv(f"{stem}.sif", f"{stem}.def")),
                        _argv_line(runtime.run_argv(spec))]


def _enroot(result: ExportResult, stem: str, remote: str, cmd: Sequence[str]) -> None:
    # enroot import knows docker://, dockerd:// and podman:// only; its images *are* squashfs
    # files, so `enroot create` takes ours directly, and Pyxis runs it as a Slurm option.
    result.files.append(f"{stem}.sqsh")
    result.commands += [_argv_line(["enroot", "create", "--name", stem, f"{remote}/{stem}.sqsh"]),
                        _argv_line(["enroot", "start", stem, *cmd]),
                        _argv_line(["srun", f"--container-image={remote}/{stem}.sqsh", *cmd])]


_README_HEAD = {
    "sarus": "Sarus (e.g. Ault): load the docker-archive on a compute node, then run it.",
    "apptainer": "Apptainer (e.g. Aurora): build the .sif from the recipe, then run it.",
    "enroot": "Enroot / Pyxis: the .sqsh is an Enroot image; create a container or use "
              "srun --container-image.",
    "edf": "CSCS Container Engine (Alps): the EDF points at the squashfs image; run with "
           "srun --environment.",
}


def _readme(image: str, result: ExportResult, remote: str, site: SiteFacts | None,
            node_type: str | None) -> str:
    where = f" for site {site.name}" + (f" (node type {node_type})" if node_type else "") \
        if site else ""
    lines = [f"xaas images export {image} --for {result.target}{where}", "",
             _README_HEAD[result.target], "",
             f"Copy these files to {remote} on the site:"]
    lines += [f"  {name}" for name in result.files]
    lines += ["", "Check the copy there:", f"  cd {shlex.quote(remote)} && sha256sum -c SHA256SUMS",
              "", "Then run there:"]
    lines += [f"  {command}" for command in result.commands]
    return "\n".join(lines) + "\n"


def _publish(staging: Path, out_dir: Path) -> None:
    """Rename the finished staging directory to ``out_dir``; an earlier export is replaced."""
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp made it private; the export is a normal directory
    if out_dir.exists():
        if not out_dir.is_dir():
            raise InputError("exists and is not a directory", out_dir)
        if any(out_dir.iterdir()) and not (out_dir / "README.txt").is_file():
            raise InputError("directory is not empty and not an earlier export; choose "
                             "another -o", out_dir)
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, old)
        os.replace(staging, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, out_dir)


def docker_save(image: str, dest: Path) -> Path:
    """A saver using the Docker engine (SDK ``Image.save``, streamed to ``dest``)."""
    from xaas_parsl.containers.engine import connect, get_image

    client = connect()
    try:
        img = get_image(client, image)
        tmp = dest.with_name(f".{dest.name}.tmp")
        with open(tmp, "wb") as handle:
            for chunk in img.save(named=True):
                handle.write(chunk)
        os.replace(tmp, dest)
    finally:
        client.close()
    return dest


ENGINES = ("auto", "docker", "podman")


def saver_for(engine: str, image: str, podman_root: str | Path | None = None) -> ArchiveSaver:
    """The saver of ``engine``; ``auto`` picks the engine that has ``image`` (Docker first).

    ``podman_root``: a private Podman store (``--root``; vfs driver), as the tests use.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    if engine == "docker":
        return docker_save
    from xaas_parsl.containers.runtime.podman import PodmanRuntime

    podman = PodmanRuntime.private(podman_root) if podman_root else PodmanRuntime()
    if engine == "podman":
        return podman.save_archive
    from xaas_parsl.containers.engine import connect, has_image

    try:
        client = connect(timeout=30)
    except ToolError:
        client = None
    if client is not None:
        try:
            if has_image(client, image):
                return docker_save
        finally:
            client.close()
    if shutil.which("podman") and podman.image_exists(image):
        return podman.save_archive
    raise InputError("no such image in the Docker engine or the podman store (no registry is "
                     "used)", image)
