"""Podman for real: a registry-free image (one static binary) imported, run, saved, loaded, and
moved to and from the Docker engine when one answers. Every Podman call uses a private store
(``--root``/``--runroot`` in a temporary directory, vfs driver), never the machine's."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import infra_missing
from xaas_parsl.containers.archive import read_archive
from xaas_parsl.containers.runtime.base import Bind, GpuRequest, MpiRequest, RunSpec
from xaas_parsl.containers.runtime.podman import PodmanRuntime, inherited_ulimits
from xaas_parsl.errors import InputError, ToolError

pytest_plugins = ["tests.containers.podman_fixtures"]


def test_run_as_user_without_network_with_read_only_bind(podman: PodmanRuntime,
                                                         hello_image: str, tmp_path: Path) -> None:
    data = tmp_path / "input.txt"
    data.write_text("payload 42\n")
    base = RunSpec(image=hello_image, command=(), user="1234:2345",
                   binds=(Bind(str(data), "/data/input.txt", read_only=True),))

    def run(*command: str) -> tuple[int, str]:
        result = podman.run(RunSpec(**{**base.__dict__, "command": command}), timeout_s=60)
        return result.exit_code, result.stdout + result.stderr

    assert run("/bin/hello", "id") == (0, "uid=1234 gid=2345\n")
    assert run("/bin/hello", "cat", "/data/input.txt") == (0, "payload 42\n")
    code, out = run("/bin/hello", "write", "/data/input.txt")
    assert code == 4 and "Read-only file system" in out
    assert data.read_text() == "payload 42\n"
    code, out = run("/bin/hello", "netdev")
    interfaces = {line.split(":")[0].strip() for line in out.splitlines()[2:]}
    assert code == 0 and interfaces == {"lo"}  # --network none: loopback only
    assert run("/bin/hello", "env", "XAAS_GREETING") == (0, "hi\n")  # image ENV kept
    assert run("/bin/hello", "exit", "7")[0] == 7


def test_default_user_is_the_invoking_user_and_binds_can_be_writable(
        podman: PodmanRuntime, hello_image: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    spec = RunSpec(image=hello_image, command=("/bin/hello", "write", "/out/f"),
                   binds=(Bind(str(out_dir), "/out", read_only=False),))
    result = podman.run(spec, timeout_s=60)
    assert result.exit_code == 0, result.stderr
    assert (out_dir / "f").read_text() == "x"
    assert (out_dir / "f").stat().st_uid == os.getuid()
    assert result.seconds > 0


def test_files_written_through_a_writable_bind_belong_to_the_given_user(
        podman: PodmanRuntime, hello_image: str, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    spec = RunSpec(image=hello_image, command=("/bin/hello", "write", "/shared/f"),
                   user="1234:2345", binds=(Bind(str(shared), "/shared", read_only=False),))
    result = podman.run(spec, timeout_s=60)
    assert result.exit_code == 0, result.stdout + result.stderr
    stat = (shared / "f").stat()
    assert (stat.st_uid, stat.st_gid) == (1234, 2345)


def test_save_load_round_trip_between_private_stores(podman: PodmanRuntime, hello_image: str,
                                                     tmp_path: Path) -> None:
    archive = podman.save_archive(hello_image, tmp_path / "hello.tar")
    config = read_archive(archive)
    assert config.repo_tags == (hello_image,)
    assert config.cmd == ("/bin/hello",) and config.labels == {"org.xaas.app": "hello"}
    assert ("XAAS_GREETING", "hi") in config.env and config.workdir == "/data"
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically
    other = PodmanRuntime.private(tmp_path / "other")
    try:
        assert other.load_archive(archive) == [hello_image]
        result = other.run(RunSpec(image=hello_image, command=("/bin/hello",)), timeout_s=60)
        assert (result.exit_code, result.stdout) == (0, "hello from xaas\n")
    finally:
        other.reset_store()


def _docker_client():  # type: ignore[no-untyped-def]
    try:
        from xaas_parsl.containers.engine import connect
    except ImportError:
        infra_missing("the Docker engine module is not there")
    try:
        return connect(timeout=60)
    except ToolError as exc:
        infra_missing(f"no Docker engine: {exc}")


def test_images_move_between_podman_and_docker(podman: PodmanRuntime, hello_image: str,
                                               hello_rootfs: Path, tmp_path: Path) -> None:
    client = _docker_client()
    to_docker, imported = "localhost/xaas-hello:from-podman", "xaas-hello-imported:test"
    try:
        # podman -> docker: docker-archive saved by podman, loaded by the engine
        archive = podman.save_archive(hello_image, tmp_path / "p.tar")
        with open(archive, "rb") as handle:
            loaded = client.images.load(handle.read())
        loaded[0].tag(to_docker)
        out = client.containers.run(to_docker, ["/bin/hello", "id"], user="1000:1000",
                                    network_mode="none", remove=True)
        assert out.decode() == "uid=1000 gid=1000\n"
        # docker import of the same rootfs, then docker -> podman via save/load
        client.api.import_image_from_file(str(hello_rootfs), repository="xaas-hello-imported",
                                          tag="test")
        back = tmp_path / "d.tar"
        with open(back, "wb") as handle:
            for chunk in client.images.get(imported).save(named=True):
                handle.write(chunk)
        names = podman.load_archive(back)
        assert any(name.endswith("xaas-hello-imported:test") for name in names)
        result = podman.run(RunSpec(image=names[0], command=("/bin/hello", "id"),
                                    user="1000:1000"), timeout_s=60)
        assert (result.exit_code, result.stdout) == (0, "uid=1000 gid=1000\n")
    finally:
        for ref in (to_docker, imported):
            with contextlib.suppress(Exception):  # cleanup only
                client.images.remove(ref, force=True)
        client.close()


def test_missing_image_is_one_clear_error(podman: PodmanRuntime, tmp_path: Path) -> None:
    spec = RunSpec(image="localhost/no-such-image:1", command=("/bin/true",))
    with pytest.raises(InputError, match="no such image in the podman store") as err:
        podman.run(spec)
    assert err.value.path == "localhost/no-such-image:1"
    with pytest.raises(InputError, match="no such image"):
        podman.save_archive("localhost/no-such-image:1", tmp_path / "x.tar")
    assert not (tmp_path / "x.tar").exists()
    with pytest.raises(InputError, match="no such archive"):
        podman.load_archive(tmp_path / "missing.tar")


def test_podman_not_installed_names_the_tool() -> None:
    runtime = PodmanRuntime(executable="podman-not-installed-here")
    assert not runtime.available()
    with pytest.raises(ToolError, match="podman"):
        runtime.run(RunSpec(image="x", command=("true",)))


def test_run_argv_follows_podman_syntax() -> None:
    runtime = PodmanRuntime(root="/r", runroot="/rr", storage_driver="vfs",
                            ulimits=["--ulimit", "nofile=1024:1024"], runtime_args=())
    spec = RunSpec(image="img:1", command=("app", "--x"), user="1:2",
                   binds=(Bind("/src", "/dst"), Bind("/w", "/w", read_only=False)),
                   env=(("A", "b c"),), workdir="/dst", gpus=GpuRequest("nvidia", 2))
    assert runtime.run_argv(spec) == [
        "podman", "--root", "/r", "--runroot", "/rr", "--storage-driver", "vfs", "run", "--rm",
        "--pull=never", "--network=none", "--user=1:2", "--ulimit", "nofile=1024:1024",
        "--volume", "/src:/dst:ro", "--volume", "/w:/w:rw", "--env", "A=b c",
        "--workdir", "/dst", "--device", "nvidia.com/gpu=0", "--device", "nvidia.com/gpu=1",
        "img:1", "app", "--x"]
    intel = RunSpec(image="i", command=("a",), gpus=GpuRequest("intel"))
    assert runtime.run_argv(intel)[-4:] == ["--device", "/dev/dri", "i", "a"]
    default_user = runtime.run_argv(RunSpec(image="i", command=("a",)))
    assert f"--user={os.getuid()}:{os.getgid()}" in default_user
    with pytest.raises(InputError, match="only for private stores"):
        PodmanRuntime().reset_store()  # never wipes the machine's shared store
    with pytest.raises(InputError, match="at most 50 characters"):
        PodmanRuntime(root="/r", runroot="/" + "x" * 60)
    with pytest.raises(InputError, match="no MPI hook"):
        runtime.run_argv(RunSpec(image="i", command=("a",), mpi=MpiRequest(ranks=4)))


def test_inherited_ulimits_never_exceed_the_callers_limits() -> None:
    import resource

    values = dict(arg.split("=", 1) for arg in inherited_ulimits() if "=" in arg)
    soft, hard = (int(x) for x in values["nofile"].split(":"))
    assert soft == hard <= resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    assert int(values["nproc"].split(":")[1]) <= pid_max


def test_oci_runtime_is_chosen_from_the_cgroup_layout(tmp_path: Path) -> None:
    from xaas_parsl.containers.runtime.cgroups import read_layout, runtime_options

    unified = tmp_path / "v2"
    unified.mkdir()
    (unified / "cgroup.controllers").write_text("cpu memory pids\n")
    hybrid = tmp_path / "hybrid"
    (hybrid / "unified").mkdir(parents=True)
    (hybrid / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    (hybrid / "memory").mkdir()
    legacy = tmp_path / "legacy"
    (legacy / "unified").mkdir(parents=True)
    (legacy / "unified" / "cgroup.controllers").write_text("\n")
    assert read_layout(unified).mode == "unified"
    assert read_layout(hybrid).mode == "hybrid"
    assert read_layout(hybrid).v2_controllers == ("hugetlb",)
    assert read_layout(legacy).mode == "legacy"
    assert read_layout(tmp_path / "none").mode == "legacy"
    assert runtime_options(read_layout(unified), "crun", "/usr/sbin/runc") == []
    assert runtime_options(read_layout(hybrid), "runc", None) == []
    assert runtime_options(read_layout(hybrid), "crun", "/usr/sbin/runc") == [
        "--runtime=/usr/sbin/runc"]
    with pytest.raises(ToolError, match="apt-get install runc"):
        runtime_options(read_layout(hybrid), "crun", None)


def test_this_hosts_probe_gives_a_runtime_that_runs(podman: PodmanRuntime,
                                                    hello_image: str) -> None:
    """On this host (whatever its cgroup layout) the probed options start a container."""
    from xaas_parsl.containers.runtime.cgroups import read_layout

    args = podman.runtime_args()
    result = podman.run(RunSpec(image=hello_image, command=("/bin/hello",)), timeout_s=60)
    assert (result.exit_code, result.stdout) == (0, "hello from xaas\n"), (args, result.stderr)
    start = len(podman.base_argv()) + 3  # after run --rm --pull=never
    assert podman.run_argv(RunSpec(image="i", command=("a",)))[start:start + len(args)] == args
    assert args == ([f"--runtime={shutil.which('runc')}"] if read_layout().mode == "hybrid"
                    else [])
