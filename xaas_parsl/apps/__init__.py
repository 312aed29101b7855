"""Parsl apps: one per deployment step, plus ``deploy_and_run`` chaining them.

The deployment apps (``build_ir_bundle``, ``build_container``, ``deploy*``, ``export_image``,
``run_tests``) each run one slice of the one pipeline, ``xaas_parsl.deploy.pipeline.drive``.

In a notebook::

    import parsl
    from xaas_parsl.sites import config
    from xaas_parsl.apps import deploy_and_run

    parsl.load(config("local"))
    result = deploy_and_run("heat2d").result()

Each app declares its executor label (``login`` or ``compute``), which every site config has.
"""

from xaas_parsl.apps.steps import (
    build_container,
    build_ir_bundle,
    deploy,
    deploy_and_run,
    deploy_container,
    deploy_ir,
    deploy_source,
    discover_spec_points,
    discover_system,
    export_image,
    intersect,
    load_spec_points,
    matrix_configuration,
    root_cause,
    run_tests,
    summarize,
)

__all__ = [
    "build_container",
    "build_ir_bundle",
    "deploy",
    "deploy_and_run",
    "deploy_container",
    "deploy_ir",
    "deploy_source",
    "discover_spec_points",
    "discover_system",
    "export_image",
    "intersect",
    "load_spec_points",
    "matrix_configuration",
    "root_cause",
    "run_tests",
    "summarize",
]
