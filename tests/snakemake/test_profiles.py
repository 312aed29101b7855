"""Profiles: generated from site.yaml, committed as generated, installed where Snakemake looks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.snakemake.conftest import XAAS, output, run
from xaas_parsl.cli.main import main
from xaas_parsl.errors import XaasError
from xaas_parsl.sites import known_sites, load_site
from xaas_parsl.snakemake import profiles as gen


def config(name: str) -> dict[str, object]:
    profile = next(p for p in gen.profiles() if p.name == name)
    data: dict[str, object] = yaml.safe_load(profile.files["config.yaml"])
    return data


def test_committed_profiles_equal_the_generator_output() -> None:
    assert gen.generate(check=True) == []
    for profile in gen.profiles():
        directory = gen.committed_dir(profile)
        assert sorted(p.name for p in directory.iterdir()) == sorted(profile.files)
    assert os.access(gen.committed_dir(config_profile("aurora")) / gen.STATUS_SCRIPT, os.X_OK)


def config_profile(name: str) -> gen.Profile:
    return next(p for p in gen.profiles() if p.name == name)


def test_every_site_has_profiles_and_node_types_get_their_own() -> None:
    names = {p.name for p in gen.profiles()}
    assert set(known_sites()) <= names
    assert {"ault-cpu", "ault-v100"} <= names
    assert {p.executor for p in gen.profiles()} == {"slurm", "cluster-generic", None}


def test_slurm_profiles_carry_partition_account_and_environment_from_site_yaml() -> None:
    alps = load_site("alps")
    data = config("alps")
    res = data["default-resources"]
    assert isinstance(res, dict)
    assert data["executor"] == "slurm"
    assert res["slurm_partition"] == f"'{alps.default_partition}'"
    assert res["slurm_account"] == "'$XAAS_ACCOUNT'"
    assert res["slurm_extra"] == f"'--uenv={alps.uenv} --view={alps.uenv_view}'"
    assert res["mem_mb"] == 0
    guard = data["__definitions__"]
    assert data["__use_yte__"] is True and isinstance(guard, list)
    assert "find_spec('snakemake_executor_plugin_slurm')" in guard[0]
    assert "pip install snakemake-executor-plugin-slurm" in guard[0]
    ault = config("ault-v100")["default-resources"]
    assert isinstance(ault, dict)
    assert "slurm_account" not in ault                 # Ault charges no account
    assert ault["slurm_extra"] == "'--nodelist=ault23'"  # one node: the type's first host
    xaas_yaml = yaml.safe_load(config_profile("ault-v100").files[gen.SITE_CONFIG_FILE])
    assert xaas_yaml == {"site": "ault", "node_type": "v100"}


def test_aurora_profile_submits_with_qsub_and_the_site_filesystems() -> None:
    data = config("aurora")
    assert data["executor"] == "cluster-generic"
    cmd = str(data["cluster-generic-submit-cmd"])
    for part in ("qsub", "-q {resources.queue}", "-A {resources.account}",
                 "-l select={resources.nodes}", "-l walltime={resources.walltime}",
                 "-l filesystems=home:flare"):
        assert part in cmd
    assert data["cluster-generic-status-cmd"] == gen.STATUS_SCRIPT
    res = data["default-resources"]
    assert isinstance(res, dict)
    assert res["queue"] == "'debug'" and res["account"] == "'$XAAS_ACCOUNT'"
    assert res["walltime"] == "'01:00:00'"


def test_install_honours_xdg_config_home_as_snakemake_does(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    where = subprocess.run(
        [sys.executable, "-c", "from snakemake.common import get_appdirs; "
         "print(get_appdirs().user_config_dir)"],
        env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert where == str(tmp_path / "cfg" / "snakemake")
    proc = run([XAAS, "profiles", "install", "--site", "alps", "--site", "local"], tmp_path, env)
    assert proc.returncode == 0, output(proc)
    assert sorted(p.name for p in Path(where).iterdir()) == ["alps", "local"]
    again = run([XAAS, "profiles", "install", "--site", "alps"], tmp_path, env)
    assert again.stdout.split()[0] == "unchanged"


def test_install_refuses_to_overwrite_a_changed_profile(tmp_path: Path) -> None:
    gen.install(["local"], tmp_path)
    changed = tmp_path / "local" / "config.yaml"
    changed.write_text("cores: 1\n")
    with pytest.raises(XaasError, match=r"differs.*--force"):
        gen.install(["local"], tmp_path)
    assert changed.read_text() == "cores: 1\n"
    assert gen.install(["local"], tmp_path, force=True)[0].action == "updated"


def test_a_profile_whose_plugin_is_missing_is_a_one_line_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(gen, "plugin_installed", lambda name: name != "cluster-generic")
    assert main(["profiles", "install", "--dest", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "profile aurora needs snakemake-executor-plugin-cluster-generic" in err
    assert "pip install snakemake-executor-plugin-cluster-generic" in err
    assert not list(tmp_path.iterdir())             # nothing half-installed


def test_unknown_site_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profiles", "install", "--site", "lumi"]) == 1
    assert "unknown site 'lumi': known sites are alps, ault, aurora, local" in \
        capsys.readouterr().err


def test_generate_check_passes_and_reports_drift(tmp_path: Path) -> None:
    assert main(["profiles", "generate", "--check"]) == 0
    site = tmp_path / "local"
    site.mkdir()
    (site / "site.yaml").write_text((gen.SITE_CONFIGS / "local" / "site.yaml").read_text())
    assert [p.name for p in gen.generate(root=tmp_path, check=True)] == \
        ["config.yaml", "xaas.yaml"]
    gen.generate(root=tmp_path)
    assert gen.generate(root=tmp_path, check=True) == []
