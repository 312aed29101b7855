"""``xaas images export``: real archives and squashfs images of a registry-free test image, the
recipes and commands for each site tool, atomic output, and the layer flattening rules."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import infra_missing, needs_infra
from xaas_parsl.cli.images_export import export_cmd
from xaas_parsl.containers.archive import flatten, read_archive
from xaas_parsl.containers.export import export_image, file_stem, saver_for
from xaas_parsl.containers.runtime.podman import PodmanRuntime
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.sites.facts import load_site

pytest_plugins = ["tests.containers.podman_fixtures"]

GOLDEN = Path(__file__).with_name("golden")
needs_squashfs = needs_infra(shutil.which("mksquashfs") is None,
                             "squashfs-tools is not installed")


def test_sarus_export_is_the_docker_archive_plus_load_and_run(
        podman: PodmanRuntime, hello_image: str, tmp_path: Path) -> None:
    out = tmp_path / "to-ault"
    result = export_image(hello_image, "sarus", out, podman.save_archive,
                          site=load_site("ault"), node_type="v100", site_dir="/scratch/x")
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "SHA256SUMS",
                                                     "xaas-hello_test.tar"]
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=out, check=True)
    config = read_archive(out / "xaas-hello_test.tar")
    assert config.repo_tags == (hello_image,) and config.cmd == ("/bin/hello",)
    assert result.commands == [
        "srun --ntasks=1 sarus load /scratch/x/xaas-hello_test.tar xaas-hello:test",
        "srun --ntasks=1 --nodelist=ault23 --gpus-per-node=4 sarus run "
        "load/library/xaas-hello:test /bin/hello"]
    readme = (out / "README.txt").read_text()
    assert all(command in readme for command in result.commands)
    assert "Copy these files to /scratch/x" in readme
    # the archive loads back into a fresh store and runs: it is what `sarus load` reads
    other = PodmanRuntime.private(tmp_path / "o")
    try:
        assert other.load_archive(out / "xaas-hello_test.tar") == [hello_image]
    finally:
        other.reset_store()


def test_apptainer_export_writes_a_def_that_bootstraps_from_the_archive(
        podman: PodmanRuntime, hello_image: str, tmp_path: Path) -> None:
    out = tmp_path / "to-aurora"
    result = export_image(hello_image, "apptainer", out, podman.save_archive,
                          site=load_site("aurora"), site_dir="/lus/flare/x",
                          command=("/bin/hello", "id"))
    definition = (out / "xaas-hello_test.def").read_text()
    assert definition.startswith("Bootstrap: docker-archive\nFrom: xaas-hello_test.tar\n")
    assert (out / "xaas-hello_test.tar").is_file()
    assert "    org.xaas.app hello\n" in definition
    assert "    export XAAS_GREETING=hi\n" in definition and "    cd /data\n" in definition
    assert result.commands[:2] == ["cd /lus/flare/x",
                                   "apptainer build xaas-hello_test.sif xaas-hello_test.def"]
    assert result.commands[2].startswith("apptainer exec --contain --cleanenv --net --network "
                                         "none --bind /dev/dri:/dev/dri")
    assert result.commands[2].endswith("/lus/flare/x/xaas-hello_test.sif /bin/hello id")
    assert str(tmp_path) not in definition  # no host path in what ships


@needs_squashfs
@pytest.mark.parametrize("target", ["edf", "enroot"])
def test_squashfs_exports_hold_the_flattened_image(podman: PodmanRuntime, tmp_path: Path,
                                                   target: str,
                                                   request: pytest.FixtureRequest) -> None:
    # Alps' nodes are GH200 (aarch64): its EDF export takes the arm64 image
    arm = target == "edf"
    hello_image = request.getfixturevalue("hello_image_arm64" if arm else "hello_image")
    hello_rootfs = request.getfixturevalue("hello_rootfs_arm64" if arm else "hello_rootfs")
    stem = file_stem(hello_image)
    out = tmp_path / target
    result = export_image(hello_image, target, out, podman.save_archive,
                          site=load_site("alps") if target == "edf" else None,
                          site_dir="/capstor/scratch/x")
    sqsh = out / f"{stem}.sqsh"
    assert sqsh.read_bytes()[:4] == b"hsqs"  # squashfs magic
    unpacked = tmp_path / "unpacked"
    subprocess.run(["unsquashfs", "-no-progress", "-d", str(unpacked), str(sqsh)],
                   check=True, capture_output=True)
    with tarfile.open(hello_rootfs) as tar:
        original = tar.extractfile("bin/hello").read()  # type: ignore[union-attr]
    assert (unpacked / "bin" / "hello").read_bytes() == original
    assert sorted(p.name for p in unpacked.iterdir()) == ["bin", "data", "tmp"]
    assert not (out / f"{stem}.tar").exists()  # only what the tool imports ships
    if target == "edf":
        text = (out / f"{stem}.toml").read_text()
        assert text == (GOLDEN / "alps" / "hello-aarch64.toml").read_text()  # golden EDF
        edf = tomllib.loads(text)
        assert edf["image"] == "/capstor/scratch/x/xaas-hello_test-aarch64.sqsh"
        assert edf["annotations"]["com"]["hooks"]["aws_ofi_nccl"]["variant"] == "cuda12"
        assert result.commands == [
            "srun --ntasks=1 --gpus-per-node=4 "
            "--environment=/capstor/scratch/x/xaas-hello_test-aarch64.toml /bin/hello"]
        assert "ARM aarch64" in subprocess.run(["file", "-b", str(unpacked / "bin" / "hello")],
                                               capture_output=True, text=True).stdout
    else:
        assert result.commands[0] == ("enroot create --name xaas-hello_test "
                                      "/capstor/scratch/x/xaas-hello_test.sqsh")
        assert result.commands[2] == ("srun --container-image=/capstor/scratch/x/"
                                      "xaas-hello_test.sqsh /bin/hello")


def test_site_refuses_an_image_of_another_architecture(podman: PodmanRuntime, hello_image: str,
                                                       tmp_path: Path) -> None:
    """An amd64 image for Alps' aarch64 nodes: one line, exit 1, nothing written."""
    podman_root = Path(podman.root or "").parent
    out = tmp_path / "to-alps"
    result = CliRunner().invoke(export_cmd, [hello_image, "--for", "edf", "--site", "alps",
                                             "-o", str(out), "--engine", "podman",
                                             "--podman-root", str(podman_root)])
    assert isinstance(result.exception, InputError)
    assert "the image is amd64 (x86_64), alps nodes are aarch64" in str(result.exception)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_export_with_podman_and_bad_input(podman: PodmanRuntime, hello_image: str,
                                             tmp_path: Path) -> None:
    runner = CliRunner()
    podman_root = Path(podman.root or "").parent
    out = tmp_path / "cli"
    args = [hello_image, "--for", "sarus", "-o", str(out), "--engine", "podman"]
    result = runner.invoke(export_cmd, [*args, "--podman-root", str(podman_root), "--site",
                                        "ault", "--node-type", "a100", "--", "/bin/hello", "id"])
    assert result.exit_code == 0, result.output
    assert "sarus run load/library/xaas-hello:test /bin/hello id" in result.stdout
    assert "--nodelist=ault25" in result.stdout
    assert (out / "xaas-hello_test.tar").is_file()
    # bad input: unknown target (usage error), missing image, unknown node type
    bad = runner.invoke(export_cmd, [hello_image, "--for", "docker"])
    assert bad.exit_code == 2 and "docker" in bad.output
    missing = runner.invoke(export_cmd, ["localhost/nope:1", "--for", "sarus", "-o",
                                         str(tmp_path / "nope"), "--engine", "podman",
                                         "--podman-root", str(podman_root)])
    assert isinstance(missing.exception, InputError)
    assert "no such image in the podman store" in str(missing.exception)
    assert not (tmp_path / "nope").exists() and not list(tmp_path.glob(".nope.*"))
    node = runner.invoke(export_cmd, [*args, "--site", "ault", "--node-type", "h100"])
    assert isinstance(node.exception, InputError) and "h100" in str(node.exception)


