"""Site configs: batch scripts rendered by Parsl's own providers, pinned against site.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from parsl.executors import HighThroughputExecutor, ThreadPoolExecutor
from parsl.launchers import MpiExecLauncher, SimpleLauncher, SrunLauncher

from xaas_parsl.errors import InputError
from xaas_parsl.sites import MissingAccountError, config, known_sites, load_site
from xaas_parsl.sites.scripts import render_submission


def test_every_site_has_login_and_compute() -> None:
    assert known_sites() == ["alps", "ault", "aurora", "local"]
    for site in known_sites():
        cfg = config(site, account="acct")
        labels = {e.label: e for e in cfg.executors}
        assert set(labels) == {"login", "compute"}
        assert isinstance(labels["login"], ThreadPoolExecutor)
        assert isinstance(labels["compute"], HighThroughputExecutor)
        assert cfg.strategy_period < 5


@pytest.mark.parametrize("site", ["alps", "ault", "aurora"])
def test_launcher_and_accelerators_follow_site_yaml(site: str) -> None:
    facts = load_site(site)
    compute = config(site, account="acct").executors[1]
    assert isinstance(compute, HighThroughputExecutor)
    launcher = compute.provider.launcher
    expected = {"srun": SrunLauncher, "mpiexec": MpiExecLauncher, "simple": SimpleLauncher}
    assert isinstance(launcher, expected[facts.launcher])
    node = facts.node_type()
    assert list(compute.available_accelerators) == node.accelerators
    assert compute.max_workers_per_node == len(node.accelerators)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def test_alps_script() -> None:
    facts = load_site("alps")
    sub = render_submission("alps", account="g42", nodes=2, walltime="01:00:00",
                            worker_init_extra="source ~/venv/bin/activate")
    lines = _lines(sub.script)
    assert sub.command.startswith("sbatch ")
    assert "#SBATCH --nodes=2" in lines
    assert f"#SBATCH --partition={facts.default_partition}" in lines
    assert "#SBATCH --account=g42" in lines
    assert f"#SBATCH --gpus-per-node={facts.node_type().gpus}" in lines
    assert f"#SBATCH --uenv={facts.uenv}" in lines
    assert f"#SBATCH --view={facts.uenv_view}" in lines
    assert "#SBATCH --time=60" in lines
    assert "source ~/venv/bin/activate" in lines
    assert any(line.startswith("srun --ntasks 2") for line in lines)


def test_alps_debug_partition_limits() -> None:
    sub = render_submission("alps", account="g42", partition="debug", nodes=2)
    assert "#SBATCH --partition=debug" in _lines(sub.script)
    with pytest.raises(InputError, match="limit of 2"):
        config("alps", account="g42", partition="debug", nodes=3)
    with pytest.raises(InputError, match="00:30:00"):
        config("alps", account="g42", partition="debug", walltime="01:00:00")
    with pytest.raises(InputError, match="no partition 'gpu'"):
        config("alps", account="g42", partition="gpu")


@pytest.mark.parametrize(
    ("node_type", "nodelist", "gpus"),
    [("a100", "ault25", 4), ("v100", "ault23", 4), ("cpu", "ault01", 0)],
)
def test_ault_node_types(node_type: str, nodelist: str, gpus: int) -> None:
    sub = render_submission("ault", node_type=node_type)
    lines = _lines(sub.script)
    assert f"#SBATCH --nodelist={nodelist}" in lines
    assert (f"#SBATCH --gpus-per-node={gpus}" in lines) is (gpus > 0)
    assert not any(line.startswith("#SBATCH --account") for line in lines)  # not required


def test_aurora_script_and_qsub_command() -> None:
    facts = load_site("aurora")
    sub = render_submission("aurora", account="MyProj", nodes=2, walltime="00:30:00")
    lines = _lines(sub.script)
    assert f"-q {facts.default_partition}" in sub.command and "-A MyProj" in sub.command
    assert f"#PBS -l select=2:ncpus={facts.node_type().cores}" in lines
    assert f"#PBS -l filesystems={facts.filesystems}" in lines
    assert "#PBS -l walltime=00:30:00" in lines
    assert "module load frameworks" in lines
    assert any(line.startswith("mpiexec ") and "--ppn 1" in line for line in lines)
    compute = config("aurora", account="MyProj").executors[1]
    assert len(compute.available_accelerators) == 12  # type: ignore[attr-defined]


def test_aurora_prod_needs_256_nodes() -> None:
    with pytest.raises(InputError, match="at least 256"):
        config("aurora", account="p", partition="prod", nodes=16)


@pytest.mark.parametrize("site", ["alps", "aurora"])
def test_missing_account_fails_at_submission_not_at_construction(
    site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XAAS_ACCOUNT", raising=False)
    cfg = config(site)  # building for inspection is fine
    assert cfg.executors[1].provider.account is None  # type: ignore[attr-defined]
    with pytest.raises(MissingAccountError, match=f"site {site} needs an account"):
        render_submission(site)


def test_account_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAAS_ACCOUNT", "env-acct")
    assert "#SBATCH --account=env-acct" in _lines(render_submission("alps").script)


def test_unknown_site_and_malformed_site_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown site 'lumi'.*alps, ault, aurora, local"):
        config("lumi")
    bad = tmp_path / "site.yaml"
    bad.write_text("name: x\nscheduler: lsf\n")
    with pytest.raises(InputError) as info:
        config(bad)
    assert str(bad) in str(info.value) and "site.yaml" in str(info.value)
    bad.write_text("name: [unclosed\n")
    with pytest.raises(InputError, match="invalid YAML"):
        load_site(bad)


def test_local_site_uses_this_interpreter() -> None:
    compute = config("local").executors[1]
    assert isinstance(compute, HighThroughputExecutor)
    import sys

    assert sys.executable in compute.launch_cmd


def test_ault_nodelist_takes_as_many_hosts_as_nodes() -> None:
    lines = _lines(render_submission("ault", node_type="cpu", nodes=3).script)
    assert "#SBATCH --nodelist=ault01,ault02,ault03" in lines
    with pytest.raises(InputError, match="has 2 node"):
        config("ault", node_type="v100", nodes=3)


def test_site_name_wins_over_a_same_named_directory(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A workflow directory holding the Snakemake profile ``local/`` still means site local."""
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "config.yaml").write_text("executor: local\n")
    monkeypatch.chdir(tmp_path)
    assert load_site("local").name == "local"
    with pytest.raises(InputError, match=r"site\.yaml"):
        load_site("./local")  # an explicit path is a path
