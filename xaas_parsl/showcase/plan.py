"""The showcase planned for a site without running it (``xaas showcase --plan``, and what
``snakemake --profile <site> -n`` prints before its rules).

The plan is the run's own decision functions applied to the site's node as ``site.yaml``
states it: ``deploy.plan.choose_configs`` (the choose node), ``steps.deploy_mode`` (the deploy
node's mode, with the engine answer the site's nodes would give) and
``deploy.plan.deployment_plan`` (what the deploy node then deploys). On Alps that is the
aarch64 IR bundle, ``OPENMP+ARM_NEON_ASIMD`` lowered with ``-mcpu=neoverse-v2+nosve``, and the
arm64 images of the container route.
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.showcase.config import ShowcaseConfig

#: Container runtimes a site's compute nodes can build images with (a Docker engine answers).
BUILDING_RUNTIMES = ("docker",)


def site_engine_problem(site: str) -> str | None:
    """What ``containers.engine.probe`` would say on the site's nodes (None: an engine
    answers), from ``site.yaml``'s container runtime; ``local`` is this machine: probed."""
    from xaas_parsl.sites.facts import load_site

    facts = load_site(site)
    if facts.name == "local":
        from xaas_parsl.containers.engine import probe

        return probe()
    if facts.container_runtime in BUILDING_RUNTIMES:
        return None
    return (f"{facts.name}'s nodes run containers with {facts.container_runtime}, which "
            "builds no images")


def showcase_plan(cfg: ShowcaseConfig, system: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
    """The showcase's choice and deployment on ``cfg.site`` (its node: ``system``, default
    the site's as ``site.yaml`` states it). Nothing is built, submitted or discovered."""
    from xaas_parsl.deploy.plan import choose_configs, deployment_plan, site_system
    from xaas_parsl.showcase.steps import _app, deploy_mode

    app = _app(cfg)
    node = system if system is not None else site_system(cfg.site)
    chosen = choose_configs(app, node)
    configs = {"chosen": chosen["configuration"], "portable": chosen["portable"]}
    mode, why = deploy_mode(cfg.deploy, site_engine_problem(cfg.site), [])
    deployment = deployment_plan(app, node, configs, "container" if mode == "container"
                                 else "ir", cfg.site)
    return {"site": cfg.site, "app": app.name, "choose": {k: chosen[k] for k in (
        "configuration", "portable", "cmake_args", "warnings")},
        "deploy": {**deployment, "why": why}}


def plan_text(plan: dict[str, Any]) -> str:
    """The plan for people: one header and the deployment's lines."""
    from xaas_parsl.deploy.plan import plan_lines

    dep = plan["deploy"]
    head = [f"showcase on {plan['site']} (planned: nothing built, discovered or submitted)",
            f"choose: {plan['choose']['configuration']} (portable: "
            f"{plan['choose']['portable']})",
            f"deploy: {dep['mode']}: {dep['why']}"]
    return "\n".join(head + plan_lines(dep))