def test_export_is_atomic_and_replaces_only_earlier_exports(tmp_path: Path) -> None:
    def failing_save(image: str, dest: Path) -> Path:
        dest.write_bytes(b"half an archive")
        raise InputError("boom", image)

    out = tmp_path / "out"
    with pytest.raises(InputError, match="boom"):
        export_image("img:1", "sarus", out, failing_save)
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no staging left
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not an earlier export"):
        export_image("img:1", "sarus", foreign, _archive_saver(tmp_path))
    assert (foreign / "keep.txt").read_text() == "mine"
    with pytest.raises(InputError, match="unknown export target 'rpm'"):
        export_image("img:1", "rpm", out, failing_save)
    with pytest.raises(InputError, match="absolute"):
        export_image("img:1", "edf", out, failing_save, site_dir="relative/dir")
    assert file_stem("localhost/xaas/app:1.0") == "xaas_app_1.0"


def test_no_engine_has_the_image(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no.sock")
    try:
        with pytest.raises(InputError, match="no such image in the Docker engine or the podman"):
            saver_for("auto", "localhost/none:1", tmp_path / "p")
    finally:
        PodmanRuntime.private(tmp_path / "p").reset_store()


# -- flattening: OCI whiteouts and escapes, on a synthetic two-layer docker-archive -----------


def _tar_bytes(entries: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size = len(entry[1])
                tar.addfile(info, io.BytesIO(entry[1]))
    return buf.getvalue()


def _dir(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    return info


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _archive(path: Path, layers: list[bytes], config: dict[str, object]) -> Path:
    entries: list[tarfile.TarInfo | tuple[str, bytes]] = []
    names = []
    for i, layer in enumerate(layers):
        names.append(f"l{i}/layer.tar")
        entries.append((names[-1], layer))
    entries.append(("c.json", json.dumps({"architecture": "amd64", "config": config}).encode()))
    entries.append(("manifest.json", json.dumps(
        [{"Config": "c.json", "RepoTags": ["t:1"], "Layers": names}]).encode()))
    path.write_bytes(_tar_bytes(entries))
    return path


def _archive_saver(tmp_path: Path):  # type: ignore[no-untyped-def]
    def save(image: str, dest: Path) -> Path:
        return _archive(dest, [_tar_bytes([_dir("bin"), ("bin/app", b"x")])],
                        {"Cmd": ["/bin/app"]})
    return save


def test_flatten_applies_whiteouts_and_refuses_escapes(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    lower = _tar_bytes([_dir("a"), ("a/x", b"1"), ("a/y", b"2"), _dir("b"), ("b/z", b"3"),
                        _link("escape", str(outside)), _link("rel", "a/y"),
                        ("../dotdot", b"no")])
    upper = _tar_bytes([("a/.wh.x", b""), ("b/.wh..wh..opq", b""), ("b/new", b"4"),
                        ("escape/pwned", b"evil"), ("a/y", b"2b"),
                        _link("hard", "a/y", tarfile.LNKTYPE)])
    archive = _archive(tmp_path / "img.tar", [lower, upper],
                       {"Env": ["A=1", "B=x=y"], "Cmd": ["/bin/sh"], "Labels": {"k": "v"}})
    config = read_archive(archive)
    assert config.env == (("A", "1"), ("B", "x=y")) and config.labels == {"k": "v"}
    rootfs = tmp_path / "rootfs"
    flatten(archive, rootfs)
    assert sorted(p.name for p in (rootfs / "a").iterdir()) == ["y"]  # .wh.x removed x
    assert (rootfs / "a" / "y").read_text() == "2b"
    assert [p.name for p in (rootfs / "b").iterdir()] == ["new"]  # opaque dir emptied
    assert list(outside.iterdir()) == []  # nothing written through the symlink
    assert not (tmp_path / "dotdot").exists()
    assert (rootfs / "hard").read_text() == "2b"
    assert (rootfs / "rel").is_symlink()


def test_read_archive_rejects_what_is_not_a_docker_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar"
    junk.write_bytes(_tar_bytes([("hello.txt", b"hi")]))
    with pytest.raises(InputError, match="not a docker-archive"):
        read_archive(junk)
    text = tmp_path / "text.tar"
    text.write_text("not a tar")
    with pytest.raises(InputError, match="not a docker-archive"):
        read_archive(text)
    with pytest.raises(InputError, match="No such file"):
        read_archive(tmp_path / "missing.tar")


@needs_squashfs
def test_export_from_the_docker_engine(hello_rootfs: Path, tmp_path: Path) -> None:
    """The same exports from an image that lives in the Docker engine (skipped without one)."""
    try:
        from xaas_parsl.containers.engine import connect
        client = connect(timeout=60)
    except (ImportError, ToolError) as exc:
        infra_missing(f"no Docker engine: {exc}")
    ref = "xaas-hello-docker:export"
    try:
        client.api.import_image_from_file(str(hello_rootfs), repository="xaas-hello-docker",
                                          tag="export", changes=['CMD ["/bin/hello"]'])
        save = saver_for("auto", ref)  # auto: the engine that has the image
        sarus = export_image(ref, "sarus", tmp_path / "s", save, site_dir="/s")
        assert read_archive(tmp_path / "s" / "xaas-hello-docker_export.tar").repo_tags == (ref,)
        assert sarus.commands[-1].endswith("load/library/xaas-hello-docker:export /bin/hello")
        export_image(ref, "edf", tmp_path / "e", save, site_dir="/e")
        listing = subprocess.run(["unsquashfs", "-l", str(tmp_path / "e" /
                                                          "xaas-hello-docker_export.sqsh")],
                                 capture_output=True, text=True, check=True).stdout
        assert "squashfs-root/bin/hello" in listing
    finally:
        with contextlib.suppress(Exception):
            client.images.remove(ref, force=True)
        client.close()


def test_xaas_cli_prints_one_line_errors(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from xaas_parsl.cli.main import cli, main

    if "images" not in cli.commands:
        pytest.skip("the `xaas images` group is not attached yet")
    code = main(["images", "export", "localhost/nope:1", "--for", "edf", "--engine", "podman",
                 "--podman-root", str(tmp_path / "store"), "-o", str(tmp_path / "out")])
    PodmanRuntime.private(tmp_path / "store").reset_store()
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("xaas: error: localhost/nope:1: no such image in the podman store")
    assert not (tmp_path / "out").exists()
    code = main(["images", "export", "x:1", "--for", "edf", "--site", "mars"])
    assert code == 1 and "unknown site 'mars'" in capsys.readouterr().err


@needs_squashfs
@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to drop to an unprivileged user (setpriv)")
def test_squashfs_as_an_unprivileged_user_is_root_owned(request: pytest.FixtureRequest) -> None:
    """A non-root user cannot chown while flattening; the image is then made with -all-root,
    so files inside are root's (as site tools expect), not the exporting user's."""
    work = Path(tempfile.mkdtemp(prefix="xaas-nobody-", dir="/tmp"))  # pytest's tmp is 0700
    work.chmod(0o777)
    request.addfinalizer(lambda: shutil.rmtree(work, ignore_errors=True))
    archive = _archive(work / "img.tar", [_tar_bytes([_dir("bin"), ("bin/app", b"x")])],
                       {"Cmd": ["/bin/app"]})
    archive.chmod(0o644)
    code = ("import os, sys; from pathlib import Path; "
            "from xaas_parsl.containers.archive import flatten, make_squashfs; "
            "w = Path(sys.argv[1]); assert os.geteuid() == 65534; "
            "flatten(w / 'img.tar', w / 'root'); make_squashfs(w / 'root', w / 'img.sqsh')")
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    sys.executable, "-c", code, str(work)], check=False, capture_output=True,
                   cwd=Path(__file__).resolve().parents[2], text=True)
    assert proc.returncode == 0, proc.stderr
    assert (work / "root" / "bin" / "app").stat().st_uid == 65534  # as extracted
    listing = subprocess.run(["unsquashfs", "-lls", str(work / "img.sqsh")], check=True,
                             capture_output=True, text=True).stdout
    assert "root/root" in listing and "squashfs-root/bin/app" in listing
    assert "65534" not in listing and "nobody" not in listing
