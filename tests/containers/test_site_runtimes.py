"""Site runtimes (Apptainer, Sarus, the CSCS Container Engine): generated files and command
lines for Alps, Ault and Aurora, checked three ways: against golden files, against the site
facts read from ``site_configs/*/site.yaml``, and against each tool's documented syntax (EDFs
are parsed back with ``tomllib``). Regenerate the golden files after an intended change with
``XAAS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/containers/test_site_runtimes.py`` and review
the diff."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from xaas_parsl.containers.runtime.apptainer import ApptainerRuntime, render_def
from xaas_parsl.containers.runtime.base import Bind, GpuRequest, MpiRequest, RunSpec
from xaas_parsl.containers.runtime.cscs_ce import ContainerEngineRuntime
from xaas_parsl.containers.runtime.launch import SiteShape
from xaas_parsl.containers.runtime.registry import (
    RUNTIMES,
    get_runtime,
    runtime_class,
    runtime_for_site,
)
from xaas_parsl.containers.runtime.sarus import SarusRuntime, loaded_name
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.sites.facts import load_site

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("XAAS_UPDATE_GOLDEN") == "1"
APP = "/opt/xaas/heat2d/bin/heat2d_test"
BINDS = (Bind("/scratch/run1/input", "/input"), Bind("/scratch/run1/out", "/out", read_only=False))


def golden(name: str, text: str) -> None:
    """Compare ``text`` with ``golden/<name>`` (rewrite it when XAAS_UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path}; run with XAAS_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is intended, regenerate with "
        "XAAS_UPDATE_GOLDEN=1 and review the diff")


def lines(*argvs: list[str]) -> str:
    return "".join(shlex.join(argv) + "\n" for argv in argvs)


def mpi_spec(image: str, ranks: int) -> RunSpec:
    return RunSpec(image=image, command=(APP, "--steps", "100"), binds=BINDS,
                   env=(("OMP_NUM_THREADS", "8"),), workdir="/out",
                   gpus=GpuRequest("nvidia"), mpi=MpiRequest(ranks=ranks))


# -- Alps: CSCS Container Engine, GH200, srun --environment ------------------------------------


def test_alps_edf_and_srun_lines() -> None:
    facts = load_site("alps")
    node = facts.node_type()
    runtime = runtime_for_site(facts, edf_path="/capstor/scratch/xaas/heat2d.toml")
    assert isinstance(runtime, ContainerEngineRuntime)
    image = "/capstor/scratch/xaas/heat2d.sqsh"
    single = RunSpec(image=image, command=(APP,), gpus=GpuRequest("nvidia", 1))
    mpi = mpi_spec(image, ranks=8)
    golden("alps/heat2d-single.toml", runtime.edf_text(single))
    golden("alps/heat2d-mpi.toml", runtime.edf_text(mpi))
    golden("alps/run.txt", lines(runtime.run_argv(single), runtime.run_argv(mpi)))

    # against the site facts
    argv = runtime.run_argv(mpi)
    assert argv[0] == facts.launcher == "srun"
    assert f"--ntasks-per-node={node.gpus}" in argv  # one rank per GH200
    assert "--nodes=2" in argv and "--mpi=pmi2" in argv
    assert f"--gpus-per-node={node.gpus}" in argv
    assert argv[argv.index("--mpi=pmi2") + 1:] == [
        "--environment=/capstor/scratch/xaas/heat2d.toml", APP, "--steps", "100"]
    assert "--gpus-per-node=1" in runtime.run_argv(single)
    # the EDF as the Container Engine reads it (TOML), in the documented shape
    edf = tomllib.loads(runtime.edf_text(mpi))
    assert edf["image"] == image and edf["workdir"] == "/out"
    assert edf["mounts"] == ["/scratch/run1/input:/input:ro", "/scratch/run1/out:/out"]
    assert edf["env"] == {"OMP_NUM_THREADS": "8"}
    hooks = edf["annotations"]["com"]["hooks"]
    assert hooks["cxi"]["enabled"] == "true"
    assert node.cuda_architectures == ("90",)
    assert hooks["aws_ofi_nccl"] == {"enabled": "true", "variant": "cuda12"}  # sm_90: CUDA 12
    assert "[annotations.com.hooks.cxi]" in runtime.edf_text(mpi)  # nested, not a quoted key
    assert "cxi" not in tomllib.loads(runtime.edf_text(single)).get("annotations", {}).get(
        "com", {}).get("hooks", {})


def test_edf_escapes_dollar_and_needs_a_path() -> None:
    runtime = ContainerEngineRuntime()
    spec = RunSpec(image="/p/a.sqsh", command=("x",), env=(("PRICE", "$5"),))
    assert tomllib.loads(runtime.edf_text(spec))["env"]["PRICE"] == "$$5"
    assert runtime.run_argv(spec) == ["srun", "--ntasks=1", "--environment=/p/a.toml", "x"]
    with pytest.raises(InputError, match="EDF path"):
        runtime.run_argv(RunSpec(image="library/ubuntu:24.04", command=("x",)))
    with pytest.raises(InputError, match="NVIDIA GPUs only"):
        runtime.edf(RunSpec(image="/p/a.sqsh", command=("x",), gpus=GpuRequest("intel")))


