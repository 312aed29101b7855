"""Site settings reaching a shell or a batch script (issue: untrusted input cannot escape).

Escapes pinned here: ``XAAS_ACCOUNT='p1;touch x'`` ran ``touch`` on the submitting host (Parsl's
providers submit through a shell: PBS Pro's ``qsub ... -A <account>``), and a newline in
``--account`` wrote a live ``#SBATCH`` line. Every site setting is now checked against the
scheduler's form (``safety.setting``) before a provider, a script or a profile is made.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from snakemake_interface_common.exceptions import WorkflowError

from tests.test_safety import TEXT
from xaas_parsl.cli.main import main
from xaas_parsl.errors import InputError
from xaas_parsl.sites import MissingAccountError, config, load_site
from xaas_parsl.sites.facts import SITE_CONFIGS
from xaas_parsl.sites.scripts import Submission, render_submission
from xaas_parsl.snakemake.rules import check_submission


@pytest.fixture()
def fake_schedulers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``sbatch``/``qsub`` stand-ins first on PATH, the working directory empty: whatever an
    injected ``touch x`` would create lands here."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool, answer in (("sbatch", "Submitted batch job 1"), ("qsub", "1.pbs")):
        path = bindir / tool
        path.write_text(f"#!/bin/sh\necho '{answer}'\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.mark.parametrize("site", ["alps", "aurora"])
def test_account_from_the_environment_never_reaches_the_shell(
        site: str, fake_schedulers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAAS_ACCOUNT", "p1;touch x")
    with pytest.raises(InputError) as info:
        executor: Any = config(site, run_dir=str(fake_schedulers)).executors[1]
        executor.provider.script_dir = str(fake_schedulers)
        executor.provider.submit("echo worker", 1, "xaas")
    assert info.value.one_line() == ("$XAAS_ACCOUNT: account 'p1;touch x' is not a valid "
                                     f"scheduler setting (allowed: {_pattern()})")
    assert list(fake_schedulers.iterdir()) == []


def _pattern() -> str:
    from xaas_parsl.safety import SETTINGS
    return SETTINGS["account"].pattern


def test_a_newline_in_account_is_one_line_error(capsys: pytest.CaptureFixture[str],
                                                 fake_schedulers: Path) -> None:
    assert main(["site", "script", "alps", "--account", "p1\n#SBATCH --uid=0"]) == 1
    err = capsys.readouterr()
    assert err.out == "" and len(err.err.strip().splitlines()) == 1
    assert err.err.startswith("xaas: error: account 'p1\\n#SBATCH --uid=0' is not a valid")


def _stamped(text: str) -> str:
    """Parsl names each block's job and script after the submission time, in a fresh
    temporary directory."""
    text = re.sub(r"xaas\.\d+\.\d+", "xaas.<time>", text)
    return re.sub(r"/\S*xaas-script-[^/\s]+", "<script_dir>", text)


@cache
def _reference(site: str) -> Submission:
    return render_submission(site, account="REF")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=TEXT)
def test_any_accepted_account_is_one_word_in_script_and_command(account: str) -> None:
    try:
        slurm = render_submission("alps", account=account)
        pbs = render_submission("aurora", account=account)
    except (InputError, MissingAccountError):  # not of the form / empty
        return
    # the same script and command as for a plain account, with only the account changed
    assert _stamped(slurm.script).splitlines() == [
        f"#SBATCH --account={account}" if line == "#SBATCH --account=REF" else line
        for line in _stamped(_reference("alps").script).splitlines()]
    assert shlex.split(_stamped(pbs.command)) == [
        account if t == "REF" else t for t in shlex.split(_stamped(_reference("aurora").command))]


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("uenv", "prgenv-gnu/24.11:v1\n#SBATCH --uid=0", "uenv"),
    ("uenv_view", "default; id", "view"),
    ("modules", ["gcc && id"], "module"),
])
def test_a_shared_site_yaml_is_checked_at_load(tmp_path: Path, key: str, value: object,
                                               needle: str) -> None:
    data = yaml.safe_load((SITE_CONFIGS / "alps" / "site.yaml").read_text())
    data["software"][key] = value
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match=needle) as info:
        load_site(path)
    assert info.value.path == str(path)


def test_partition_names_of_a_site_yaml(tmp_path: Path) -> None:
    data = yaml.safe_load((SITE_CONFIGS / "alps" / "site.yaml").read_text())
    data["partitions"]["x --wrap=id"] = {"max_walltime": "01:00:00"}
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="partition 'x --wrap=id'"):
        load_site(path)


def test_snakemake_refuses_an_account_resource_the_plugin_would_paste(
        monkeypatch: pytest.MonkeyPatch) -> None:
    job = SimpleNamespace(is_local=False, resources={"slurm_account": "p1;touch x"})
    workflow = SimpleNamespace(dryrun=False, is_main_process=True,
                               executor_plugin=SimpleNamespace(name="slurm"),
                               dag=SimpleNamespace(needrun_jobs=lambda: [job]))
    with pytest.raises(WorkflowError, match="account 'p1;touch x' is not a valid"):
        check_submission(workflow, load_site("alps"))
    job.resources["slurm_account"] = "g42"
    check_submission(workflow, load_site("alps"))


@pytest.mark.parametrize("site", ["alps", "ault", "aurora"])
def test_cluster_sites_encrypt_htex(site: str) -> None:
    assert config(site, account="p").executors[1].encrypted is True  # type: ignore[attr-defined]
