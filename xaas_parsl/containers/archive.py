"""Docker-archive tars: reading the image configuration, flattening layers, making squashfs.

``docker save``/``podman save`` write the same format: ``manifest.json`` naming a config JSON
and the layer tars in order. Site recipes need the config (labels, env, entrypoint/cmd,
working directory); squashfs images for Enroot and the CSCS Container Engine need the layers
applied into one root file system, with OCI whiteouts honoured and nothing written outside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.safety import inside, path_component


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an image configuration a site recipe carries over."""

    repo_tags: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    workdir: str | None
    labels: dict[str, str]
    architecture: str | None
    layers: tuple[str, ...]

    @property
    def command(self) -> tuple[str, ...]:
        """What ``docker run IMAGE`` would start (entrypoint + cmd)."""
        return (*self.entrypoint, *self.cmd)


def read_archive(archive: Path) -> ImageConfig:
    """Read ``manifest.json`` and the image configuration of a docker-archive tar."""
    try:
        with tarfile.open(archive) as tar:
            manifest = json.loads(_member_bytes(tar, "manifest.json"))
            if not isinstance(manifest, list) or len(manifest) != 1:
                raise InputError("a docker-archive with exactly one image is expected", archive)
            entry = manifest[0]
            config = json.loads(_member_bytes(tar, entry["Config"]))
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        raise InputError(exc.strerror or str(exc), archive) from None
    except (tarfile.TarError, OSError, KeyError, json.JSONDecodeError) as exc:
        raise InputError(f"not a docker-archive tar ({exc})", archive) from None
    inner: dict[str, Any] = config.get("config") or {}
    env = tuple(tuple(item.split("=", 1)) for item in inner.get("Env") or [] if "=" in item)
    return ImageConfig(
        repo_tags=tuple(entry.get("RepoTags") or ()),
        env=env,
        entrypoint=tuple(inner.get("Entrypoint") or ()),
        cmd=tuple(inner.get("Cmd") or ()),
        workdir=inner.get("WorkingDir") or None,
        labels=dict(inner.get("Labels") or {}),
        architecture=config.get("architecture"),
        layers=tuple(entry["Layers"]),
    )


def _member_bytes(tar: tarfile.TarFile, name: str) -> bytes:
    handle = tar.extractfile(name)
    if handle is None:
        raise KeyError(name)
    return handle.read()


def flatten(archive: Path, rootfs: Path) -> None:
    """Apply the archive's layers in order into ``rootfs``, honouring OCI whiteouts.

    ``.wh.NAME`` deletes NAME from lower layers and ``.wh..wh..opq`` empties its directory;
    members that would escape ``rootfs`` (``..``, symlinked parents) and device nodes are
    skipped.
    """
    config = read_archive(archive)
    rootfs.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as outer:
        for layer_name in config.layers:
            handle = outer.extractfile(layer_name)
            if handle is None:
                raise InputError(f"layer {layer_name} missing", archive)
            with tarfile.open(fileobj=handle, mode="r:*") as layer:
                _apply_layer(layer, rootfs)


def _inside(rootfs: Path, path: PurePosixPath) -> bool:
    """Whether writing ``path`` stays in ``rootfs`` (``safety.inside`` without following the
    member itself): no ``..`` and no symlinked parent (a layer's ``etc -> /etc`` must not let
    a later ``etc/passwd`` write the host's file)."""
    try:
        inside(rootfs, path.as_posix(), "layer member", follow_last=False)
    except InputError:
        return False
    return True


def _whiteout_victim(path: PurePosixPath) -> PurePosixPath | None:
    """What ``.wh.NAME`` removes (``NAME`` beside it), or None when NAME is not one file name
    (``.wh.``, ``.wh..``, ``.wh...``: the parent or its parent, never a layer's to remove)."""
    try:
        return path.parent / path_component(path.name[len(".wh."):], "whiteout target")
    except InputError:
        return None


def _apply_layer(layer: tarfile.TarFile, rootfs: Path) -> None:
    for member in layer:
        path = PurePosixPath(member.name.lstrip("/"))
        if not path.parts or not _inside(rootfs, path):
            continue
        if member.isdev() or member.isfifo():
            continue  # device nodes come from the runtime's /dev, never from the image
        if member.islnk() and not _inside(rootfs, PurePosixPath(member.linkname.lstrip("/"))):
            continue
        base = path.name
        target = rootfs / path
        if base == ".wh..wh..opq":
            for child in list(target.parent.iterdir()) if target.parent.is_dir() else []:
                _remove(child)
            continue
        if base.startswith(".wh."):
            victim = _whiteout_victim(path)
            if victim is not None and _inside(rootfs, victim):
                _remove(rootfs / victim)
            continue
        if target.is_symlink() or (target.exists() and not (member.isdir() and target.is_dir())):
            _remove(target)
        # links may be absolute (they resolve inside the container); _inside() above is what
        # keeps writes in rootfs, so the permissive filter is safe here
        if hasattr(tarfile, "fully_trusted_filter"):  # Python >= 3.11.4 knows filters
            layer.extract(member, rootfs, numeric_owner=True, filter="fully_trusted")
        else:  # pragma: no cover - older 3.11 (Debian's 3.11.2): the same behaviour
            layer.extract(member, rootfs, numeric_owner=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def make_squashfs(rootfs: Path, out: Path) -> Path:
    """``mksquashfs ROOTFS OUT``; without root the files are owned by root in the image."""
    if shutil.which("mksquashfs") is None:
        raise ToolError("mksquashfs is not installed (apt-get install squashfs-tools)")
    argv = ["mksquashfs", str(rootfs), str(out), "-noappend", "-no-progress", "-quiet"]
    if os.geteuid() != 0:
        argv.append("-all-root")
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise ToolError(f"mksquashfs failed (exit {proc.returncode}): {last}")
    return out
