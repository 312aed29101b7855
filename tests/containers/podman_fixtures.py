"""Session fixtures for the real-Podman tests: a static test binary, a private Podman store
(vfs, under a temporary directory) and a registry-free image imported into it. Test modules
load them with ``pytest_plugins = ["tests.containers.podman_fixtures"]``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import infra_missing
from xaas_parsl.containers.runtime.podman import PodmanRuntime
from xaas_parsl.errors import ToolError

HELLO_C = Path(__file__).with_name("hello.c")
IMAGE = "localhost/xaas-hello:test"


def _rootfs(tmp_path_factory: pytest.TempPathFactory, gcc: str) -> Path:
    if shutil.which(gcc) is None:
        infra_missing(f"{gcc} is not installed")  # setup installs gcc and the arm64 cross gcc
    work = tmp_path_factory.mktemp("rootfs")
    binary = work / "hello"
    proc = subprocess.run([gcc, "-static", "-Os", "-o", str(binary), str(HELLO_C)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        infra_missing(f"static linking is not possible here: {proc.stderr.strip()[-200:]}")
    tarball = work / "rootfs.tar"
    with tarfile.open(tarball, "w") as tar:
        for name in ("bin", "data", "tmp"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
            tar.addfile(info)
        tar.add(binary, arcname="bin/hello")
    return tarball


@pytest.fixture(scope="session")
def hello_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root file system tar holding only ``/bin/hello`` (static) and empty dirs."""
    return _rootfs(tmp_path_factory, "gcc")


@pytest.fixture(scope="session")
def hello_rootfs_arm64(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same for aarch64 (Debian's cross gcc, static: runs under qemu-aarch64)."""
    return _rootfs(tmp_path_factory, "aarch64-linux-gnu-gcc")


@pytest.fixture(scope="session")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PodmanRuntime]:
    """A private Podman store for the whole session (removed afterwards)."""
    if shutil.which("podman") is None:
        infra_missing("podman is not installed (apt-get install podman)")
    root = tmp_path_factory.mktemp("podman")
    runtime = PodmanRuntime.private(root)
    yield runtime
    runtime.reset_store()


@pytest.fixture(scope="session")
def hello_image(podman: PodmanRuntime, hello_rootfs: Path) -> str:
    """``localhost/xaas-hello:test`` imported into the private store, with CMD/ENV/LABEL.

    As root (CI) a failing import is a test failure; rootless Podman needs subuid/subgid
    mappings a CI user may lack, so there it skips with Podman's message."""
    try:
        podman.import_rootfs(hello_rootfs, IMAGE, changes=[
            'CMD ["/bin/hello"]', "ENV XAAS_GREETING=hi", "LABEL org.xaas.app=hello",
            "WORKDIR /data"])
    except ToolError as exc:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"rootless podman cannot import here: {exc}")
    return IMAGE


@pytest.fixture(scope="session")
def hello_image_arm64(podman: PodmanRuntime, hello_rootfs_arm64: Path) -> str:
    """``localhost/xaas-hello:test-aarch64``: the arm64 image (its Architecture field is
    ``arm64``), as sites with GH200 nodes (Alps) need."""
    ref = IMAGE + "-aarch64"
    podman.import_rootfs(hello_rootfs_arm64, ref, changes=['CMD ["/bin/hello"]'], arch="arm64")
    return ref
