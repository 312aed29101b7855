"""Runtime names → classes, and the runtime a site uses (``container_runtime`` in site.yaml).

The names are those ``site_configs/*/site.yaml`` accept: ``docker``, ``podman``, ``apptainer``,
``sarus``, ``cscs-container-engine`` and ``native``. Modules are imported lazily, so asking for
one runtime never imports (or requires) the others' dependencies, and a runtime module that is
not there yet is a clear error rather than an ImportError at package import.
"""

from __future__ import annotations

import importlib
from typing import Any

from xaas_parsl.containers.runtime.base import ContainerRuntime
from xaas_parsl.containers.runtime.launch import SiteShape
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.sites.facts import SiteFacts

#: site.yaml ``container_runtime`` value → (module, class name)
RUNTIMES: dict[str, tuple[str, str]] = {
    "docker": ("xaas_parsl.containers.runtime.docker", "DockerRuntime"),
    "podman": ("xaas_parsl.containers.runtime.podman", "PodmanRuntime"),
    "apptainer": ("xaas_parsl.containers.runtime.apptainer", "ApptainerRuntime"),
    "sarus": ("xaas_parsl.containers.runtime.sarus", "SarusRuntime"),
    "cscs-container-engine": ("xaas_parsl.containers.runtime.cscs_ce",
                              "ContainerEngineRuntime"),
    "native": ("xaas_parsl.containers.runtime.native", "NativeRuntime"),
}

#: Runtimes that take the site's launcher/node shape (the others run on this machine).
SITE_AWARE = {"podman", "apptainer", "sarus", "cscs-container-engine"}


def runtime_class(name: str) -> type[ContainerRuntime]:
    """The class implementing runtime ``name``."""
    if name not in RUNTIMES:
        known = ", ".join(sorted(RUNTIMES))
        raise InputError(f"unknown container runtime {name!r} (known: {known})")
    module_name, class_name = RUNTIMES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ToolError(f"container runtime {name!r} is not available in this installation "
                        f"({module_name} is missing)") from None
    cls: type[ContainerRuntime] = getattr(module, class_name)
    return cls


def get_runtime(name: str, **kwargs: Any) -> ContainerRuntime:
    """An instance of runtime ``name`` (keyword arguments go to its constructor)."""
    return runtime_class(name)(**kwargs)


def site_shape(facts: SiteFacts, node_type: str | None = None) -> SiteShape:
    """The launcher, node shape and GPU binding of a site (one node type on Ault)."""
    return SiteShape(launcher=facts.launcher, node=facts.node_type(node_type),
                     gpu_binding=facts.gpu_binding)


def runtime_for_site(facts: SiteFacts, node_type: str | None = None,
                     **kwargs: Any) -> ContainerRuntime:
    """The runtime ``facts.container_runtime`` names, set up with the site's shape.

    Site runtimes get the launcher (``srun``/``mpiexec``), the node type (GPUs, tiles, Ault's
    node lists) and the GPU binding from the site facts; on Alps the Container Engine also gets
    the NCCL hook variant for its NVIDIA GPUs.
    """
    name = facts.container_runtime
    if name in SITE_AWARE:
        kwargs.setdefault("site", site_shape(facts, node_type))
    if name == "cscs-container-engine":
        kwargs.setdefault("nccl_variant", nccl_variant(facts, node_type))
    return get_runtime(name, **kwargs)


def nccl_variant(facts: SiteFacts, node_type: str | None = None) -> str | None:
    """The Container Engine's AWS OFI NCCL hook variant for the node's GPUs (None: no GPUs).

    Hopper (``sm_90``, GH200 on Alps) needs CUDA 12, older NVIDIA architectures run with the
    ``cuda11`` build too; the CE names its plugin builds ``cuda11``/``cuda12``/``rocm*``.
    """
    node = facts.node_type(node_type)
    if not node.gpus or node.gpu_vendor not in ("nvidia", "amd"):
        return None
    if node.gpu_vendor == "amd":
        return "rocm6"
    newest = max((int(a) for a in node.cuda_architectures if a.isdigit()), default=0)
    return "cuda12" if newest >= 90 else "cuda11"
