"""Base images (debootstrap from the configured mirror, cached) and pruning, on the real engine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.containers import labels as L
from xaas_parsl.containers.images import (
    BaseImage,
    base_images,
    bootstrap,
    mirror_from_text,
    mmdebstrap_argv,
)
from xaas_parsl.containers.prune import prune, prune_plan
from xaas_parsl.containers.runtime.base import Bind, RunSpec
from xaas_parsl.containers.runtime.docker import DockerRuntime
from xaas_parsl.errors import InputError

DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_mirror_from_deb822_and_one_line_sources() -> None:
    assert mirror_from_text(DEB822, deb822=True) == "http://mirror.example/debian"
    assert mirror_from_text("Types: deb-src\nURIs: http://x/debian\nSuites: bookworm\n",
                            deb822=True) is None
    line = "deb [signed-by=/k.gpg] http://ftp.example/debian bookworm main\n"
    assert mirror_from_text(line, deb822=False) == "http://ftp.example/debian"
    assert mirror_from_text("deb http://a/debian bullseye main\n", deb822=False) is None


def test_base_image_key_follows_content() -> None:
    a = BaseImage("runtime", ("libomp5-19",), "http://m/debian")
    assert a.key == BaseImage("runtime", ("libomp5-19",), "http://m/debian").key
    assert a.key != BaseImage("runtime", ("libomp5-19", "zlib1g"), "http://m/debian").key
    assert a.key != BaseImage("runtime", ("libomp5-19",), "http://other/debian").key
    assert a.ref == f"xaas/runtime:bookworm-{a.key}"


def test_arm64_image_key_tag_and_platform_carry_the_arch() -> None:
    x86 = BaseImage("runtime", ("libomp5-19",), "http://m/debian")
    arm = BaseImage("runtime", ("libomp5-19",), "http://m/debian", arch="aarch64")
    assert arm.key != x86.key and arm.ref == f"xaas/runtime:bookworm-aarch64-{arm.key}"
    assert (arm.platform, x86.platform) == ("linux/arm64", "linux/amd64")
    # x86-64 keys are those of images bootstrapped before architectures existed
    assert x86.ref == f"xaas/runtime:bookworm-{x86.key}"
    foreign = base_images("http://m/debian", "arm64")
    assert sorted(foreign) == ["runtime", "toolchain"] and foreign["runtime"].arch == "aarch64"
    # the compiler of another family is this host's clang with Debian's cross packages
    cross = foreign["toolchain"]
    assert (cross.arch, cross.target) == ("x86_64", "aarch64")
    assert cross.ref == f"xaas/toolchain:bookworm-cross-aarch64-{cross.key}"
    assert {"libc6-dev-arm64-cross", "libstdc++-12-dev-arm64-cross",
            "binutils-aarch64-linux-gnu", "clang-19"} <= set(cross.packages)
    assert cross.platform == "linux/amd64" and cross.key != base_images("http://m/debian",
                                                                        "x86_64")["toolchain"].key
    assert [a for a in mmdebstrap_argv(foreign["runtime"], Path("/r"))[1:]] == [
        "--variant=minbase", "--arch=arm64", "--include=libomp5-19", "bookworm", "/r",
        "http://m/debian"]
    with pytest.raises(InputError, match="unknown architecture 'sparc'"):
        base_images("http://m/debian", "sparc")


@pytest.mark.slow
def test_arm64_runtime_image_runs_the_aarch64_deployment(tmp_path: Path) -> None:
    """``xaas images bootstrap --arch aarch64`` (mmdebstrap under qemu, minutes): the image's
    own Architecture field is arm64, its labels say aarch64, and heat2d's NEON IR deployment
    (cross-lowered here) passes heat2d-test inside it (qemu through binfmt_misc)."""
    import docker

    from tests.conftest import HEAT2D
    from xaas_parsl.descriptor.app import load_app
    from xaas_parsl.ir import build_bundle, deploy

    row = next(r for r in bootstrap(arch="aarch64") if r["kind"] == "runtime")
    attrs = docker.from_env().images.get(row["image"]).attrs
    assert attrs["Architecture"] == "arm64" and row["platform"] == "linux/arm64"
    assert attrs["Config"]["Labels"][L.ARCH] == "aarch64"
    summary = build_bundle(load_app(HEAT2D), tmp_path / "b", ["ARM_NEON_ASIMD"], quiet=True,
                           arch="aarch64")
    install = Path(deploy(Path(summary["bundle"]), "ARM_NEON_ASIMD", quiet=True)["install_dir"])
    run = DockerRuntime().run(RunSpec(row["image"], ("/opt/heat2d/bin/heat2d-test",),
                                      binds=(Bind(str(install), "/opt/heat2d"),)), 900)
    assert "PASS simd=ARM_NEON_ASIMD" in run.stdout, run.stdout[-500:]


def test_bootstrap_is_cached(bases: dict[str, Any]) -> None:
    """The session bootstrapped once; a second bootstrap finds both tags and does nothing."""
    start = time.perf_counter()
    again = bootstrap()
    assert [r["action"] for r in again] == ["present", "present"]
    assert time.perf_counter() - start < 60
    assert {r["image"] for r in again} == {b.ref for b in base_images().values()}


def test_runtime_image_has_libomp_and_no_compiler(bases: dict[str, Any]) -> None:
    """The runtime base is what deployed apps run in: libomp yes, compilers no. (The
    toolchain image is exercised by every source/IR build of the other tests.)"""
    run = DockerRuntime().run(RunSpec(bases["runtime"], ("sh", "-c",
                                      "ls /usr/lib/*-linux-gnu/libomp.so.5; "
                                      "command -v clang++-19 cmake python3 || echo no-compiler")),
                              300)
    assert "libomp.so.5" in run.stdout and "no-compiler" in run.stdout, run.stdout


def _img(ident: str, tags: list[str], labels: dict[str, str]) -> dict[str, Any]:
    return {"Id": ident, "RepoTags": tags, "Config": {"Labels": labels}}


def test_prune_plan_keeps_referenced_images() -> None:
    src = _img("sha256:src", ["app-source:1"], {L.KIND: "source"})
    live = _img("sha256:d1", ["app:1-A-1"], {L.KIND: "deployed", L.FROM_IMAGE: "sha256:src"})
    orphan = _img("sha256:d2", ["app:1-A-2"], {L.KIND: "deployed", L.FROM_IMAGE: "sha256:gone"})
    used = _img("sha256:d3", ["app:1-A-3"], {L.KIND: "deployed", L.FROM_IMAGE: "sha256:gone"})
    old_src = _img("sha256:src0", [], {L.KIND: "source"})
    base = _img("sha256:b", [], {L.KIND: "toolchain"})
    foreign = _img("sha256:f", [], {})
    from_old = _img("sha256:d4", ["app:0-A-4"], {L.KIND: "deployed", L.FROM_IMAGE: "sha256:src0"})
    plan = prune_plan([src, live, orphan, used, old_src, base, foreign, from_old], {"sha256:d3"})
    assert {p["id"] for p in plan} == {"sha256:d2", "sha256:src0", "sha256:d4"}


def test_prune_removes_deployed_image_whose_source_is_gone(engine: Any,
                                                           bases: dict[str, Any]) -> None:
    """A real deployed-looking image whose source ID no longer exists is removed; one whose
    source exists is kept."""
    from xaas_parsl.containers.engine import commit, container, has_image

    runtime_id = engine.images.get(bases["runtime"]).id
    made = {}
    app = "xaas-prune-test"  # prune only this app's images: the engine may be shared
    for name, source in (("orphan", "sha256:" + "0" * 64), ("kept", runtime_id)):
        ref = f"{app}:{name}"
        with container(engine, bases["runtime"], ["/bin/true"]) as ctr:
            commit(ctr, ref, {L.KIND: "deployed", L.APP: app, L.FROM_IMAGE: source}, {}, None)
        made[name] = ref
    try:
        listed = {r["image"] for r in prune(dry_run=True, app=app)}
        assert made["orphan"] in listed and made["kept"] not in listed
        assert has_image(engine, made["orphan"])  # dry run removed nothing
        removed = {r["image"] for r in prune(app=app)}
        assert made["orphan"] in removed
        assert not has_image(engine, made["orphan"]) and has_image(engine, made["kept"])
    finally:
        for ref in made.values():
            if has_image(engine, ref):
                engine.images.remove(ref)


def test_cli_images_bootstrap_reports_present(bases: dict[str, Any],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from xaas_parsl.cli.main import main

    assert main(["images", "bootstrap"]) == 0
    out = capsys.readouterr().out
    assert out.count(": present") == 2


def test_ir_and_deployed_tags_carry_the_family() -> None:
    from xaas_parsl.containers import labels as L

    assert L.ir_ref("heat2d", "1.0.0") == L.ir_ref("heat2d", "1.0.0", "x86_64") == \
        "heat2d-ir:1.0.0"
    assert L.ir_ref("heat2d", "1.0.0", "aarch64") == "heat2d-ir:1.0.0-aarch64"
    digest = "ab" * 32
    assert L.deployed_ref("heat2d", "1.0.0", "OPENMP+AVX_512", digest) == \
        "heat2d:1.0.0-OPENMP-AVX_512-abababababab"
    assert L.deployed_ref("heat2d", "1.0.0", "ARM_NEON_ASIMD", digest, "aarch64") == \
        "heat2d:1.0.0-aarch64-ARM_NEON_ASIMD-abababababab"
    assert len(L.deployed_ref("a", "1" * 100, "C" * 100, digest, "aarch64").split(":")[1]) \
        <= 128
