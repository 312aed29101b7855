"""The deployment steps as Parsl apps (thin wrappers over ``xaas_parsl.steps``).

Executors: ``compute`` for what must happen on the target node (discovery, build, test runs),
``login`` for cheap pure steps (reading spec points, intersecting, summarising). The app bodies
import inside the function so HTEX workers resolve them from the installed package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parsl import join_app, python_app
from parsl.dataflow.futures import AppFuture


@python_app(executors=["compute"])
def discover_system(fmt: str = "native", use_cache: bool = True) -> dict[str, Any]:
    """Describe the compute node this runs on."""
    from xaas_parsl import steps

    return steps.discover_system(fmt, use_cache)


@python_app(executors=["login"])
def load_spec_points(app_descriptor: str) -> dict[str, Any]:
    """Specialization points of an app descriptor."""
    from xaas_parsl import steps

    return steps.load_spec_points(app_descriptor)


@python_app(executors=["login"])
def discover_spec_points(source_dir: str) -> dict[str, Any]:
    """Specialization points of a CMake source tree (static analysis, on the login node)."""
    from xaas_parsl import steps

    return steps.discover_spec_points(source_dir)


@python_app(executors=["compute"])
def build_ir_bundle(
    app_descriptor: str, workdir: str, configs: list[str] | None = None
) -> dict[str, Any]:
    """Build the app's IR bundle for every matrix configuration (compute node: clang-19)."""
    from xaas_parsl import steps

    return steps.build_ir_bundle(app_descriptor, workdir, configs)


@python_app(executors=["login"])
def intersect(
    spec: dict[str, Any], system: dict[str, Any], policy: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Spec ∩ node, and the chosen configuration."""
    from xaas_parsl import steps

    return steps.intersect(spec, system, policy)


@python_app(executors=["compute"])
def deploy_source(
    app_descriptor: str, intersection: dict[str, Any], workdir: str
) -> dict[str, Any]:
    """Build the chosen configuration from source on the compute node."""
    from xaas_parsl import steps

    return steps.deploy_source(app_descriptor, intersection, workdir)


@python_app(executors=["login"])
def matrix_configuration(app_descriptor: str, intersection: dict[str, Any]) -> str:
    """The build-matrix configuration an intersection selects (names IR bundle entries)."""
    from xaas_parsl import steps

    return steps.matrix_configuration(app_descriptor, intersection)


@python_app(executors=["compute"])
def deploy_ir(app_descriptor: str, configuration: str, workdir: str) -> dict[str, Any]:
    """Deploy a matrix configuration from the app's IR bundle (built once) on the compute node."""
    from xaas_parsl import steps

    return steps.deploy_ir(app_descriptor, configuration, workdir)


@python_app(executors=["compute"])
def run_tests(app_descriptor: str, deployment: dict[str, Any]) -> dict[str, Any]:
    """Run the app's tests against a deployment."""
    from xaas_parsl import steps

    return steps.run_tests(app_descriptor, deployment)


@python_app(executors=["login"])
def summarize(
    intersection: dict[str, Any], deployment: dict[str, Any], tests: dict[str, Any]
) -> dict[str, Any]:
    """One result document: node, choice (with reasons), deployment, tests."""
    return {
        "app": tests["app"],
        "configuration": deployment["configuration"],
        "system": intersection["system"],
        "choice": intersection["choice"],
        "warnings": intersection["warnings"],
        "deployment": deployment,
        "passed": tests["passed"],
        "tests": tests["tests"],
    }


def root_cause(exc: BaseException) -> BaseException:
    """The original error behind Parsl's dependency/join wrappers (e.g. a ``PolicyError``)."""
    from parsl.dataflow.errors import PropagatedException

    while isinstance(exc, PropagatedException) and exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


@join_app
def _deploy_and_run(
    app_descriptor: str, policy: dict[str, Any] | None, workdir: str, mode: str
) -> AppFuture:
    system = discover_system()
    spec = load_spec_points(app_descriptor)
    chosen = intersect(spec, system, policy)
    if mode == "ir":
        configuration = matrix_configuration(app_descriptor, chosen)
        deployment = deploy_ir(app_descriptor, configuration, workdir)
    else:
        deployment = deploy_source(app_descriptor, chosen, workdir)
    tests = run_tests(app_descriptor, deployment)
    future: AppFuture = summarize(chosen, deployment, tests)
    return future


def deploy_and_run(
    app: str = "heat2d",
    site: str | None = None,
    *,
    policy: dict[str, Any] | None = None,
    workdir: str | Path = ".xaas-deploy",
    mode: str = "source",
    **config_kwargs: Any,
) -> AppFuture:
    """Discover the compute node, choose, build and test ``app``; a future of the summary.

    ``app`` is a bundled app name or a path to an ``app.yaml``. When no Parsl config is loaded
    and ``site`` is given, ``xaas_parsl.sites.config(site, **config_kwargs)`` is loaded first.
    ``workdir`` must be visible to the compute nodes (a shared file system on clusters).
    ``mode``: ``source`` builds the chosen configuration from source; ``ir`` builds the app's IR
    bundle once (all matrix configurations) and deploys the chosen one by lowering.
    """
    if mode not in {"source", "ir"}:
        from xaas_parsl.errors import InputError

        raise InputError(f"deploy mode must be 'source' or 'ir', got {mode!r}")
    import parsl

    from xaas_parsl.descriptor import bundled_app, load_app

    descriptor = load_app(app) if ("/" in app or app.endswith(".yaml")) else bundled_app(app)
    try:
        parsl.dfk()
    except parsl.errors.NoDataFlowKernelError:
        if site is None:
            raise
        from xaas_parsl.sites import config

        parsl.load(config(site, **config_kwargs))
    future: AppFuture = _deploy_and_run(
        str(descriptor.path), policy, str(Path(workdir).resolve()), mode
    )
    return future
