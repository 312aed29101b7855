"""Parsl configurations generated from site facts.

Every config has two executors with fixed labels, so apps can declare where they run without
knowing the site:

* ``login``: a thread pool in the driver process (the login node or the laptop): cheap steps such
  as reading specialization points and intersecting;
* ``compute``: a HighThroughputExecutor (or MPIExecutor) whose workers run on compute nodes,
  started through the site's scheduler (Slurm + ``srun`` on Alps/Ault, PBS Pro + ``mpiexec`` on
  Aurora, local processes on ``local``): discovery on the node, builds/deployments and runs.

The scheduler providers are Parsl's own, subclassed only to check the account when a job is
*submitted*: building a config to inspect it (or to render its batch script) needs no account.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from parsl.config import Config
from parsl.executors import HighThroughputExecutor, MPIExecutor, ThreadPoolExecutor
from parsl.executors.high_throughput.executor import DEFAULT_LAUNCH_CMD
from parsl.launchers import MpiExecLauncher, SimpleLauncher, SrunLauncher
from parsl.launchers.base import Launcher
from parsl.providers import LocalProvider, PBSProProvider, SlurmProvider
from parsl.providers.base import ExecutionProvider

from xaas_parsl.errors import InputError, XaasError
from xaas_parsl.safety import optional_setting
from xaas_parsl.sites.facts import (
    ACCOUNT_ENV,
    Limits,
    NodeType,
    SiteFacts,
    load_site,
    walltime_minutes,
)

# The interchange runs where the driver runs: start it with the driver's own interpreter, so a
# virtual environment works without being activated (Parsl's default needs it on PATH).
INTERCHANGE_CMD = [sys.executable, "-m", "parsl.executors.high_throughput.interchange"]
# Workers likewise, locally and on compute nodes: the node runs the driver's own environment
# (shared file system), not whichever process_worker_pool.py the node's PATH finds first, whose
# Parsl version may differ from the interchange's.
WORKER_CMD = DEFAULT_LAUNCH_CMD.replace(
    "process_worker_pool.py",
    f"{sys.executable} -m parsl.executors.high_throughput.process_worker_pool",
)


class MissingAccountError(XaasError):
    """A job would be submitted to a site that charges an account, but none was given."""


def _missing_account(site: str) -> MissingAccountError:
    return MissingAccountError(
        f"site {site} needs an account to submit jobs: pass account=... to "
        f"xaas_parsl.sites.config({site!r}, ...) or set {ACCOUNT_ENV}"
    )


class SiteSlurmProvider(SlurmProvider):
    """Parsl's SlurmProvider that refuses to submit without a required account."""

    def __init__(self, *, site: str, account_required: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.account_required = account_required

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.slurm") -> str:
        if self.account_required and not self.account:
            raise _missing_account(self.site)
        job_id: str = super().submit(command, tasks_per_node, job_name)
        return job_id


class SitePBSProProvider(PBSProProvider):
    """Parsl's PBSProProvider that refuses to submit without a required account."""

    def __init__(self, *, site: str, account_required: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.account_required = account_required

    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.pbs") -> str:
        if self.account_required and not self.account:
            raise _missing_account(self.site)
        job_id: str = super().submit(command, tasks_per_node, job_name)
        return job_id


def _check_request(site: SiteFacts, where: str | None, limits: Limits, nodes: int,
                   walltime: str) -> None:
    if not re.fullmatch(r"\d{1,3}:[0-5]\d:[0-5]\d", walltime):
        raise InputError(f"walltime {walltime!r} is not HH:MM:SS")
    if nodes < 1:
        raise InputError(f"nodes must be at least 1, got {nodes}")
    if limits.max_minutes and walltime_minutes(walltime) > limits.max_minutes:
        raise InputError(f"walltime {walltime} exceeds {site.name} {where}'s limit "
                         f"{limits.max_walltime}")
    if limits.max_nodes and nodes > limits.max_nodes:
        raise InputError(f"{nodes} nodes exceed {site.name} {where}'s limit of {limits.max_nodes}")
    if limits.min_nodes and nodes < limits.min_nodes:
        raise InputError(f"{site.name} {where} needs at least {limits.min_nodes} nodes")


def worker_init(site: SiteFacts, extra: str = "") -> str:
    """Shell lines run before workers start: modules, the site's own lines, the caller's."""
    lines = [f"module load {m}" for m in site.modules] + list(site.worker_init)
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def _slurm_options(site: SiteFacts, node: NodeType, nodes: int) -> str:
    lines = [f"#SBATCH {option}" for option in site.slurm_options(node, nodes)]
    return "\n".join(lines) + ("\n" if lines else "")


def _launcher(site: SiteFacts) -> Launcher:
    if site.launcher == "srun":
        return SrunLauncher()
    if site.launcher == "mpiexec":
        # One manager per node; workers bind to tiles through available_accelerators.
        return MpiExecLauncher(bind_cmd="--cpu-bind", overrides="--ppn 1")
    return SimpleLauncher()


def compute_provider(
    site: SiteFacts,
    *,
    account: str | None,
    nodes: int,
    partition: str | None,
    walltime: str | None,
    node_type: str | None,
    max_blocks: int,
    extra_worker_init: str = "",
) -> ExecutionProvider:
    """The scheduler provider for the ``compute`` executor, from the site's facts."""
    node = site.node_type(node_type)
    where, limits = site.partition(partition)
    init = worker_init(site, extra_worker_init)
    if site.scheduler == "local":
        return LocalProvider(init_blocks=1, min_blocks=0, max_blocks=max_blocks,
                             nodes_per_block=1, worker_init=init, launcher=SimpleLauncher())
    wall = walltime or "00:30:00"
    _check_request(site, where, limits, nodes, wall)
    if site.scheduler == "slurm":
        return SiteSlurmProvider(
            site=site.name, account_required=site.account_required,
            partition=where, account=account, nodes_per_block=nodes, walltime=wall,
            gpus_per_node=node.gpus or None, init_blocks=1, min_blocks=0, max_blocks=max_blocks,
            scheduler_options=_slurm_options(site, node, nodes), worker_init=init,
            launcher=_launcher(site), exclusive=True,
        )
    options = f"#PBS -l filesystems={site.filesystems}\n" if site.filesystems else ""
    return SitePBSProProvider(
        site=site.name, account_required=site.account_required,
        account=account, queue=where, nodes_per_block=nodes, cpus_per_node=node.cores,
        walltime=wall, scheduler_options=options, select_options="", worker_init=init,
        init_blocks=1, min_blocks=0, max_blocks=max_blocks, launcher=_launcher(site),
    )


def config(
    site: str | Path = "local",
    *,
    account: str | None = None,
    nodes: int = 1,
    partition: str | None = None,
    walltime: str | None = None,
    node_type: str | None = None,
    max_blocks: int = 1,
    workers_per_node: int | None = None,
    login_threads: int = 4,
    run_dir: str | Path = "runinfo",
    strategy_period: float = 0.5,
    worker_init_extra: str = "",
    encrypted: bool = True,
) -> Config:
    """A Parsl ``Config`` for ``site`` with executors ``login`` and ``compute``.

    ``account`` defaults to ``$XAAS_ACCOUNT``; a missing account only fails when a job is
    submitted. ``strategy_period`` is lowered from Parsl's 5 s so the first block starts at once.
    On GPU sites each worker is bound to one GPU (Alps, Ault) or one GPU tile (Aurora).
    ``encrypted`` (default on) makes HTEX encrypt and authenticate the interchange-worker
    traffic (CurveZMQ), which carries pickled tasks and results, and also the flare packs'
    specs with their frame-sealing secret: on a cluster the compute nodes reach the login
    node over a network other users share.
    """
    facts = load_site(site)
    node = facts.node_type(node_type)
    # Parsl's providers submit through a shell and write these into the batch script: each is
    # checked against the scheduler's form before anything is rendered.
    given = account or os.environ.get(ACCOUNT_ENV) or None
    optional_setting("account", given, None if account else f"${ACCOUNT_ENV}")
    optional_setting("walltime", walltime)
    provider = compute_provider(
        facts,
        account=given,
        nodes=nodes,
        partition=partition,
        walltime=walltime,
        node_type=node_type,
        max_blocks=max_blocks,
        extra_worker_init=worker_init_extra,
    )
    accelerators = node.accelerators if facts.gpu_binding != "none" else []
    if facts.executor == "mpi":
        compute: HighThroughputExecutor = MPIExecutor(
            label="compute", provider=provider, max_workers_per_block=1,
            mpi_launcher="srun" if facts.launcher == "srun" else "mpiexec",
            launch_cmd=WORKER_CMD,
            # MPIExecutor annotates this as str but hands it to HTEX, which wants a sequence.
            interchange_launch_cmd=INTERCHANGE_CMD,  # type: ignore[arg-type]
            encrypted=encrypted,
        )
    else:
        workers = workers_per_node or (len(accelerators) if accelerators else None)
        if workers is None and facts.scheduler == "local":
            workers = max(1, (node.cores or os.cpu_count() or 1))
        compute = HighThroughputExecutor(
            label="compute", provider=provider, max_workers_per_node=workers,
            available_accelerators=accelerators, cpu_affinity="none",
            heartbeat_period=15, heartbeat_threshold=120, poll_period=10,
            launch_cmd=WORKER_CMD, interchange_launch_cmd=INTERCHANGE_CMD,
            encrypted=encrypted,
        )
    return Config(
        executors=[ThreadPoolExecutor(label="login", max_threads=login_threads), compute],
        strategy_period=strategy_period,
        run_dir=str(run_dir),
        initialize_logging=True,
    )
