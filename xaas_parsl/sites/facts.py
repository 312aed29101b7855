"""Site facts: ``xaas_parsl/site_configs/<site>/site.yaml`` loaded, validated and typed.

One YAML file per site is the single source of truth for scheduler, partitions/queues, node
shape, launcher, container runtime and software setup. The Parsl config, the Snakemake profile
and the Globus Compute endpoint template are generated from these facts (or checked against them
in tests), so a partition rename is one edit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_yaml, validate
from xaas_parsl.packaged import SITE_CONFIGS as SITE_CONFIGS  # re-exported: callers import it here
from xaas_parsl.safety import Setting, optional_setting, setting

#: Environment variable read when no account is given (Parsl configs, profiles, endpoints).
ACCOUNT_ENV = "XAAS_ACCOUNT"


@dataclass(frozen=True)
class NodeType:
    """The shape of one kind of compute node."""

    name: str
    cores: int
    architecture: str
    gpus: int
    gpu_vendor: str | None = None
    gpu_model: str | None = None
    gpu_tiles: int | None = None
    cuda_architectures: tuple[str, ...] = ()
    nodelist: str | None = None
    cpu: str | None = None
    microarchitecture: str | None = None  # archspec name: what a plan tunes for

    @property
    def hosts(self) -> list[str]:
        """The node names of ``nodelist`` (Slurm hostlist syntax, e.g. ``ault[23-24]``)."""
        import hostlist

        return list(hostlist.expand_hostlist(self.nodelist)) if self.nodelist else []

    def hosts_for(self, nodes: int) -> list[str]:
        """The first ``nodes`` hosts: Slurm's ``--nodelist`` requires *every* listed node, so a
        request smaller than the node type gets a prefix of it (empty: no nodelist)."""
        hosts = self.hosts
        if hosts and nodes > len(hosts):
            raise InputError(f"node type {self.name} has {len(hosts)} node(s) "
                             f"({self.nodelist}); {nodes} requested")
        return hosts[:nodes]

    @property
    def accelerators(self) -> list[str]:
        """Device ids handed to workers: GPUs, or ``gpu.tile`` ids when bound per tile."""
        if self.gpu_tiles and self.gpus:
            per_gpu = self.gpu_tiles // self.gpus
            return [f"{g}.{t}" for g in range(self.gpus) for t in range(per_gpu)]
        return [str(g) for g in range(self.gpus)]


def walltime_minutes(walltime: str) -> int:
    """``HH:MM:SS`` in whole minutes, rounded up (what Slurm's ``--time=<minutes>`` takes)."""
    hours, minutes, seconds = (int(x) for x in walltime.split(":"))
    return hours * 60 + minutes + (1 if seconds else 0)


@dataclass(frozen=True)
class Limits:
    """Walltime and node-count limits of a partition or queue."""

    max_walltime: str | None = None
    min_nodes: int | None = None
    max_nodes: int | None = None

    @property
    def max_minutes(self) -> int | None:
        """The walltime limit in whole minutes, or ``None`` when there is none."""
        return walltime_minutes(self.max_walltime) if self.max_walltime else None


@dataclass(frozen=True)
class SiteFacts:
    """Everything xaas-parsl knows about one site."""

    name: str
    description: str
    scheduler: str
    account_required: bool
    partitions: dict[str, Limits]
    default_partition: str | None
    node_types: dict[str, NodeType]
    default_node_type: str
    launcher: str
    executor: str
    gpu_binding: str
    container_runtime: str
    uenv: str | None
    uenv_view: str | None
    modules: tuple[str, ...]
    worker_init: tuple[str, ...]
    filesystems: str | None
    path: Path

    def slurm_options(self, node: NodeType, nodes: int) -> list[str]:
        """sbatch options the site needs beyond partition/account/nodes: the uenv and its view
        (Alps) and the hosts of the node type (Ault). Shared by the Parsl config (as
        ``#SBATCH`` lines) and the Snakemake profiles (as ``slurm_extra``)."""
        options = []
        if self.uenv:
            options.append(f"--uenv={self.uenv}")
            if self.uenv_view:
                options.append(f"--view={self.uenv_view}")
        if node.nodelist:
            options.append(f"--nodelist={','.join(node.hosts_for(nodes))}")
        return options

    def node_type(self, name: str | None = None) -> NodeType:
        """A node type by name (default: the site's default); unknown names are an error."""
        key = name or self.default_node_type
        if key not in self.node_types:
            known = ", ".join(sorted(self.node_types))
            raise InputError(f"site {self.name} has no node type {key!r} (known: {known})")
        return self.node_types[key]

    def partition(self, name: str | None = None) -> tuple[str | None, Limits]:
        """A partition/queue by name (default: the site's default); unknown names are an error."""
        if self.scheduler == "local":
            return None, Limits()
        key = name or self.default_partition
        if key not in self.partitions:
            word = "queue" if self.scheduler == "pbspro" else "partition"
            known = ", ".join(sorted(self.partitions))
            raise InputError(f"site {self.name} has no {word} {key!r} (known: {known})")
        return key, self.partitions[key]


@cache
def site_schema() -> dict[str, Any]:
    """JSON Schema of ``site.yaml``."""
    text = resources.files("xaas_parsl.schemas").joinpath("site.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def known_sites(root: Path = SITE_CONFIGS) -> list[str]:
    """Sites that have a ``site.yaml`` under ``root``."""
    return sorted(p.parent.name for p in root.glob("*/site.yaml"))


def _node(name: str, data: dict[str, Any]) -> NodeType:
    return NodeType(
        name=name,
        cores=data["cores"],
        architecture=data["architecture"],
        gpus=data["gpus"],
        gpu_vendor=data.get("gpu_vendor"),
        gpu_model=data.get("gpu_model"),
        gpu_tiles=data.get("gpu_tiles"),
        cuda_architectures=tuple(data.get("cuda_architectures", ())),
        nodelist=data.get("nodelist"),
        cpu=data.get("cpu"),
        microarchitecture=data.get("microarchitecture"),
    )


def facts_from_dict(data: Any, path: Path) -> SiteFacts:
    """Validate and type a parsed ``site.yaml``."""
    if not isinstance(data, dict):
        raise InputError("a site.yaml must be a mapping", path)
    validate(data, site_schema(), path, "site.yaml")
    if "node_types" in data:
        nodes = {k: _node(k, v) for k, v in data["node_types"].items()}
        default_node = data["default_node_type"]
        if default_node not in nodes:
            raise InputError(f"default_node_type {default_node!r} is not in node_types", path)
    else:
        nodes = {"default": _node("default", data["node"])}
        default_node = "default"
    limits = data.get("partitions") or data.get("queues") or {}
    default_partition = data.get("default_partition") or data.get("default_queue")
    if default_partition is not None and default_partition not in limits:
        raise InputError(f"default partition/queue {default_partition!r} is not defined", path)
    software = data["software"]
    _check_settings(data, nodes, limits, software, path)
    return SiteFacts(
        name=data["name"],
        description=data.get("description", ""),
        scheduler=data["scheduler"],
        account_required=data["account_required"],
        partitions={k: Limits(**v) for k, v in limits.items()},
        default_partition=default_partition,
        node_types=nodes,
        default_node_type=default_node,
        launcher=data["launcher"],
        executor=data["executor"],
        gpu_binding=data.get("gpu_binding", "none"),
        container_runtime=data.get("container_runtime", "native"),
        uenv=software.get("uenv"),
        uenv_view=software.get("uenv_view"),
        modules=tuple(software.get("modules", ())),
        worker_init=tuple(software.get("worker_init", ())),
        filesystems=data.get("filesystems"),
        path=path,
    )


def _check_settings(data: dict[str, Any], nodes: dict[str, NodeType], limits: dict[str, Any],
                    software: dict[str, Any], path: Path) -> None:
    """Every value that reaches a batch script, a submit command or a profile, against the
    scheduler's own form (``safety.setting``): a shared site.yaml is input like any other."""
    setting("site", data["name"], path)
    word: Setting = "queue" if data["scheduler"] == "pbspro" else "partition"
    for name in limits:
        setting(word, name, path)
    for node in nodes.values():
        setting("node_type", node.name, path)
        optional_setting("nodelist", node.nodelist, path)
    optional_setting("uenv", software.get("uenv"), path)
    optional_setting("view", software.get("uenv_view"), path)
    for module in software.get("modules", ()):
        setting("module", module, path)
    optional_setting("filesystems", data.get("filesystems"), path)
    for lim in limits.values():
        optional_setting("walltime", (lim or {}).get("max_walltime"), path)


def load_site(site: str | Path, root: Path = SITE_CONFIGS) -> SiteFacts:
    """Load a site by name (``alps``) or by path to a ``site.yaml`` / site directory."""
    candidate = Path(site)
    named = root / str(site) / "site.yaml"
    # A bare name of a bundled site wins over a same-named directory in the working directory:
    # a workflow directory holding the Snakemake profile `local/` must still mean site `local`.
    bare = "/" not in str(site) and candidate.suffix not in {".yaml", ".yml"}
    by_name = bare and named.is_file()
    if by_name:
        path = named
    elif candidate.suffix in {".yaml", ".yml"} or candidate.is_dir():
        path = candidate / "site.yaml" if candidate.is_dir() else candidate
    else:
        if not named.is_file():
            known = ", ".join(known_sites(root)) or "none"
            raise InputError(f"unknown site {site!r}: known sites are {known}; or give the path "
                             "to a site.yaml")
        path = named
    facts = facts_from_dict(load_yaml(path), path)
    if path == named and facts.name != str(site):
        raise InputError(f"site.yaml names the site {facts.name!r}, expected {site!r}", path)
    return facts
