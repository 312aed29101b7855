"""IR containers of the bundled heat2d: bundle built inside, lowered inside, lean image out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import HEAT2D, REPO
from tests.containers.leaks import bytes_containing, metadata_text
from tests.containers.test_source_container import LEAN_CHECK, TAG
from xaas_parsl.containers import labels as L
from xaas_parsl.containers.deploy import deploy_image, run_image_tests
from xaas_parsl.containers.engine import has_image
from xaas_parsl.containers.runtime.base import RunSpec
from xaas_parsl.containers.runtime.docker import DockerRuntime
from xaas_parsl.errors import InputError, ToolError


def _tags(engine: Any) -> set[str]:
    return {t for img in engine.images.list() for t in img.tags}


def test_ir_image_holds_the_bundle(engine: Any, ir_image: dict[str, Any],
                                   chosen_config: str) -> None:
    labels = L.labels_of(engine.images.get(ir_image["image"]).attrs)
    assert labels[L.KIND] == "ir"
    assert chosen_config in json.loads(labels[L.CONFIGS])
    assert 0 < ir_image["unique_irs"] < ir_image["compile_jobs"]
    assert json.loads(labels[L.BUNDLE])["unique_irs"] == ir_image["unique_irs"]


def test_ir_deployment_runs_the_app_test(engine: Any, ir_deployed: dict[str, Any],
                                         chosen_config: str) -> None:
    first = ir_deployed["first"]
    assert TAG.match(first["image"]) and first["config"] == chosen_config
    assert first["lowered"] and first["lowered"] > 0
    labels = L.labels_of(engine.images.get(first["image"]).attrs)
    assert labels[L.DEPLOY_MODE] == "ir" and labels[L.CONFIG] == chosen_config
    result = run_image_tests(first["image"])
    assert result["passed"], result


def test_ir_second_deployment_builds_nothing(ir_deployed: dict[str, Any]) -> None:
    first, second = ir_deployed["first"], ir_deployed["second"]
    assert second["reused"] and second["image"] == first["image"]
    print(f"IR deploy: first {first['seconds']} s (lower+link {first['build_s']} s), "
          f"second {second['seconds']} s (reused)")


def test_ir_deployed_image_is_lean(ir_deployed: dict[str, Any]) -> None:
    res = DockerRuntime().run(RunSpec(ir_deployed["first"]["image"],
                                      ("sh", "-c", LEAN_CHECK)), 300)
    assert "HAS-" not in res.stdout and ".bc" not in res.stdout, res.stdout
    assert "heat2d-test" in res.stdout


def test_no_host_path_or_secret_in_ir_image(engine: Any, ir_image: dict[str, Any],
                                            fake_secret: str) -> None:
    """The bundle's CMake trees hold absolute paths: they must be container paths only."""
    text = metadata_text(engine, ir_image["image"])
    assert str(REPO) not in text and fake_secret not in text
    assert bytes_containing(engine, ir_image["image"], [str(REPO), fake_secret]) == set()


def test_unsupported_configuration_is_one_error_and_no_tag(engine: Any,
                                                           ir_image: dict[str, Any]) -> None:
    before = _tags(engine)
    with pytest.raises(InputError, match="does not support configuration 'AVX_1024'"):
        deploy_image(ir_image["image"], "ir", config="AVX_1024")
    assert _tags(engine) == before


def test_wrong_kind_and_missing_image(source_image: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="not an ir container"):
        deploy_image(source_image["image"], "ir")
    with pytest.raises(InputError, match="no such image"):
        deploy_image("heat2d-ir:does-not-exist", "ir")


def test_failing_build_inside_leaves_no_tag(engine: Any, bases: dict[str, Any],
                                            tmp_path: Path) -> None:
    """A compile error inside the container: one ToolError naming it, no image tagged, no
    container left behind."""
    from xaas_parsl.containers.ir_image import build_ir_image
    from xaas_parsl.descriptor import load_app

    app_dir = tmp_path / "broken"
    shutil.copytree(HEAT2D, app_dir, ignore=shutil.ignore_patterns("build*", "__pycache__"))
    data = yaml.safe_load((app_dir / "app.yaml").read_text())
    data["name"] = "heat2d-broken"
    (app_dir / "app.yaml").write_text(yaml.safe_dump(data))
    with (app_dir / "src" / "diagnostics.cpp").open("a") as handle:
        handle.write("\nthis is not C++;\n")
    with pytest.raises(ToolError, match="failed inside the container"):
        build_ir_image(load_app(app_dir / "app.yaml"), ["None"])
    assert not has_image(engine, L.ir_ref("heat2d-broken", "1.0.0"))
    left = engine.containers.list(all=True, filters={"name": "xaas-ir-build-heat2d-broken-"})
    assert left == []
