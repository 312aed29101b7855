"""One workflow run, wired from plain options: the door the CLI, the Parsl app and the
Snakemake rule share.

``run`` loads and checks the definition, checks that every function can be found before anything
runs, opens the measurement store, picks the invoker (a Parsl executor of the loaded DFK, or this
process when ``executor`` is ``None``) and drives the run. Options are a frozen dataclass of plain
values, so they can be passed into a Parsl app or a Snakemake rule unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError
from xaas_parsl.flow.engine import Engine, RunResult
from xaas_parsl.flow.functions import check_functions, sources_for
from xaas_parsl.flow.invokers import LocalInvoker, ParslInvoker
from xaas_parsl.flow.load import load_sebs_config, load_workflow, workflow_from_data
from xaas_parsl.flow.measure import open_store
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.storage import storage_spec

DEFAULT_TIMEOUT_S = 600.0
DEFAULT_WORKDIR = ".xaas-flow"


@dataclass(frozen=True)
class RunOptions:
    """How to run: where functions are, which executor, where data and measurements go.

    ``executor`` is a Parsl executor label of the loaded config (``compute``: HTEX workers;
    ``login``: the driver's thread pool, for latency) or ``None`` for threads of this process
    without Parsl. ``timeout_s`` bounds each call attempt that sets no ``timeout_s`` of its own;
    unset, SeBS's ``<id>.config.json`` ``timeout`` beside the definition applies, else 600 s.
    ``storage`` is a directory or ``s3://[bucket]``; ``store`` an SQLite path or ``redis://...``;
    both default to ``workdir``.
    """

    functions: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    executor: str | None = "compute"
    storage: str | None = None
    store: str | None = None
    workdir: str = DEFAULT_WORKDIR
    timeout_s: float | None = None
    request_id: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunOptions:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for key in ("functions", "packages"):
            if key in known:
                value = known[key]
                known[key] = (str(value),) if isinstance(value, str | Path) else \
                    tuple(str(v) for v in value)
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _workflow(definition: str | Path | Mapping[str, Any]) -> Workflow:
    if isinstance(definition, Mapping):
        return workflow_from_data(dict(definition), "<definition>")
    return load_workflow(definition)


def default_timeout(definition: str | Path | Mapping[str, Any], options: RunOptions) -> float:
    """The per-attempt timeout for calls without their own ``timeout_s``."""
    if options.timeout_s is not None:
        return options.timeout_s
    if not isinstance(definition, Mapping):
        timeout = load_sebs_config(definition).get("timeout")
        if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
            return float(timeout)
    return DEFAULT_TIMEOUT_S


def run(definition: str | Path | Mapping[str, Any], payload: Any,
        options: RunOptions | None = None) -> RunResult:
    """Run a workflow to the end; ``WorkflowFailed`` when a failure is not handled.

    With a Parsl ``executor``, a DFK must be loaded (``parsl.load(...)``, or use
    ``xaas_parsl.flow.run_workflow(..., site=...)``). The measurement record of every call is in
    the store when this returns or raises.
    """
    opts = options or RunOptions()
    workflow = _workflow(definition)
    where = workflow.source
    sources = sources_for(opts.functions, opts.packages,
                          None if isinstance(definition, Mapping) else definition)
    check_functions(workflow.func_names(), sources, where)
    workdir = Path(opts.workdir)
    storage = storage_spec(opts.storage or workdir / "storage")
    if storage["kind"] == "local":
        Path(storage["root"]).mkdir(parents=True, exist_ok=True)
    invoker: LocalInvoker | ParslInvoker
    if opts.executor is None:
        invoker = LocalInvoker(sources, storage)
    else:
        invoker = ParslInvoker(sources, storage, opts.executor)
    store = open_store(opts.store or workdir / "measurements.sqlite")
    try:
        engine = Engine(invoker, sink=store.add_many,
                        default_timeout_s=default_timeout(definition, opts))
        return asyncio.run(engine.run(workflow, payload, opts.request_id))
    finally:
        store.close()
        invoker.close()


def parsl_config(site: str | Path = "local", executor: str = "compute", *,
                 keep: tuple[str, ...] = (), **config_kwargs: Any) -> Any:
    """``xaas_parsl.sites.config(site)`` with only the executors a run uses.

    A run on the ``login`` thread pool does not need HTEX workers started (seconds of start-up
    and idle processes); ``keep`` names further executors to retain (e.g. the driver's).
    """
    from parsl.config import Config

    from xaas_parsl.sites import config

    full = config(site, **config_kwargs)
    wanted = {executor, *keep}
    executors = [e for e in full.executors if e.label in wanted]
    if executor not in {e.label for e in executors}:
        raise InputError(f"site {site} has no executor {executor!r} (it has "
                         f"{', '.join(e.label for e in full.executors)})")
    return Config(executors=executors, strategy_period=full.strategy_period,
                  run_dir=full.run_dir, initialize_logging=full.initialize_logging)
