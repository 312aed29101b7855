"""Globus Compute endpoint templates: generated from site.yaml, rendered and loaded by the
endpoint package's own renderer and loader, options checked by the generated schemas.

Nothing here is faked. Running steps through the endpoint's engine is in ``test_globus_run``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import needs_infra
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.sites import globus
from xaas_parsl.sites.facts import SITE_CONFIGS, known_sites, load_site
from xaas_parsl.sites.globus_templates import accelerators, partition_key

SITES = known_sites()
# The smallest valid options per site: the account is the only required one where charged.
MINIMAL: dict[str, dict[str, Any]] = {
    site: ({"account": "xaas-test"} if load_site(site).account_required else {}) for site in SITES
}

needs_endpoint = needs_infra(
    importlib.util.find_spec("globus_compute_endpoint") is None,
    "globus-compute-endpoint is not installed (pip install .[globus])",
)


def test_every_site_has_endpoint_files() -> None:
    assert set(SITES) >= {"alps", "ault", "aurora", "local"}
    for site in SITES:
        assert globus.template_path(site).is_file()
        assert globus.schema_path(site).is_file()


@pytest.mark.parametrize("site", SITES)
def test_committed_files_are_generated_from_site_yaml(site: str) -> None:
    for path, text in globus.generated_files(site).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path} is stale: run python -m xaas_parsl.sites.globus write-templates")


def test_write_templates_check_mode_and_writing(tmp_path: Path) -> None:
    root = tmp_path / "site_configs"
    (root / "alps").mkdir(parents=True)
    (root / "alps" / "site.yaml").write_text(
        (SITE_CONFIGS / "alps" / "site.yaml").read_text().replace("normal:", "long:")
        .replace("default_partition: normal", "default_partition: long"))
    assert len(globus.write_templates(["alps"], root, check=True)) == 2
    assert not (root / "alps" / "globus").exists()
    assert len(globus.write_templates(["alps"], root)) == 2
    assert globus.write_templates(["alps"], root, check=True) == []
    text = globus.template_path("alps", root).read_text()
    assert "partition: {{ partition | default('\"long\"') }}" in text
    schema = json.loads(globus.schema_path("alps", root).read_text())
    assert schema["properties"]["partition"]["enum"] == ["debug", "long"]


def test_cli_check_passes_on_the_committed_files() -> None:
    proc = subprocess.run([sys.executable, "-m", "xaas_parsl.sites.globus", "write-templates",
                           "--check"], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _provider(site: str, **opts: Any) -> Any:
    return globus.load_endpoint_config(site, **opts).engine.provider


@needs_endpoint
@pytest.mark.parametrize("site", SITES)
def test_template_loads_with_the_endpoint_loader_and_matches_site_yaml(site: str) -> None:
    facts = load_site(site)
    config = globus.load_endpoint_config(site, **MINIMAL[site])
    engine = config.engine
    assert type(config).__name__ == "UserEndpointConfig"
    assert type(engine).__name__ == "GlobusComputeEngine"
    provider = engine.provider
    expected_provider = {"slurm": "SlurmProvider", "pbspro": "PBSProProvider",
                         "local": "LocalProvider"}[facts.scheduler]
    assert type(provider).__name__ == expected_provider
    expected_launcher = {"srun": "SrunLauncher", "mpiexec": "MpiExecLauncher",
                         "simple": "SimpleLauncher"}[facts.launcher]
    assert type(provider.launcher).__name__ == expected_launcher
    node = facts.node_type()
    acc = accelerators(facts, node)
    assert list(engine.executor.available_accelerators) == acc
    if acc:
        assert engine.executor.max_workers_per_node == len(acc)
    for module in facts.modules:
        assert f"module load {module}" in provider.worker_init
    for line in facts.worker_init:
        assert line in provider.worker_init
    if facts.scheduler == "local":
        return
    assert getattr(provider, partition_key(facts)) == facts.default_partition
    if facts.account_required:
        assert provider.account == "xaas-test"
    assert provider.nodes_per_block == 1
    if facts.scheduler == "slurm":
        assert provider.gpus_per_node == (node.gpus or None)
    if facts.uenv:
        assert f"--uenv={facts.uenv}" in provider.scheduler_options
        assert f"--view={facts.uenv_view}" in provider.scheduler_options
    if node.nodelist:
        assert f"--nodelist={node.nodelist}" in provider.scheduler_options
    if facts.filesystems:
        assert f"#PBS -l filesystems={facts.filesystems}" in provider.scheduler_options
    if facts.scheduler == "pbspro":
        assert provider.cpus_per_node == node.cores


@needs_endpoint
def test_gpu_binding_per_gpu_on_alps_and_per_tile_on_aurora() -> None:
    alps = globus.load_endpoint_config("alps", account="g1").engine.executor
    assert list(alps.available_accelerators) == ["0", "1", "2", "3"]
    aurora = globus.load_endpoint_config("aurora", account="a1").engine.executor
    assert list(aurora.available_accelerators) == [
        f"{g}.{t}" for g in range(6) for t in range(2)]
    assert aurora.max_workers_per_node == 12


@needs_endpoint
def test_user_options_reach_the_provider() -> None:
    alps = _provider("alps", account="g1", partition="debug", nodes=2, walltime="00:20:00",
                     uenv="icon/25.2:v1", uenv_view="spack", max_blocks=3,
                     worker_init="source $HOME/xaas/bin/activate")
    assert (alps.partition, alps.nodes_per_block, alps.walltime, alps.max_blocks) == (
        "debug", 2, "00:20:00", 3)
    assert "#SBATCH --uenv=icon/25.2:v1\n#SBATCH --view=spack\n" in alps.scheduler_options
    assert "source $HOME/xaas/bin/activate" in alps.worker_init
    aurora = _provider("aurora", account="a1", queue="capacity", nodes=4,
                       filesystems="home:flare:daos", worker_init="export A='x \"y\"'")
    assert (aurora.queue, aurora.nodes_per_block) == ("capacity", 4)
    assert "#PBS -l filesystems=home:flare:daos" in aurora.scheduler_options
    assert aurora.worker_init.startswith("module load frameworks\nexport A='x \"y\"'")
    cpu = globus.load_endpoint_config("ault", node_type="cpu").engine
    assert list(cpu.executor.available_accelerators) == []
    assert cpu.provider.gpus_per_node is None
    assert "--nodelist=ault01\n" in cpu.provider.scheduler_options  # one host per node asked
    three = globus.load_endpoint_config("ault", node_type="cpu", nodes=3).engine
    assert "--nodelist=ault01,ault02,ault03\n" in three.provider.scheduler_options
    assert cpu.provider.account is None
    assert _provider("ault", account="csstaff").account == "csstaff"


@needs_endpoint
@pytest.mark.parametrize(("site", "opts", "message"), [
    ("alps", {}, "'account' is a required property"),
    ("aurora", {"queue": "debug"}, "'account' is a required property"),
    ("alps", {"account": "g1", "nodes": "2"}, "'nodes': '2' is not of type 'integer'"),
    ("alps", {"account": "g1", "partition": "debug", "nodes": 3},
     "'nodes': 3 is greater than the maximum of 2"),
    ("aurora", {"account": "a1", "queue": "prod"}, "'nodes' is a required property"),
    ("aurora", {"account": "a1", "queue": "prod", "nodes": 8},
     "'nodes': 8 is less than the minimum of 256"),
    ("alps", {"account": "g1", "partition": "long"}, "'partition': 'long' is not one of"),
    ("alps", {"account": "g1", "partiton": "debug"}, "'partiton' was unexpected"),
    ("alps", {"account": "g1; rm -rf ~"}, "'account': 'g1; rm -rf ~' does not match"),
    ("alps", {"account": "g1", "walltime": "2h"}, "'walltime': '2h' does not match"),
    ("ault", {"node_type": "h100"}, "'node_type': 'h100' is not one of"),
    ("local", {"workers_per_node": 0}, "'workers_per_node': 0 is less than the minimum of 1"),
])
def test_bad_options_are_rejected_by_the_schema(site: str, opts: dict[str, Any],
                                                message: str) -> None:
    with pytest.raises(InputError, match="invalid user endpoint option") as endpoint_side:
        globus.render_endpoint_template(site, **opts)
    assert message in str(endpoint_side.value)
    assert str(endpoint_side.value).startswith(str(globus.schema_path(site)))
    with pytest.raises(InputError) as submit_side:
        globus.check_user_options(site, opts)
    assert message in str(submit_side.value)


def test_good_options_pass_the_submit_side_check() -> None:
    assert globus.check_user_options("alps", {"account": "g1", "nodes": 2}) == {
        "account": "g1", "nodes": 2}


@needs_endpoint
def test_reserved_names_are_refused_by_the_endpoint_renderer() -> None:
    with pytest.raises(InputError, match="'_GC' is a reserved word"):
        globus.render_endpoint_template("local", _GC="x")


def test_unknown_site_and_step_are_errors() -> None:
    with pytest.raises(InputError, match=r"unknown site 'nowhere'.*alps"):
        globus.template_path("nowhere")
    with pytest.raises(InputError, match="unknown step 'deploy'"):
        globus.step_function("deploy")


@needs_endpoint
def test_the_documented_endpoint_commands_accept_our_files(tmp_path: Path) -> None:
    """``globus-compute-endpoint configure`` with our files, then its own ``render-user-config``
    check of the configured endpoint, as docs/globus-compute.md tells admins (offline)."""
    cli = str(Path(sys.executable).parent / "globus-compute-endpoint")
    env = {**os.environ, "HOME": str(tmp_path)}
    configure = subprocess.run(
        [cli, "configure", "--multi-user", "false", "xaas-alps",
         "--template-config", str(globus.template_path("alps")),
         "--schema-config", str(globus.schema_path("alps"))],
        capture_output=True, text=True, check=False, timeout=120, env=env)
    assert configure.returncode == 0, configure.stdout + configure.stderr
    endpoint_dir = tmp_path / ".globus_compute" / "xaas-alps"
    assert (endpoint_dir / "user_config_template.yaml.j2").read_text() == \
        globus.template_path("alps").read_text()
    opts = tmp_path / "opts.json"
    opts.write_text(json.dumps({"account": "g1", "partition": "debug"}))
    render = subprocess.run([cli, "render-user-config", "-e", "xaas-alps", "-o", str(opts)],
                            capture_output=True, text=True, check=False, timeout=120, env=env)
    assert render.returncode == 0, render.stderr
    assert 'partition: "debug"' in render.stdout
    assert "type: SrunLauncher" in render.stdout


@needs_endpoint
def test_module_cli_renders_and_reports_bad_options() -> None:
    run = [sys.executable, "-m", "xaas_parsl.sites.globus", "render", "aurora"]
    good = subprocess.run([*run, "--options", '{"account": "a1"}'], capture_output=True,
                          text=True, check=False, timeout=120)
    assert good.returncode == 0, good.stderr
    assert "type: PBSProProvider" in good.stdout
    bad = subprocess.run(run, capture_output=True, text=True, check=False, timeout=120)
    assert bad.returncode == 2
    assert "xaas: error:" in bad.stderr and "'account' is a required property" in bad.stderr


def test_a_missing_endpoint_package_is_a_one_line_error_naming_the_extra(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.startswith("globus_compute_endpoint")] or [
            "globus_compute_endpoint"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ToolError, match=r"globus-compute-endpoint is not installed.*\[globus\]"):
        globus.load_endpoint_config("local")
