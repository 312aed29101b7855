"""Snakemake executor plugin ``xaas``: rule jobs run through the xaas-parsl Parsl layer.

``snakemake --executor xaas --xaas-site S`` (or ``executor: xaas`` in a profile) hands every
non-local job to the ``compute`` executor of ``xaas_parsl.sites.config(S, ...)``: local worker
processes on ``local``, Slurm or PBS blocks through Parsl's providers on Alps, Ault and Aurora,
or a Globus Compute endpoint with ``--xaas-endpoint UUID``. Local rules stay on the machine
Snakemake runs on, which is what the ``login`` executor of those configs is for.

Why a plugin besides the Slurm/cluster-generic profiles: a Parsl block (one batch job) runs
many rule jobs, so short steps do not each wait in the queue, and the same site config drives
Snakemake, Parsl scripts and Globus Compute.

Snakemake finds executor plugins by module name (``snakemake_executor_plugin_<name>`` among
the top-level modules on ``sys.path``); this package ships in the xaas-parsl distribution. This
module must stay cheap to import: Snakemake imports every installed plugin on each start, so
Parsl and the site code are imported only when the executor is used.
"""

# No ``from __future__ import annotations`` here: Snakemake builds the command-line flags from the
# dataclass fields' runtime types.
from dataclasses import dataclass, field

from snakemake_interface_common.exceptions import WorkflowError
from snakemake_interface_executor_plugins.settings import (  # type: ignore[import-untyped]
    CommonSettings,
    ExecutorSettingsBase,
)

from snakemake_executor_plugin_xaas.executor import Executor

__all__ = ["Executor", "ExecutorSettings", "common_settings"]


def _meta(help_text: str, kind: type, metavar: str | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"help": help_text, "type": kind, "env_var": False,
                               "required": False}
    if metavar:
        meta["metavar"] = metavar
    return meta


@dataclass
class ExecutorSettings(ExecutorSettingsBase):  # type: ignore[misc]
    """``--xaas-*`` flags: which site config to build and how big its blocks are."""

    site: str | None = field(default=None, metadata=_meta(
        "xaas-parsl site (alps, ault, aurora, local, or a path to a site.yaml). Default: the "
        "workflow's config['site'], else local.", str, "SITE"))
    account: str | None = field(default=None, metadata=_meta(
        "Account/project charged for blocks (default: $XAAS_ACCOUNT).", str, "PROJECT"))
    nodes: int = field(default=1, metadata=_meta("Nodes per Parsl block.", int, "N"))
    partition: str | None = field(default=None, metadata=_meta(
        "Slurm partition or PBS queue (default: the site's).", str, "NAME"))
    walltime: str | None = field(default=None, metadata=_meta(
        "Walltime of a block, HH:MM:SS (default 00:30:00).", str, "HH:MM:SS"))
    node_type: str | None = field(default=None, metadata=_meta(
        "Node type on sites with several (Ault: cpu, v100, a100).", str, "TYPE"))
    endpoint: str | None = field(default=None, metadata=_meta(
        "Globus Compute endpoint id: run jobs there instead of the site's scheduler.", str,
        "UUID"))
    max_blocks: int = field(default=1, metadata=_meta(
        "Most Parsl blocks (batch jobs) held at once.", int, "N"))
    poll_seconds: float = field(default=0.5, metadata=_meta(
        "Seconds between checks of running jobs.", float, "S"))

    def __post_init__(self) -> None:
        if self.nodes < 1 or self.max_blocks < 1:
            raise WorkflowError("--xaas-nodes and --xaas-max-blocks must be at least 1")
        if self.poll_seconds <= 0:
            raise WorkflowError("--xaas-poll-seconds must be positive")
        if self.site is not None:
            from snakemake_executor_plugin_xaas.executor import load_site_facts

            load_site_facts(self.site)


common_settings = CommonSettings(
    non_local_exec=True,
    implies_no_shared_fs=False,
    job_deploy_sources=False,
    pass_default_storage_provider_args=True,
    pass_default_resources_args=True,
    # Declared env vars go to the worker as an environment, so the job command has no
    # ``export ... &&`` and runs without a shell.
    pass_envvar_declarations_to_cmd=False,
    auto_deploy_default_storage_provider=False,
    init_seconds_before_status_checks=0,
)
