"""The deployment steps as Parsl apps: thin wrappers over ``xaas_parsl.steps`` (planning) and
over slices of the one deployment pipeline (``xaas_parsl.deploy.pipeline.drive``).

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


@python_app(executors=["login"])
def intersect(
    spec: dict[str, Any], system: dict[str, Any], policy: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Spec ∩ node, and the chosen configuration."""
    from xaas_parsl import steps

    return steps.intersect(spec, system, policy)


@python_app(executors=["login"])
def matrix_configuration(app_descriptor: str, intersection: dict[str, Any]) -> str:
    """The build-matrix configuration an intersection selects (names IR bundle entries)."""
    from xaas_parsl import steps

    return steps.matrix_configuration(app_descriptor, intersection)


@python_app(executors=["compute"])
def build_ir_bundle(
    app_descriptor: str, workdir: str, configs: list[str] | None = None
) -> dict[str, Any]:
    """Build the app's IR bundle for every matrix configuration (compute node: clang-19), or
    for ``configs`` only; the bundle record."""
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, workdir, "ir", ("build",), configs=tuple(configs or ()))
    return result.record("artifact")


@python_app(executors=["compute"])
def build_container(
    app_descriptor: str, workdir: str, intersection: dict[str, Any] | None = None,
    kind: str = "ir", configs: list[str] | None = None
) -> dict[str, Any]:
    """The app's ``kind`` (ir|source) container image in the node's engine (base images
    bootstrapped once); an IR image holds the intersection's choice and ``None``."""
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, workdir, "container", ("build",),
                    intersection=intersection, image_kind=kind, configs=tuple(configs or ()))
    return result.record("artifact")


@python_app(executors=["compute"])
def deploy(
    app_descriptor: str, intersection: dict[str, Any], workdir: str, mode: str = "source",
    kind: str = "ir", system: dict[str, Any] | None = None,
    artifact: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Deploy the intersection's choice in ``mode`` (source|ir|container) on the compute node;
    the artifact (IR bundle, app image) is built first unless given. The deployment record."""
    stages = ("deploy",) if artifact is not None or mode == "source" else ("build", "deploy")
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, workdir, mode, stages, intersection=intersection,
                    image_kind=kind, system=system, artifact=artifact)
    return result.record("deployment")


@python_app(executors=["compute"])
def deploy_source(
    app_descriptor: str, intersection: dict[str, Any], workdir: str
) -> dict[str, Any]:
    """Build the chosen configuration from source on the compute node."""
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, workdir, "source", ("deploy",), intersection=intersection)
    return result.record("deployment")


@python_app(executors=["compute"])
def deploy_ir(app_descriptor: str, configuration: str, workdir: str,
              bundle: dict[str, Any] | None = None) -> dict[str, Any]:
    """Deploy a matrix configuration from the app's IR bundle (built once, unless ``bundle``,
    the record of :func:`build_ir_bundle`, is given) on the compute node."""
    stages = ("deploy",) if bundle is not None else ("build", "deploy")
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, workdir, "ir", stages, configuration=configuration,
                    artifact=bundle)
    return result.record("deployment")


@python_app(executors=["compute"])
def deploy_container(
    app_descriptor: str, intersection: dict[str, Any], workdir: str,
    image: dict[str, Any] | None = None, system: dict[str, Any] | None = None,
    kind: str = "ir"
) -> dict[str, Any]:
    """Deploy the app's container for the node (lean image, install tree copied to
    ``workdir``); the image (record of :func:`build_container`) is built first unless given."""
    stages = ("deploy",) if image is not None else ("build", "deploy")
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, workdir, "container", stages, intersection=intersection,
                    artifact=image, system=system, image_kind=kind)
    return result.record("deployment")


@python_app(executors=["compute"])
def export_image(
    app_descriptor: str, deployment: dict[str, Any], workdir: str, site: str,
    target: str | None = None
) -> dict[str, Any]:
    """A container deployment's image as the files ``site``'s container tool imports (EDF on
    Alps, Sarus on Ault, Apptainer on Aurora; ``target`` overrides)."""
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, workdir, "container", ("export",), deployment=deployment,
                    site=site, export=target)
    return result.record("export")


@python_app(executors=["compute"])
def run_tests(app_descriptor: str, deployment: dict[str, Any]) -> dict[str, Any]:
    """Run the app's tests against a deployment (in its image for a container deployment)."""
    mode = str(deployment.get("mode", "source"))
    from xaas_parsl.deploy.pipeline import run_slice

    result = run_slice(app_descriptor, None, mode, ("test",), deployment=deployment)
    return result.record("tests")


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
    deployment = deploy(app_descriptor, chosen, workdir, mode, system=system)
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
    """Discover the compute node, choose, deploy and test ``app``; a future of the summary.

    ``app`` is a bundled app name or a path to an ``app.yaml``. When no Parsl config is loaded
    and ``site`` is given, ``xaas_parsl.sites.config(site, **config_kwargs)`` is loaded first.
    ``workdir`` must be visible to the compute nodes (a shared file system on clusters).
    ``mode`` (``xaas_parsl.deploy.Mode``): ``source`` builds the chosen configuration from
    source; ``ir`` builds the app's IR bundle once (all matrix configurations) and deploys the
    chosen one by lowering; ``container`` deploys from the app's IR container on the compute
    node's Docker engine and tests inside the deployed image.
    """
    from xaas_parsl.deploy import mode_of

    mode = mode_of(mode).value
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
