"""The Docker engine edge: connecting, running throw-away containers, moving files in and out.

Every image this package writes is made without a Dockerfile: a container is *created* from a
base image, files are put into it as a tar stream (``put_archive``), optionally a command runs
in it, and the container is committed with explicit labels and environment. Why not
``docker build``: the build context, ``ARG``s and ``RUN`` lines end up in the image history,
which is exactly where host paths and build secrets leak; a commit records only what we pass.
Containers are always removed afterwards (vfs storage copies the whole root file system per
container, so leftovers cost gigabytes), also after Ctrl-C or SIGTERM (see :func:`container`),
and images are tagged only after everything succeeded: the commit that tags is the last step,
and the engine makes it atomically, so an interrupted build leaves no partial tagged image.
"""

from __future__ import annotations

import io
import os
import socket
import tarfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xaas_parsl.errors import InputError, ToolError

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container
    from docker.models.images import Image

SKIPPED = {"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
CREATE_WAIT_S = 4.0  # how long an interrupted create may take to show its container
START_HINT = ("start it as root with `dockerd --storage-driver=vfs &` "
              "(apt-get install docker.io), or run ./scripts/setup.sh")


def connect(timeout: int = 600) -> docker.DockerClient:
    """A client of the Docker engine named by ``DOCKER_HOST`` (default: the local socket).

    A missing SDK, a missing socket and an engine that does not answer are one ``ToolError``
    each, saying what is missing and how to start it.
    """
    try:
        import docker
    except ImportError:  # pragma: no cover - install_requires has it
        raise ToolError("the docker Python SDK is not installed (pip install docker)") from None
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if host.startswith("unix://") and not Path(host[len("unix://"):]).exists():
        raise ToolError(f"no Docker engine: socket {host[len('unix://'):]} does not exist; "
                        f"{START_HINT}")
    try:
        client = docker.DockerClient(base_url=host, timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        raise ToolError(f"the Docker engine at {host} does not answer ({_short(exc)}); "
                        f"{START_HINT}") from None
    return client


def probe(timeout: int = 10) -> str | None:
    """Whether a Docker engine answers here: ``None`` when it does, else the one line saying
    why not (the demo and the showcase print it when they fall back to a native deployment,
    tests skip or fail with it)."""
    try:
        connect(timeout=timeout).close()
    except ToolError as exc:
        return exc.one_line()
    return None


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200]


def get_image(client: docker.DockerClient, ref: str) -> Image:
    """The image ``ref`` or an ``InputError`` saying it is not in the engine (no registry)."""
    import docker

    try:
        return client.images.get(ref)
    except docker.errors.ImageNotFound:
        raise InputError("no such image in the Docker engine (no registry is used; build it "
                         "first, see `xaas images bootstrap` / `xaas container ... build`)",
                         ref) from None
    except (docker.errors.NullResource, docker.errors.APIError) as exc:
        raise bad_reference(exc, ref) from None


def has_image(client: docker.DockerClient, ref: str) -> bool:
    """Whether ``ref`` exists in the engine."""
    import docker

    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return False
    except (docker.errors.NullResource, docker.errors.APIError) as exc:
        raise bad_reference(exc, ref) from None
    return True


def bad_reference(exc: Exception, ref: str) -> InputError:
    """The engine's answer to an image reference it cannot parse, as one line (the raw
    ``docker.errors.APIError`` is an HTTP error with the request URL)."""
    explanation = getattr(exc, "explanation", None) or str(exc)
    reason = explanation.rsplit(": ", 1)[-1] if "invalid reference" in explanation \
        else explanation
    return InputError(f"not a valid image reference: {reason}", ref or '""')


def tar_of(entries: dict[str, Path | bytes], mode: int = 0o644) -> bytes:
    """A tar stream: archive name → host file/directory (recursively) or file content.

    Owners are reset to root and names are relative, so neither host users nor host paths
    reach the image; ``__pycache__``, ``.git`` and CMake build trees (a directory holding a
    ``CMakeCache.txt``, full of absolute host paths) are skipped.
    """

    def cleaner(name: str, root: Path) -> Callable[[tarfile.TarInfo], tarfile.TarInfo | None]:
        def clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
            parts = Path(info.name).parts
            if any(p in SKIPPED for p in parts):
                return None
            host = root / Path(info.name).relative_to(name)
            if info.isdir() and (host / "CMakeCache.txt").is_file():
                return None
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            return info
        return clean

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, value in entries.items():
            if isinstance(value, bytes):
                info = tarfile.TarInfo(name)
                # fixed mtime: equal content gives an equal stream (images are cached by it)
                info.size, info.mode, info.mtime = len(value), mode, 0
                tar.addfile(info, io.BytesIO(value))
            else:
                tar.add(str(value), arcname=name, filter=cleaner(name, value))
    return buf.getvalue()


@contextmanager
def container(client: docker.DockerClient, image: str, command: list[str] | None = None,
              **kwargs: Any) -> Iterator[Container]:
    """A created (not started) container that is removed, whatever happens, on exit.

    Networking is off unless ``network_mode`` is given: builds in containers never fetch.
    Each container is named (``xaas-<hex>`` unless ``name`` is given) and labelled with its
    owner (``org.xaas.owner`` = host:pid). Why the name: creating a container on vfs copies
    the image's root file system and takes seconds, so Ctrl-C often lands inside
    ``create``; the engine finishes the creation anyway, and only the name finds the
    container to remove (:func:`remove_named`).
    """
    from xaas_parsl.containers import labels as L

    kwargs.setdefault("network_mode", "none")
    kwargs.setdefault("name", f"xaas-{uuid.uuid4().hex[:12]}")
    kwargs["labels"] = {**(kwargs.get("labels") or {}), L.OWNER: owner()}
    try:
        made = client.containers.create(image, command, **kwargs)
    except BaseException:
        remove_named(client, kwargs["name"])
        raise
    try:
        yield made
    finally:
        made.remove(force=True, v=True)


def owner() -> str:
    """``host:pid`` of this process (the ``org.xaas.owner`` label of its containers)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def remove_named(client: docker.DockerClient, name: str, wait: float = CREATE_WAIT_S) -> bool:
    """Remove container ``name`` once it exists, waiting at most ``wait`` s for an
    interrupted ``create`` to finish on the engine; whether one was removed."""
    import docker

    deadline = time.monotonic() + wait
    while True:
        try:
            client.containers.get(name).remove(force=True, v=True)
            return True
        except docker.errors.NotFound:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
        except docker.errors.APIError as exc:
            if "already in progress" in str(exc):  # being removed: done
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)


def run_to_end(ctr: Container, what: str, timeout: float = 3600) -> str:
    """Start ``ctr``, wait for it, return its output; a non-zero exit is a ``ToolError``."""
    ctr.start()
    try:
        status = ctr.wait(timeout=timeout)
    except Exception as exc:  # the SDK raises requests' ReadTimeout
        ctr.kill()
        raise ToolError(f"{what}: no result after {timeout:.0f} s ({_short(exc)})") from None
    out: bytes = ctr.logs(stdout=True, stderr=True)
    text = out.decode("utf-8", "replace")
    code = int(status.get("StatusCode", 1))
    if code != 0:
        raise ToolError(f"{what} failed inside the container (exit {code}): "
                        f"{last_error(text)}")
    return text


def exec_json(ctr: Container, argv: list[str], what: str, subject: str | None = None
              ) -> dict[str, Any]:
    """Run ``argv`` in the running ``ctr``; its stdout must be one JSON object.

    An ``xaas`` error inside (``{"error": {"type", "problem"}}``) is raised again here as the
    same class with ``subject`` (the image) as its path: a configuration the app does not
    support stays an ``InputError``, a failing compiler a ``ToolError``.
    """
    import json

    result = ctr.exec_run(argv, demux=True)
    out, err = result.output if isinstance(result.output, tuple) else (b"", b"")
    text = bytes(out or b"").decode("utf-8", "replace")
    if result.exit_code != 0:
        _reraise(text, what, subject)
        raise ToolError(f"{what} failed inside the container (exit {result.exit_code}): "
                        f"{last_error(bytes(err or b'').decode('utf-8', 'replace') + text)}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ToolError(f"{what}: the container printed no JSON result: "
                        f"{last_error(text)}") from None
    if not isinstance(data, dict):
        raise ToolError(f"{what}: expected a JSON object from the container")
    return data


def _reraise(stdout: str, what: str, subject: str | None) -> None:
    import json

    from xaas_parsl import errors

    for line in reversed(stdout.strip().splitlines()):
        try:
            info = json.loads(line).get("error")
        except (ValueError, AttributeError):
            continue
        cls = getattr(errors, str(info.get("type")), None) if isinstance(info, dict) else None
        if isinstance(cls, type) and issubclass(cls, errors.XaasError):
            raise cls(f"{what} failed inside the container: {info['problem']}", subject)


def last_error(text: str) -> str:
    """The most telling line of a failing container's output (``xaas: error:`` first)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if line.startswith("xaas: error:"):
            return line[len("xaas: error:"):].strip()[:400]
    for line in lines:
        if "error" in line.lower():
            return line[:400]
    return lines[-1][:400] if lines else "no output"


def read_archive(ctr: Container, path: str) -> bytes:
    """The tar stream of ``path`` inside ``ctr`` (a file or a directory)."""
    import docker

    try:
        stream, _ = ctr.get_archive(path)
    except docker.errors.NotFound:
        raise ToolError(f"{path} was not produced inside the container") from None
    return b"".join(stream)


def copy_out(image: str, path: str, dest: Path) -> Path:
    """Copy the directory ``path`` of ``image`` to ``dest``, replacing what was there.

    Why replace and not merge: a deployment's install tree copied over an older one would keep
    files the new image no longer has (a stale binary of another configuration). The tree is
    extracted beside ``dest`` first (``.part``), the old ``dest`` removed and the new one
    renamed into place, so an interrupted copy never leaves a mixed tree under ``dest``.
    Archive members are extracted with tarfile's ``data`` filter (no absolute paths, no links
    out of the tree, no device files).
    """
    import shutil

    client = connect(timeout=600)
    try:
        with container(client, image, ["/bin/true"]) as ctr:
            data = read_archive(ctr, path)
    finally:
        client.close()
    staging = dest.with_name(dest.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(staging, filter="data")
        shutil.rmtree(dest, ignore_errors=True)
        (staging / Path(path).name).rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def commit(ctr: Container, ref: str, labels: dict[str, str], env: dict[str, str],
           cmd: list[str] | None = None, workdir: str | None = None) -> Image:
    """Commit ``ctr`` as ``ref`` with exactly these labels, environment and command.

    ``conf`` replaces the container's config (its creation command and environment are not
    carried over), so nothing but what is passed here describes the image.
    """
    repo, _, tag = ref.rpartition(":")
    conf: dict[str, Any] = {"Labels": labels, "Env": [f"{k}={v}" for k, v in env.items()],
                            "Cmd": cmd or ["/bin/sh"], "WorkingDir": workdir or "/"}
    image: Image = ctr.commit(repository=repo, tag=tag, conf=conf)
    return image
