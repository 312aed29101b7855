"""What the rule file takes from config and site facts (resources, paths, apps), in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from snakemake_interface_common.exceptions import WorkflowError

from tests.conftest import REPO
from xaas_parsl.descriptor.app import SOURCES_PREFIX, app_schema
from xaas_parsl.fileio import load_yaml, validate
from xaas_parsl.packaged import BUNDLED_APPS, GROUND_TRUTH
from xaas_parsl.snakemake import pbs_status
from xaas_parsl.snakemake.rules import XaasRules, hhmmss
from xaas_parsl.spec import load_spec

BASE = REPO / "workflows" / "xaas"
CONFIG = load_yaml(BASE / "config.yaml")


def rules(**config: object) -> XaasRules:
    return XaasRules.from_config({**CONFIG, **config}, BASE)


def test_compute_steps_take_gpus_cores_and_runtime_from_the_site() -> None:
    alps = rules(site="alps")
    assert alps.results == "results/alps"
    assert alps.resources("discover") == {"nodes": 1, "runtime": 10, "gpu": 4}
    assert alps.resources("deploy") == {"nodes": 1, "runtime": 120}   # a build needs no GPU
    assert alps.resources("tests")["gpu"] == 4
    assert alps.threads() == 288
    debug = rules(site="alps", partition="debug")
    assert debug.resources("deploy") == {"nodes": 1, "runtime": 30, "slurm_partition": "debug"}


def test_node_types_and_pbs_queues() -> None:
    v100 = rules(site="ault", node_type="v100")
    assert v100.results == "results/ault-v100" and v100.threads() == 32
    assert "gpu" not in rules(site="ault", node_type="cpu").resources("tests")
    aurora = rules(site="aurora", partition="capacity")
    assert aurora.resources("tests") == {"nodes": 1, "runtime": 60, "gpu": 6,
                                         "walltime": "01:00:00", "queue": "capacity"}
    assert hhmmss(90) == "01:30:00"
    local = rules()
    assert local.results == "results/local" and "gpu" not in local.resources("tests")


@pytest.mark.parametrize(("config", "needle"), [
    ({"site": "lumi"}, "unknown site 'lumi': known sites are alps, ault, aurora, local"),
    ({"site": "ault", "node_type": "h100"}, "site ault has no node type 'h100'"),
    ({"site": "aurora", "partition": "batch"}, "site aurora has no queue 'batch'"),
])
def test_bad_site_config_is_a_workflow_error_naming_the_choices(config: dict[str, str],
                                                                needle: str) -> None:
    with pytest.raises(WorkflowError, match=needle):
        rules(**config)


def test_apps_from_config_bundled_or_a_path(tmp_path: Path) -> None:
    r = rules()
    assert r.default_app().name == "heat2d"
    assert r.app("llama.cpp").fetch == "llama.cpp"
    assert r.fetched_marker("gromacs") == ["results/local/sources/gromacs.ready"]
    assert r.fetched_marker("heat2d") == []
    assert r.spec_file("llama.cpp") == str(GROUND_TRUTH / "llama.cpp.json")
    other = tmp_path / "app.yaml"
    other.write_text("name: mine\nversion: '1'\nsource: .\nspecialization_points: s.json\n")
    assert r.app(str(other)).name == "mine"
    with pytest.raises(WorkflowError, match="unknown app 'nope': known apps are gromacs, heat2d"):
        r.app("nope")


def test_intersect_flags_come_from_config() -> None:
    args = rules(pin=["simd=AVX2_256"], prefer="fft=fftw3", gpu=False).intersect_args()
    assert args == "--pin simd=AVX2_256 --prefer fft=fftw3 --no-gpu"


@pytest.mark.parametrize("app", ["llama.cpp", "gromacs"])
def test_real_app_descriptors_are_valid_without_their_sources(app: str) -> None:
    path = BUNDLED_APPS / app / "app.yaml"
    data = load_yaml(path)
    validate(data, app_schema(), path, "app descriptor")
    spec = load_spec(path.parent / data["specialization_points"])
    assert spec.simd                       # the ground truth the descriptor points at loads
    assert data["source"].startswith(SOURCES_PREFIX)   # in the fetched-sources cache


@pytest.mark.parametrize(("job", "expected"), [
    ({"job_state": "R"}, "running"), ({"job_state": "Q"}, "running"),
    ({"job_state": "F", "Exit_status": 0}, "success"),
    ({"job_state": "F", "Exit_status": 271}, "failed"),
])
def test_pbs_states_map_to_cluster_generic_answers(job: dict[str, object],
                                                   expected: str) -> None:
    assert pbs_status.status(job) == expected


def test_pbs_status_script_reads_qstat_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    qstat = tmp_path / "qstat"
    qstat.write_text("#!/bin/sh\necho '" + json.dumps(
        {"Jobs": {"7.pbs": {"job_state": "F", "Exit_status": 0}}}) + "'\n")
    qstat.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert pbs_status.main(["7.pbs"]) == 0
    assert capsys.readouterr().out == "success\n"
    assert pbs_status.main([]) == 2


def test_deploy_mode_chooses_the_rule_that_makes_the_deployment() -> None:
    assert rules().deploy == "source" and rules().ruleorder()[0] == "xaas_deploy_source"
    assert rules(deploy="ir").ruleorder() == ["xaas_deploy_ir", "xaas_deploy_source",
                                              "xaas_container_deploy"]
    assert rules(deploy="container").ruleorder()[0] == "xaas_container_deploy"
    with pytest.raises(WorkflowError, match="config deploy must be one of source, ir, "
                                            "container, got 'wasm'"):
        rules(deploy="wasm").ruleorder()


@pytest.mark.parametrize(("site", "target"), [("alps", "edf"), ("ault", "sarus"),
                                              ("aurora", "apptainer"), ("local", None)])
def test_container_deployments_are_exported_for_the_site_tool(site: str,
                                                               target: str | None) -> None:
    container = rules(site=site, deploy="container")
    assert container.export_target() == target
    wanted = container.targets("heat2d")
    assert wanted[0] == f"results/{site}/heat2d/tests.json"
    assert (f"results/{site}/heat2d/export.json" in wanted) == (target is not None)
    assert rules(site=site, deploy="ir").targets("heat2d") == [
        f"results/{site}/heat2d/tests.json"]
