"""aarch64 IR containers: heat2d's aarch64 bundle built in the cross toolchain image, deployed
into the lean arm64 runtime image, its own ``heat2d-test`` run inside it (qemu-aarch64 through
binfmt_misc; ``scripts/binfmt-qemu.sh``).

Slow: the first run bootstraps the cross toolchain (debootstrap, minutes) and the arm64 runtime
image (mmdebstrap under qemu, 15-20 minutes here); both are cached after."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import HEAT2D, SYSTEMS, infra_missing
from xaas_parsl.containers import labels as L

pytestmark = pytest.mark.slow
CONFIGS = ["ARM_NEON_ASIMD", "OPENMP+ARM_NEON_ASIMD"]
ARM_TAG = re.compile(r"^heat2d:1\.0\.0-aarch64-[A-Za-z0-9_.-]+-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def arm_bases(engine: Any) -> dict[str, dict[str, Any]]:
    from xaas_parsl.containers.images import BINFMT, bootstrap
    from xaas_parsl.errors import ToolError

    if not (BINFMT / "qemu-aarch64").is_file():
        infra_missing("binfmt_misc has no qemu-aarch64 handler (scripts/binfmt-qemu.sh)")
    try:
        return {r["kind"]: r for r in bootstrap(arch="aarch64")}
    except ToolError as exc:
        infra_missing(f"arm64 base images cannot be bootstrapped here: {exc}")


@pytest.fixture(scope="module")
def arm_ir_image(arm_bases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``xaas container ir build heat2d --arch aarch64`` (the two NEON configurations)."""
    from click.testing import CliRunner

    from xaas_parsl.cli.main import cli

    res = CliRunner().invoke(cli, ["container", "ir", "build", str(HEAT2D / "app.yaml"),
                                   "--arch", "arm64", "--configs", ",".join(CONFIGS),
                                   "--json"])
    assert res.exit_code == 0, res.output[-2000:]
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def test_cross_toolchain_is_amd64_and_targets_aarch64(
        engine: Any, arm_bases: dict[str, dict[str, Any]]) -> None:
    tool = engine.images.get(arm_bases["toolchain"]["image"]).attrs
    labels = L.labels_of(tool)
    assert tool["Architecture"] == "amd64"  # clang runs natively; the IR it makes is arm64
    assert (labels[L.ARCH], labels[L.TARGET_ARCH]) == ("x86_64", "aarch64")
    assert ":bookworm-cross-aarch64-" in arm_bases["toolchain"]["image"]
    runtime = engine.images.get(arm_bases["runtime"]["image"]).attrs
    assert runtime["Architecture"] == "arm64" and L.labels_of(runtime)[L.ARCH] == "aarch64"


def test_aarch64_ir_image_holds_aarch64_ir(engine: Any, arm_ir_image: dict[str, Any]) -> None:
    assert arm_ir_image["image"] == "heat2d-ir:1.0.0-aarch64"
    assert arm_ir_image["arch"] == "aarch64" and sorted(arm_ir_image["configs"]) == CONFIGS
    labels = L.labels_of(engine.images.get(arm_ir_image["image"]).attrs)
    assert labels[L.KIND] == "ir" and labels[L.TARGET_ARCH] == "aarch64"


@pytest.fixture(scope="module")
def neon(arm_ir_image: dict[str, Any]) -> dict[str, Any]:
    """``xaas container ir deploy heat2d-ir:1.0.0-aarch64 --config ARM_NEON_ASIMD``."""
    from xaas_parsl.containers.deploy import deploy_image

    return deploy_image(arm_ir_image["image"], "ir", None, "ARM_NEON_ASIMD")


def test_neon_deployment_is_an_arm64_image_whose_test_passes(
        engine: Any, neon: dict[str, Any]) -> None:
    """No node named: cross-lowered for the aarch64 baseline, nothing checked; the lean image's
    own Architecture field is arm64 and heat2d-test passes in it under qemu."""
    from xaas_parsl.containers.deploy import run_image_tests

    done = neon
    assert ARM_TAG.match(done["image"]) and done["arch"] == "aarch64"
    attrs = engine.images.get(done["image"]).attrs
    assert attrs["Architecture"] == "arm64"
    labels = L.labels_of(attrs)
    assert (labels[L.ARCH], labels[L.CONFIG], labels[L.KIND]) == (
        "aarch64", "ARM_NEON_ASIMD", "deployed")
    assert json.loads(labels[L.TARGET])["architecture"] == "aarch64"
    tests = run_image_tests(done["image"])
    assert tests["passed"], tests
    assert "PASS simd=ARM_NEON_ASIMD" in tests["tests"][0]["output"]


def test_alps_node_chooses_openmp_neon_tuned_for_neoverse_v2(
        engine: Any, arm_ir_image: dict[str, Any]) -> None:
    from xaas_parsl.containers.deploy import deploy_image, run_image_tests

    alps = SYSTEMS / "clariden-alps.json"
    if not alps.is_file():
        pytest.skip("reference systems not available")
    done = deploy_image(arm_ir_image["image"], "ir", alps, None, cpu="node")
    assert done["config"] == "OPENMP+ARM_NEON_ASIMD" and ARM_TAG.match(done["image"])
    if not done["reused"]:
        assert done["cpu_flags"] == ["-mcpu=neoverse-v2+nosve"]
    assert engine.images.get(done["image"]).attrs["Architecture"] == "arm64"
    assert run_image_tests(done["image"])["passed"]


def test_x86_node_for_the_aarch64_container_is_one_error(arm_ir_image: dict[str, Any]) -> None:
    from xaas_parsl.containers.deploy import deploy_image
    from xaas_parsl.errors import InputError

    ault = SYSTEMS / "ault25.json"
    if not ault.is_file():
        pytest.skip("reference systems not available")
    with pytest.raises(InputError, match="the node is x86_64 but the bundle holds aarch64 IR"):
        deploy_image(arm_ir_image["image"], "ir", ault, "ARM_NEON_ASIMD", cpu="node")


def test_cross_container_without_a_node_needs_a_config(arm_ir_image: dict[str, Any]) -> None:
    from xaas_parsl.containers.deploy import deploy_image
    from xaas_parsl.errors import InputError

    with pytest.raises(InputError, match="holds aarch64 IR and runs on x86_64: name a --config"):
        deploy_image(arm_ir_image["image"], "ir", None, None)


def test_deployed_tree_is_aarch64(tmp_path: Path, arm_ir_image: dict[str, Any],
                                  neon: dict[str, Any]) -> None:
    """Deploying again finds the tag and builds nothing; the install tree copied out of the
    lean image holds aarch64 executables (ELF header)."""
    from xaas_parsl.containers.deploy import deploy_image
    from xaas_parsl.containers.engine import copy_out
    from xaas_parsl.containers.inside import PREFIX
    from xaas_parsl.ir.cross import elf_arch

    done = deploy_image(arm_ir_image["image"], "ir", None, "ARM_NEON_ASIMD")
    assert done["reused"] and done["image"] == neon["image"]
    tree = Path(copy_out(done["image"], str(PREFIX), tmp_path / "out"))
    assert elf_arch(tree / "bin" / "heat2d-test") == "aarch64"
