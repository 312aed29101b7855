"""The ``xaas`` executor plugin: found by Snakemake's registry, run by Snakemake's own plugin test
base class, and ``snakemake --executor xaas --xaas-site local`` through the whole workflow."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from snakemake.common.tests import TestWorkflowsLocalStorageBase
from snakemake_interface_common.exceptions import WorkflowError

from snakemake_executor_plugin_xaas import ExecutorSettings
from snakemake_executor_plugin_xaas.executor import choose_site, job_argv, parsl_config
from tests.conftest import REPO
from tests.snakemake.conftest import SNAKEFILE, SNAKEMAKE, output, run


class TestXaasExecutorWorkflows(TestWorkflowsLocalStorageBase):  # type: ignore[misc]
    """Snakemake's executor-plugin test workflows (simple, groups) run through Parsl on the
    local site config (HighThroughputExecutor workers on this machine)."""

    __test__ = True

    def get_executor(self) -> str:
        return "xaas"

    def get_executor_settings(self) -> Any:
        return ExecutorSettings(site="local", poll_seconds=0.2)

    @pytest.mark.slow
    def test_group_workflow(self, tmp_path: Path) -> None:
        """Group jobs (one Parsl task per group); slow-marked to keep the default suite short,
        passes like test_simple_workflow (run with -m slow)."""
        super().test_group_workflow(tmp_path)


def test_registry_finds_the_plugin_from_the_editable_install(tmp_path: Path,
                                                             env: dict[str, str]) -> None:
    """From a directory outside the checkout, as `snakemake` itself would look it up."""
    code = ("from snakemake_interface_executor_plugins.registry import ExecutorPluginRegistry\n"
            "import snakemake_executor_plugin_xaas as m\n"
            "print(ExecutorPluginRegistry().is_installed('xaas'), m.__file__)")
    proc = run([sys.executable, "-c", code], tmp_path, env)
    assert proc.returncode == 0, output(proc)
    found, where = proc.stdout.split()
    assert found == "True" and Path(where).is_relative_to(REPO)


def test_executor_xaas_runs_the_workflow_to_the_end(tmp_path: Path, env: dict[str, str],
                                                    builds: Path) -> None:
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--executor", "xaas", "--xaas-site",
                "local", "--config", f"builds={builds}"], tmp_path, env)
    log = output(proc)
    assert proc.returncode == 0, log
    assert "jobs run through Parsl on site local" in log
    assert json.loads((tmp_path / "results/local/heat2d/tests.json").read_text())["passed"]
    job_logs = tmp_path / ".snakemake" / "xaas" / "logs"
    assert {p.name for p in job_logs.iterdir()} == {
        "rule_xaas_discover_system", "rule_xaas_deploy_source", "rule_xaas_run_tests"}


def test_missing_account_stops_the_executor_before_submitting(tmp_path: Path,
                                                              env: dict[str, str]) -> None:
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--executor", "xaas", "--config",
                "site=alps"], tmp_path, env)
    assert proc.returncode != 0
    assert ("site alps needs an account to submit jobs: pass --xaas-account <project> or "
            "export XAAS_ACCOUNT=<project>") in output(proc)
    assert not (tmp_path / ".snakemake" / "xaas" / "runinfo").exists()


def test_unknown_site_setting_names_the_known_sites(tmp_path: Path,
                                                    env: dict[str, str]) -> None:
    proc = run([SNAKEMAKE, "--snakefile", SNAKEFILE, "--executor", "xaas", "--xaas-site",
                "lumi", "-n"], tmp_path, env)
    assert proc.returncode != 0
    assert "unknown site 'lumi': known sites are alps, ault, aurora, local" in output(proc)


def test_site_comes_from_the_flag_or_the_workflow_config() -> None:
    assert choose_site(None, {}) == "local"
    assert choose_site(None, {"site": "aurora"}) == "aurora"
    assert choose_site("alps", {}) == "alps"
    with pytest.raises(WorkflowError, match="also pass --config site=alps"):
        choose_site("alps", {"site": "local"})


def test_job_commands_run_without_a_shell() -> None:
    assert job_argv("/py -m snakemake --target-jobs 'a:x=1' --cores all") == [
        "/py", "-m", "snakemake", "--target-jobs", "a:x=1", "--cores", "all"]
    with pytest.raises(WorkflowError, match="needs a shell"):
        job_argv("cd /w && /py -m snakemake")


def test_settings_are_checked() -> None:
    with pytest.raises(WorkflowError, match="at least 1"):
        ExecutorSettings(nodes=0)


def test_an_endpoint_setting_builds_the_globus_compute_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Construction only: no Globus login or endpoint is reachable here."""
    from xaas_parsl.sites import globus

    seen: dict[str, Any] = {}
    monkeypatch.setattr(globus, "globus_config",
                        lambda endpoint, run_dir: seen.update(endpoint=endpoint, run_dir=run_dir))
    parsl_config(ExecutorSettings(endpoint="0a45"), "alps", tmp_path)
    assert seen == {"endpoint": "0a45", "run_dir": tmp_path}
    local = parsl_config(ExecutorSettings(), "local", tmp_path)
    assert [e.label for e in local.executors] == ["login", "compute"]
