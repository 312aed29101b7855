"""A whole workflow run as one Parsl DAG node: ``run_workflow(definition, input, site=...)``.

The app runs the driver on the ``login`` thread pool of the loaded DFK; the driver submits each
function call as its own app to ``executor`` (``compute`` by default) of the same DFK, so the
calls appear in Parsl's monitoring like any other tasks. With ``executor=None`` the node runs its
calls in its own process instead (useful when the driver itself is placed on a remote worker that
has no DFK of its own).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parsl import python_app
from parsl.dataflow.futures import AppFuture


def _run_app(definition: str | dict[str, Any], payload: Any,
             options: dict[str, Any]) -> Any:
    from xaas_parsl.flow.runner import RunOptions, run

    return run(definition, payload, RunOptions.from_dict(options)).payload


def ensure_parsl(site: str | Path | None, **config_kwargs: Any) -> None:
    """Load ``xaas_parsl.sites.config(site)`` unless a DFK is already loaded."""
    import parsl

    try:
        parsl.dfk()
    except parsl.errors.NoDataFlowKernelError:
        if site is None:
            raise
        from xaas_parsl.sites import config

        parsl.load(config(site, **config_kwargs))


def run_workflow(
    definition: str | Path | Mapping[str, Any],
    input: Any,
    site: str | Path | None = None,
    *,
    executor: str | None = "compute",
    driver_executor: str = "login",
    functions: tuple[str | Path, ...] | str | Path = (),
    packages: tuple[str, ...] = (),
    storage: str | None = None,
    store: str | None = None,
    workdir: str | Path = ".xaas-flow",
    timeout_s: float | None = None,
    request_id: str | None = None,
    config_kwargs: Mapping[str, Any] | None = None,
) -> AppFuture:
    """A future of the workflow's final payload (``WorkflowFailed`` when a failure is unhandled).

    When no Parsl config is loaded and ``site`` is given, ``xaas_parsl.sites.config(site,
    **config_kwargs)`` is loaded first. Paths are made absolute here, so the node does not depend
    on the working directory it later runs in.
    """
    ensure_parsl(site, **dict(config_kwargs or {}))
    dirs = (functions,) if isinstance(functions, str | Path) else functions
    options = {
        "functions": tuple(str(Path(d).resolve()) for d in dirs),
        "packages": tuple(packages),
        "executor": executor,
        "storage": storage if storage is None or storage.startswith("s3://")
        else str(Path(storage).resolve()),
        "store": store if store is None or "://" in store else str(Path(store).resolve()),
        "workdir": str(Path(workdir).resolve()),
        "timeout_s": timeout_s,
        "request_id": request_id,
    }
    spec = dict(definition) if isinstance(definition, Mapping) else str(Path(definition).resolve())
    app = python_app(_run_app, executors=[driver_executor])
    future: AppFuture = app(spec, input, options)
    return future
