"""Source containers of the bundled heat2d, deployed for this machine on the real engine."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import REPO
from tests.containers.leaks import bytes_containing, metadata_text
from xaas_parsl.containers import labels as L
from xaas_parsl.containers.deploy import run_image_tests
from xaas_parsl.containers.runtime.base import RunSpec
from xaas_parsl.containers.runtime.docker import DockerRuntime

TAG = re.compile(r"^heat2d:1\.0\.0-[A-Za-z0-9_.-]+-[0-9a-f]{12}$")
LEAN_CHECK = ("for t in clang++-19 clang-19 cmake ninja python3 llc-19; do "
              "command -v $t && echo HAS-$t; done; ls -d /xaas 2>/dev/null && echo HAS-xaas; "
              "find / -xdev \\( -name '*.bc' -o -name '*.cpp' -o -name CMakeLists.txt \\) "
              "-print 2>/dev/null | head -3; ls /opt/xaas/app/bin")


def test_source_image_labels_and_payload(engine: Any, source_image: dict[str, Any]) -> None:
    labels = L.labels_of(engine.images.get(source_image["image"]).attrs)
    assert labels[L.KIND] == "source" and labels[L.APP] == "heat2d"
    assert labels[L.TOOLCHAIN].startswith("clang-19")
    assert len(labels[L.CONTENT_HASH]) == 64
    assert json.loads(labels[L.TESTS])[0]["command"] == ["heat2d-test"]


def test_deployed_image_tag_and_labels(engine: Any, source_deployed: dict[str, Any],
                                       chosen_config: str) -> None:
    first = source_deployed["first"]
    assert TAG.match(first["image"]), first["image"]
    assert first["config"] == chosen_config and not first["reused"]
    labels = L.labels_of(engine.images.get(first["image"]).attrs)
    assert labels[L.KIND] == "deployed" and labels[L.DEPLOY_MODE] == "source"
    assert labels[L.CONFIG] == chosen_config
    assert labels[L.CONTENT_HASH].startswith(first["image"].rsplit("-", 1)[1])
    assert "-DCMAKE_BUILD_TYPE=Release" in labels[L.FLAGS]
    assert '"simd"' in labels[L.SPEC_CHOICE] and labels[L.TOOLCHAIN].startswith("clang-19")
    assert '"architecture"' in labels[L.TARGET]


def test_app_test_passes_inside_deployed_image(source_deployed: dict[str, Any]) -> None:
    result = run_image_tests(source_deployed["first"]["image"])
    assert result["passed"], result
    assert "PASS" in result["tests"][0]["output"]


def test_second_deployment_builds_nothing(source_deployed: dict[str, Any]) -> None:
    first, second = source_deployed["first"], source_deployed["second"]
    assert second["reused"] and second["build_s"] == 0.0
    assert second["image"] == first["image"]
    print(f"source deploy: first {first['seconds']} s (build {first['build_s']} s), "
          f"second {second['seconds']} s (reused)")


def test_deployed_image_is_lean(source_deployed: dict[str, Any]) -> None:
    res = DockerRuntime().run(RunSpec(source_deployed["first"]["image"],
                                      ("sh", "-c", LEAN_CHECK)), 300)
    assert "HAS-" not in res.stdout, res.stdout
    assert ".bc" not in res.stdout and ".cpp" not in res.stdout
    assert "heat2d-test" in res.stdout


def test_no_host_path_or_secret_in_images(engine: Any, source_image: dict[str, Any],
                                          source_deployed: dict[str, Any],
                                          fake_secret: str) -> None:
    needles = [str(REPO), fake_secret]
    for ref in (source_image["image"], source_deployed["first"]["image"]):
        text = metadata_text(engine, ref)
        assert str(REPO) not in text and fake_secret not in text, ref
    # every byte of the deployed image's layers
    assert bytes_containing(engine, source_deployed["first"]["image"], needles) == set()
