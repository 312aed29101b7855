"""GPU options of every container runtime for the CUDA deployment on each NVIDIA node type of
the sites (golden files under golden/gpu/), and the compatibility of the deployed CUDA runtime
with the drivers the sites record. The runtimes' GPU flags live in the runtime modules; this
pins them per site for the CUDA image, side by side (Docker ``--gpus``, Podman CDI devices,
Apptainer ``--nv``, Sarus and the CSCS Container Engine through ``srun --gpus-per-node`` and
their NVIDIA hooks). Regenerate with ``XAAS_UPDATE_GOLDEN=1`` and review the diff."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.containers.test_site_runtimes import golden
from xaas_parsl.containers.runtime.apptainer import ApptainerRuntime
from xaas_parsl.containers.runtime.base import GpuRequest, RunSpec
from xaas_parsl.containers.runtime.docker import DockerRuntime
from xaas_parsl.containers.runtime.podman import PodmanRuntime
from xaas_parsl.containers.runtime.registry import runtime_for_site, site_shape
from xaas_parsl.discovery.load import load_system
from xaas_parsl.intersection.cuda_compat import check_container
from xaas_parsl.sites.facts import load_site

APP = "/opt/xaas/heat2d/bin/heat2d-test"
# (site, node type, recorded system of that node type)
NODES = [("alps", None, "clariden-alps"), ("ault", "v100", "ault23"), ("ault", "a100", "ault25")]
SITE_FAT_BINARY = ["sm_70", "sm_80", "sm_90", "compute_90"]  # what the CUDA IR build carries
# The flag by which each runtime hands the node's GPUs (and its driver) to the container.
GPU_FLAG = {"docker": "--gpus", "podman": "nvidia.com/gpu=", "apptainer": "--nv",
            "sarus": "--gpus-per-node=", "cscs-container-engine": "--gpus-per-node="}


@pytest.mark.parametrize("site, node_type, system", NODES,
                         ids=[f"{s}-{n or 'default'}" for s, n, _ in NODES])
def test_cuda_run_lines_per_runtime(site: str, node_type: str | None, system: str) -> None:
    facts = load_site(site)
    shape = site_shape(facts, node_type)
    image = f"/scratch/xaas/heat2d-{site}-cuda"
    spec = RunSpec(image=image, command=(APP,), gpus=GpuRequest("nvidia", 1))
    runtimes = {
        facts.container_runtime: runtime_for_site(facts, node_type,
                                                  **({"edf_path": f"{image}.toml"} if site ==
                                                     "alps" else {})),
        "apptainer": ApptainerRuntime(shape),
        "podman": PodmanRuntime(site=shape, ulimits=[]),
        "docker": DockerRuntime(),
    }
    text = ""
    for name, runtime in runtimes.items():
        argv = runtime.run_argv(spec)
        assert any(GPU_FLAG[name] in a for a in argv), (name, argv)
        text += f"{name}: {shlex.join(argv)}\n"
    golden(f"gpu/{site}-{node_type or 'default'}.txt", text)


@pytest.mark.parametrize("site, node_type, system", NODES,
                         ids=[f"{s}-{n or 'default'}" for s, n, _ in NODES])
def test_cuda_deployment_runs_on_the_recorded_drivers(site: str, node_type: str | None,
                                                      system: str, reference: Path) -> None:
    """The CUDA 12.4 runtime and the site fat binary on each recorded node: native SASS."""
    gpus = list(load_system(reference / "xaas" / "system-discovery" / f"{system}.json").gpus)
    verdict = check_container("12.4", SITE_FAT_BINARY, gpus)
    assert verdict.runs and verdict.mode == "native" and not verdict.warnings, verdict
