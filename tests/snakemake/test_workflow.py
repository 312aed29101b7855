"""``workflows/xaas/Snakefile`` run as a user runs it, from a clean directory, after
``xaas profiles install``: for real with ``--profile local``, planned (``-n``) for the clusters."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.snakemake.conftest import SNAKEFILE, SNAKEMAKE, output, run
from xaas_parsl.snakemake import profiles as gen

NOTHING = "Nothing to be done"


def snakemake(*args: str | Path, cwd: Path, env: dict[str, str],
              timeout: float = 240) -> tuple[int, str]:
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, *args], cwd, env, timeout)
    return proc.returncode, output(proc)


def test_local_profile_runs_the_whole_pipeline_then_has_nothing_to_do(
        tmp_path: Path, env: dict[str, str], builds: Path) -> None:
    code, log = snakemake("--profile", "local", "--config", f"builds={builds}",
                          cwd=tmp_path, env=env)
    assert code == 0, log
    results = tmp_path / "results" / "local" / "heat2d"
    for step in ("spec", "intersection", "deployment", "tests"):
        assert (results / f"{step}.json").is_file(), step
    assert (tmp_path / "results" / "local" / "system.json").is_file()
    tests = json.loads((results / "tests.json").read_text())
    assert tests["passed"] and tests["app"] == "heat2d"
    deployment = json.loads((results / "deployment.json").read_text())
    assert Path(deployment["prefix"]).is_relative_to(builds)
    for rule in ("xaas_discover_system", "xaas_spec_points", "xaas_intersect",
                 "xaas_deploy_source", "xaas_run_tests"):
        assert f"rule {rule}:" in log
    code, again = snakemake("--profile", "local", "--config", f"builds={builds}",
                            cwd=tmp_path, env=env)
    assert code == 0 and NOTHING in again, again
    assert sorted(p.name for p in tmp_path.iterdir()) == [".snakemake", "results"]


@pytest.mark.parametrize(("profile", "needles"), [
    ("alps", ["slurm_partition=normal", "slurm_account=$XAAS_ACCOUNT", "gpu=4",
              "slurm_extra=--uenv=prgenv-gnu/24.11:v1 --view=default", "results/alps/"]),
    ("ault", ["slurm_partition=normal", "slurm_extra=--nodelist=ault25", "gpu=4",
              "results/ault/"]),
])
def test_cluster_profiles_plan_the_workflow(profile: str, needles: list[str],
                                            tmp_path: Path, env: dict[str, str]) -> None:
    code, log = snakemake("--profile", profile, "-n", cwd=tmp_path, env=env)
    assert code == 0, log
    assert "This was a dry-run" in log
    for rule in ("xaas_discover_system", "xaas_deploy_source", "xaas_run_tests"):
        assert f"rule {rule}:" in log
    for needle in needles:
        assert needle in log, needle
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("app", ["llama.cpp", "gromacs"])
def test_real_apps_plan_their_fetch_without_downloading(app: str, tmp_path: Path,
                                                        env: dict[str, str]) -> None:
    cache = tmp_path / "sources-cache"
    env["XAAS_SOURCES_CACHE"] = str(cache)
    code, log = snakemake("--profile", "alps", "-n", "--config", f"app={app}",
                          cwd=tmp_path, env=env)
    assert code == 0, log
    assert "rule xaas_fetch_source:" in log and f"results/alps/sources/{app}.ready" in log
    assert f"results/alps/{app}/tests.json" in log
    assert not cache.exists() and not (tmp_path / "results").exists()


def test_unknown_site_says_which_sites_exist(tmp_path: Path, env: dict[str, str]) -> None:
    code, log = snakemake("--profile", "local", "--config", "site=lumi", "-n",
                          cwd=tmp_path, env=env)
    assert code != 0
    assert "unknown site 'lumi': known sites are alps, ault, aurora, local" in log


def test_profile_with_an_uninstalled_plugin_names_the_package(tmp_path: Path,
                                                              env: dict[str, str]) -> None:
    """Our profiles carry the same guard (test_profiles pins it); here it meets a plugin that
    really is not installed."""
    profile = tmp_path / "pbs"
    profile.mkdir()
    body = {**gen.plugin_guard("pbs", "pbs-pro"), "executor": "pbs-pro", "jobs": 2}
    (profile / "config.yaml").write_text(yaml.safe_dump(body))
    code, log = snakemake("--profile", str(profile), cwd=tmp_path, env=env)
    assert code != 0
    assert ("snakemake --profile pbs needs snakemake-executor-plugin-pbs-pro, which is not "
            "installed: pip install snakemake-executor-plugin-pbs-pro") in log
    assert "invalid choice" not in log


# Alps: against the real Slurm cluster in tests/slurm/test_faults.py; PBS keeps its stand-in.
@pytest.mark.parametrize(("profile", "resource"), [("aurora", "account")])
def test_missing_account_stops_before_any_submission(profile: str, resource: str,
                                                     tmp_path: Path, env: dict[str, str],
                                                     fake_sched: Path) -> None:
    code, log = snakemake("--profile", profile, cwd=tmp_path, env=env)
    assert code != 0
    assert (f"site {profile} needs an account to submit jobs: export XAAS_ACCOUNT=<project> "
            f"before running snakemake (the {profile} profile passes it as the {resource} "
            "resource)") in log
    calls = fake_sched / "calls.jsonl"
    submitted = [line for line in calls.read_text().splitlines()
                 if '"qsub"' in line] if calls.exists() else []
    assert submitted == []


@pytest.mark.slow
@pytest.mark.parametrize(("deploy", "rules"), [
    ("ir", ("xaas_ir_bundle", "xaas_deploy_ir")),
    ("container", ("xaas_container_build", "xaas_container_deploy")),
])
def test_local_profile_deploys_from_ir_and_container(deploy: str, rules: tuple[str, ...],
                                                     tmp_path: Path, env: dict[str, str],
                                                     builds: Path) -> None:
    """deploy=ir lowers the IR bundle (built once for the whole matrix); deploy=container
    builds the IR container (base images bootstrapped once, cached) on the Docker engine, deploys
    it and tests inside the lean image. Minutes the first time (the IR image: ~5 min here)."""
    if deploy == "container":
        from xaas_parsl.containers.engine import probe

        problem = probe()
        if problem is not None:
            if os.environ.get("CI"):
                pytest.fail(f"CI: scripts/setup.sh provides a Docker engine, but {problem}")
            pytest.skip(problem)
    code, log = snakemake("--profile", "local", "--config", f"builds={builds}",
                          f"deploy={deploy}", cwd=tmp_path, env=env, timeout=1500)
    assert code == 0, log
    for rule in (*rules, "xaas_run_tests"):
        assert f"rule {rule}:" in log, rule
    assert "rule xaas_deploy_source:" not in log and "rule xaas_export:" not in log
    results = tmp_path / "results" / "local" / "heat2d"
    deployment = json.loads((results / "deployment.json").read_text())
    assert deployment["mode"] == deploy
    assert Path(deployment["prefix"], "bin", "heat2d").is_file()
    assert json.loads((results / "tests.json").read_text())["passed"] is True
    if deploy == "container":
        assert deployment["image"].startswith("heat2d:")
        assert deployment["runtime"] == "docker"
    else:
        bundle = json.loads((results / "ir" / "bundle.json").read_text())
        assert bundle["unique_irs"] < bundle["compile_jobs"]


def test_alps_plans_the_edf_export_of_a_container_deployment(tmp_path: Path,
                                                              env: dict[str, str]) -> None:
    code, log = snakemake("--profile", "alps", "-n", "-p", "--config", "deploy=container",
                          cwd=tmp_path, env=env)
    assert code == 0, log
    for rule in ("xaas_container_build", "xaas_container_deploy", "xaas_run_tests",
                 "xaas_export"):
        assert f"rule {rule}:" in log, rule
    assert "rule xaas_deploy_source:" not in log
    assert "deploy export" in log and "--site alps --for edf" in log
    assert "results/alps/heat2d/export.json" in log
    assert not (tmp_path / "results").exists()