# -- Ault: Sarus 1.6, V100 / A100 node types, --mpi ------------------------------------------


@pytest.mark.parametrize("node_type", ["v100", "a100", "cpu"])
def test_ault_sarus_lines_per_node_type(node_type: str) -> None:
    facts = load_site("ault")
    node = facts.node_type(node_type)
    runtime = runtime_for_site(facts, node_type)
    assert isinstance(runtime, SarusRuntime)
    image = loaded_name("heat2d:1.0-ault")
    assert image == "load/library/heat2d:1.0-ault"  # what `sarus images` shows after load
    gpus = GpuRequest("nvidia") if node.gpus else None
    single = RunSpec(image=image, command=(APP,), gpus=gpus, binds=BINDS[:1])
    mpi_ranks = len(node.hosts) * (node.gpus or 2)  # fill the node type's hosts
    mpi = RunSpec(image=image, command=(APP,), binds=BINDS, env=(("OMP_NUM_THREADS", "4"),),
                  workdir="/out", gpus=gpus,
                  mpi=MpiRequest(ranks=mpi_ranks, ranks_per_node=None if node.gpus else 2))
    golden(f"ault/{node_type}-run.txt", lines(
        ["srun", "--ntasks=1", *runtime.load_argv("/scratch/heat2d.tar", "heat2d:1.0-ault")],
        runtime.run_argv(single), runtime.run_argv(mpi)))

    argv = runtime.run_argv(mpi)
    sarus_at = argv.index("sarus")
    launcher, sarus = argv[:sarus_at], argv[sarus_at:]
    assert launcher[0] == facts.launcher == "srun" and "--mpi=pmi2" in launcher
    hosts = node.hosts
    nodes = -(-mpi_ranks // (node.gpus or 2))
    assert f"--nodelist={','.join(hosts[:nodes])}" in launcher  # the node type's hosts
    assert sarus[:3] == ["sarus", "run", "--mpi"]
    assert ("--gpus-per-node=4" in launcher) == bool(node.gpus)
    # documented mount syntax: type=bind,source=...,destination=...[,readonly]
    assert "--mount=type=bind,source=/scratch/run1/input,destination=/input,readonly" in sarus
    assert "--mount=type=bind,source=/scratch/run1/out,destination=/out" in sarus
    assert "--env=OMP_NUM_THREADS=4" in sarus and "--workdir=/out" in sarus
    assert sarus[-2:] == [image, APP]


def test_ault_node_types_differ_where_the_facts_do() -> None:
    facts = load_site("ault")
    spec = RunSpec(image="img", command=("x",), gpus=GpuRequest("nvidia"))
    v100 = runtime_for_site(facts, "v100").run_argv(spec)
    a100 = runtime_for_site(facts, "a100").run_argv(spec)
    assert "--nodelist=ault23" in v100 and "--nodelist=ault25" in a100
    with pytest.raises(InputError, match="no node type"):
        runtime_for_site(facts, "h100")
    with pytest.raises(InputError, match="5 GPU"):
        runtime_for_site(facts, "v100").run_argv(
            RunSpec(image="img", command=("x",), gpus=GpuRequest("nvidia", 5)))
    with pytest.raises(InputError, match="2 node"):  # 12 ranks at 4 per node > ault23-24
        runtime_for_site(facts, "v100").run_argv(
            RunSpec(image="img", command=("x",), gpus=GpuRequest("nvidia"),
                    mpi=MpiRequest(ranks=12)))


# -- Aurora: Apptainer, Intel GPU Max (Level Zero), mpiexec -----------------------------------


def test_aurora_apptainer_lines_and_def() -> None:
    facts = load_site("aurora")
    node = facts.node_type()
    runtime = runtime_for_site(facts)
    assert isinstance(runtime, ApptainerRuntime)
    sif = "/lus/flare/projects/xaas/heat2d.sif"
    single = RunSpec(image=sif, command=(APP,), gpus=GpuRequest("intel", 2), binds=BINDS[:1])
    mpi = RunSpec(image=sif, command=(APP, "--steps", "100"), binds=BINDS,
                  env=(("OMP_NUM_THREADS", "8"),), workdir="/out", gpus=GpuRequest("intel"),
                  mpi=MpiRequest(ranks=24))
    cpu_only = RunSpec(image=sif, command=(APP,), network="host")
    golden("aurora/run.txt", lines(runtime.build_argv("heat2d.sif", "heat2d.def"),
                                   runtime.run_argv(single), runtime.run_argv(mpi),
                                   runtime.run_argv(cpu_only)))
    golden("aurora/heat2d.def", render_def(
        "heat2d.tar", {"org.xaas.app": "heat2d", "org.xaas.config": "sycl-level-zero"},
        [("PATH", "/opt/xaas/heat2d/bin:/usr/bin:/bin"), ("XAAS_NOTE", "it's quoted")],
        entrypoint=(), cmd=(APP,), workdir="/opt/xaas/heat2d"))

    argv = runtime.run_argv(mpi)
    assert argv[0] == facts.launcher == "mpiexec"
    assert argv[:5] == ["mpiexec", "-n", "24", "--ppn", str(node.gpu_tiles)]  # one rank a tile
    assert node.gpu_tiles == len(node.accelerators) == 12
    assert "--bind" in argv and "/dev/dri:/dev/dri" in argv
    assert "ZE_FLAT_DEVICE_HIERARCHY=FLAT" in argv  # gpu_binding: per-tile
    assert "--cleanenv" not in argv and "--net" not in argv  # ranks keep PMI env and network
    assert "/scratch/run1/input:/input:ro" in argv and "/scratch/run1/out:/out:rw" in argv
    assert argv[argv.index("--pwd") + 1] == "/out"
    single_argv = runtime.run_argv(single)
    assert single_argv[:2] == ["apptainer", "exec"]  # no MPI: no launcher
    assert "ZE_AFFINITY_MASK=0,1" in single_argv
    assert single_argv[single_argv.index("--net"):single_argv.index("--net") + 3] == [
        "--net", "--network", "none"]
    assert "--net" not in runtime.run_argv(cpu_only)
    with pytest.raises(InputError, match="intel GPUs"):
        runtime.run_argv(RunSpec(image=sif, command=("x",), gpus=GpuRequest("nvidia")))
    with pytest.raises(InputError, match="13 GPU"):
        runtime.run_argv(RunSpec(image=sif, command=("x",), gpus=GpuRequest("intel", 13)))


def test_apptainer_vendor_flags_without_site() -> None:
    runtime = ApptainerRuntime()
    nvidia = runtime.run_argv(RunSpec(image="a.sif", command=("x",), gpus=GpuRequest("nvidia", 2)))
    assert "--nv" in nvidia and "CUDA_VISIBLE_DEVICES=0,1" in nvidia
    amd = runtime.run_argv(RunSpec(image="a.sif", command=("x",), gpus=GpuRequest("amd")))
    assert "--rocm" in amd
    assert ApptainerRuntime(SiteShape(launcher="simple")).run_argv(
        RunSpec(image="a.sif", command=("x",)))[0] == "apptainer"
    with pytest.raises(InputError, match="no MPI launcher"):
        ApptainerRuntime(SiteShape(launcher="simple")).run_argv(
            RunSpec(image="a.sif", command=("x",), mpi=MpiRequest(ranks=2)))


def test_def_runscript_follows_docker_semantics() -> None:
    text = render_def("a.tar", {}, [], entrypoint=("/bin/app",), cmd=("--help",), workdir=None)
    assert "Bootstrap: docker-archive\nFrom: a.tar\n" in text
    assert "if [ $# -eq 0 ]; then set -- --help; fi" in text
    assert "exec /bin/app \"$@\"" in text
    assert "%labels" not in text and "%environment" not in text


# -- registry and bad input ------------------------------------------------------------------


def test_registry_maps_every_site_yaml_runtime_name() -> None:
    schema_names = {"docker", "podman", "apptainer", "sarus", "cscs-container-engine", "native"}
    assert set(RUNTIMES) == schema_names
    for name in ("podman", "apptainer", "sarus", "cscs-container-engine"):
        assert get_runtime(name).name == name
    assert type(runtime_for_site(load_site("alps"))).__name__ == "ContainerEngineRuntime"
    assert type(runtime_for_site(load_site("ault"))).__name__ == "SarusRuntime"
    assert type(runtime_for_site(load_site("aurora"))).__name__ == "ApptainerRuntime"
    assert runtime_for_site(load_site("local")).name == "docker"  # the other engineer's class


def test_registry_imports_lazily_and_reports_a_missing_module(
        monkeypatch: pytest.MonkeyPatch) -> None:
    probe = ("import sys, xaas_parsl.containers.runtime.registry as r; "
             "r.get_runtime('sarus'); print(sorted(m.rsplit('.', 1)[1] for m in sys.modules "
             "if m.startswith('xaas_parsl.containers.runtime.')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert "'sarus'" in out and "'podman'" not in out and "'apptainer'" not in out
    monkeypatch.setitem(RUNTIMES, "docker", ("xaas_parsl.containers.runtime.no_such", "X"))
    with pytest.raises(ToolError, match="'docker' is not available"):
        runtime_class("docker")


def test_unknown_runtime_name_is_one_clear_error() -> None:
    with pytest.raises(InputError, match=r"unknown container runtime 'singularity'.*known:"):
        get_runtime("singularity")


@pytest.mark.parametrize("name,tool", [("apptainer", "apptainer"), ("sarus", "sarus"),
                                       ("cscs-container-engine", "srun")])
def test_site_runtime_not_installed_names_the_tool(name: str, tool: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    runtime = get_runtime(name)
    assert not runtime.available() and not runtime.capabilities().verified_here
    with pytest.raises(ToolError, match=rf"^{re.escape(tool)} is not installed"):
        runtime.run(RunSpec(image="/x/a.sqsh", command=("true",)))
