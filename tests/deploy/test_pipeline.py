"""The driver's request/result model and the stage rules (no builds: the stages that would
build are refused before any work, or run in the door tests with a recorder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import HEAT2D
from xaas_parsl.deploy import PIPELINE, DeployRequest, DeployResult, Mode, Runtime, Stage, pipeline
from xaas_parsl.errors import InputError

APP = str(HEAT2D / "app.yaml")


def test_runtime_follows_the_mode_and_contradictions_are_refused() -> None:
    assert DeployRequest(APP, "w").runtime is Runtime.NATIVE
    assert DeployRequest(APP, "w", mode=Mode.CONTAINER).runtime is Runtime.DOCKER
    with pytest.raises(InputError, match="deploy mode container cannot run on the native"):
        DeployRequest(APP, "w", mode=Mode.CONTAINER, runtime=Runtime.NATIVE)
    with pytest.raises(InputError, match="deploy mode ir cannot run on the docker"):
        DeployRequest(APP, "w", mode=Mode.IR, runtime=Runtime.DOCKER)


def test_bad_values_are_one_line_input_errors() -> None:
    with pytest.raises(InputError, match="deploy mode must be one of source, ir, container, "
                                         "got 'wasm'"):
        DeployRequest(APP, "w", mode="wasm")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="image kind must be ir or source"):
        DeployRequest(APP, "w", mode=Mode.CONTAINER, image_kind="oci")
    with pytest.raises(InputError, match="stage build needs a workdir"):
        DeployRequest(APP, None, mode=Mode.IR)
    DeployRequest(APP, None, stages=(Stage.DISCOVER, Stage.INTERSECT, Stage.TEST))


def test_request_round_trips_through_json_values() -> None:
    request = DeployRequest(APP, "w", mode=Mode.IR, configs=("None", "AVX2_256"),
                            stages=(Stage.BUILD,), policy={"pin": {"simd": "None"}})
    data = request.to_dict()
    assert data["mode"] == "ir" and data["stages"] == ["build"] and data["runtime"] == "native"
    assert DeployRequest.from_dict(data) == request
    with pytest.raises(InputError, match="unknown deploy request key"):
        DeployRequest.from_dict({**data, "modee": "ir"})


def test_result_record_and_passed() -> None:
    result = DeployResult(mode=Mode.SOURCE)
    assert result.passed is None
    with pytest.raises(InputError, match="produced no deployment record"):
        result.record("deployment")
    result.tests = {"passed": False, "tests": []}
    assert result.passed is False and result.to_dict()["mode"] == "source"


def test_pipeline_default_has_no_export() -> None:
    assert Stage.EXPORT not in PIPELINE and PIPELINE[0] is Stage.DISCOVER


@pytest.mark.parametrize(("request_", "message"), [
    (DeployRequest(APP, "w", stages=(Stage.INTERSECT,)), "stage intersect needs a system"),
    (DeployRequest(APP, "w", stages=(Stage.DEPLOY,)), "stage deploy needs an intersection"),
    (DeployRequest(APP, "w", mode=Mode.IR, stages=(Stage.DEPLOY,), configuration="None"),
     "stage deploy needs the artifact of stage build"),
    (DeployRequest(APP, "w", stages=(Stage.TEST,)), "stage test needs a deployment"),
    (DeployRequest(APP, "w", stages=(Stage.EXPORT,), deployment={"mode": "source"}),
     "stage export needs a container deployment"),
    (DeployRequest(APP, "w", mode=Mode.CONTAINER, stages=(Stage.EXPORT,), site="local",
                   deployment={"mode": "container", "image": "x:1"}),
     "site local runs the engine's images directly: nothing to export"),
])
def test_a_stage_without_its_input_says_which(request_: DeployRequest, message: str,
                                              tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=message):
        pipeline.drive(request_)
    assert list(tmp_path.iterdir()) == []  # refused before any work


def test_intersection_from_a_given_system_names_the_matrix_configuration() -> None:
    from tests.conftest import SYSTEMS

    if not SYSTEMS.is_dir():
        pytest.skip("reference data not found")
    from xaas_parsl.fileio import load_json

    done = pipeline.drive(DeployRequest(APP, None, stages=(Stage.DISCOVER, Stage.INTERSECT),
                                        system=load_json(SYSTEMS / "clariden-alps.json")))
    assert done.configuration == "OPENMP+ARM_NEON_ASIMD"
    assert "discover_s" not in done.timings and "intersect_s" in done.timings


@pytest.mark.parametrize(("site", "target"), [("alps", "edf"), ("ault", "sarus"),
                                              ("aurora", "apptainer"), ("local", None)])
def test_each_site_exports_for_its_container_tool(site: str, target: str | None) -> None:
    assert pipeline.export_target(site) == target
