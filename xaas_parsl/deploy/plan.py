"""What a deployment will be, before anything runs: configuration, ISA family, tuning, images.

One function, :func:`deployment_plan`, decides it from an app and a node description, and
every door asks it: the showcase's deploy step (with the node it discovered) runs what the
plan says, and ``xaas showcase --plan`` / ``snakemake --profile alps -n`` print the plan for a
site's node as ``site.yaml`` states it (:func:`site_system`), without reaching that node. So a
plan for Alps names what a run there would deploy: the aarch64 IR bundle (its triple), the
Neoverse-V2 tuning the project's SIMD rules give (NEON, no SVE on GH200), and the arm64 images
(``xaas images bootstrap --arch aarch64``) an IR container deploys into.
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.discovery.cpu import normalise_arch
from xaas_parsl.discovery.load import system_from_data
from xaas_parsl.errors import InputError, XaasError


def site_system(site: str) -> dict[str, Any]:
    """The site's default compute node as ``site.yaml`` states it (native system format).

    Its CPU features are archspec's for the node's ``microarchitecture`` (what intersection
    and tuning need); a site whose architecture is ``native`` (``local``) is this machine, so
    it is discovered instead."""
    import archspec.cpu

    from xaas_parsl import steps
    from xaas_parsl.discovery.load import dump_system
    from xaas_parsl.discovery.model import CpuInfo, SystemInfo
    from xaas_parsl.sites.facts import load_site

    facts = load_site(site)
    node = facts.node_type()
    if node.architecture == "native":
        return steps.discover_system()
    micro = node.microarchitecture
    target = archspec.cpu.TARGETS.get(micro) if micro else None
    if micro and target is None:
        raise InputError(f"site {facts.name}: archspec knows no microarchitecture {micro!r}",
                         facts.path)
    cpu = CpuInfo(architecture=normalise_arch(node.architecture), model_name=node.cpu,
                  flags=tuple(sorted(target.features)) if target else (),
                  flags_complete=target is not None,
                  microarchitecture=micro.replace("_", "-") if micro else None,
                  logical_cores=node.cores or None)
    info = SystemInfo(cpu=cpu, source=f"site:{facts.name}",
                      notes=(f"as {facts.path.name} states the node; not discovered",))
    return dump_system(info, "native")


def choose_configs(app: AppDescriptor, system: dict[str, Any]) -> dict[str, Any]:
    """App ∩ node: the chosen matrix configuration, its reasons, and the portable baseline
    (every matrix option at its portable value: no SIMD, no OpenMP)."""
    from xaas_parsl import steps

    chosen = steps.intersect(dict(app.spec().raw), system)
    args = list(app.cmake_args) + list(chosen["choice"]["cmake_args"])
    portable = app.config_name(list(app.cmake_args) + [
        f"-D{opt.option}={opt.values[0]}" for opt in app.matrix
        if opt.kind == "select" and opt.values and opt.option])
    return {"configuration": app.config_name(args), "portable": portable, "cmake_args": args,
            "choice": chosen["choice"], "excluded": chosen.get("excluded", {}),
            "warnings": chosen.get("warnings", [])}


def _images(app: AppDescriptor, arch: str) -> dict[str, Any]:
    """The images a container deployment of ``arch`` uses (their tags carry the family)."""
    from xaas_parsl.containers import labels as L
    from xaas_parsl.containers.images import OCI_ARCH, base_images

    out: dict[str, Any] = {"ir": L.ir_ref(app.name, app.version, arch),
                           "platform": f"linux/{OCI_ARCH.get(arch, arch)}"}
    try:
        bases = base_images(arch=arch)
    except XaasError as exc:  # no Debian mirror configured here: the tags cannot be named
        out["bases_unknown"] = exc.one_line()
        return out
    for kind, base in bases.items():
        out[kind] = base.ref
        if base.target and base.target != base.arch:
            out[f"{kind}_cross"] = f"{base.arch} -> {base.target}"
    return out


def deployment_plan(app: AppDescriptor, system: dict[str, Any], configs: dict[str, str],
                    mode: str, site: str | None = None) -> dict[str, Any]:
    """The deployment of ``configs`` (role → configuration: ``chosen``, ``portable``) of
    ``app`` for the node ``system`` in ``mode`` (``ir``: an IR bundle built and lowered on the
    node; ``container``: the app's IR container, lean runtime images out). The images of the
    container route are named in both modes.

    The ISA family is the node's: its bundle, triple and images. The chosen configuration is
    tuned for the node's CPU (``ir.node.node_tuning``: ``-mcpu=neoverse-v2+nosve`` on GH200,
    ``-mtune`` only on x86-64); the portable one is lowered for the family's baseline."""
    from xaas_parsl.ir.cross import family
    from xaas_parsl.ir.node import node_tuning

    info = system_from_data(system, "<system>")
    fam = family(info.cpu.architecture)
    flags, cpu = node_tuning({"arch": fam.arch}, info, None)
    roles = {role: {"configuration": name,
                    "cpu": cpu if role == "chosen" else None,
                    "cpu_flags": list(flags) if role == "chosen" else []}
             for role, name in configs.items()}
    plan: dict[str, Any] = {
        "app": app.name, "version": app.version, "mode": mode, "site": site,
        "node": {"architecture": fam.arch, "microarchitecture": info.cpu.microarchitecture,
                 "model_name": info.cpu.model_name, "source": info.source},
        "arch": fam.arch, "triple": fam.triple, "roles": roles,
        "bundle": {"arch": fam.arch, "triple": fam.triple,
                   "configs": sorted(set(configs.values())),
                   "build": f"xaas ir build {app.name} --arch {fam.arch}"},
    }
    # named in either mode: a site whose nodes build no images (Alps: the CSCS Container
    # Engine runs them) gets the container route from a Docker host, exported for its tool
    plan["images"] = _images(app, fam.arch)
    if site:
        from xaas_parsl.deploy.pipeline import export_target

        plan["export"] = export_target(site)
    return plan


def plan_lines(plan: dict[str, Any]) -> list[str]:
    """The plan as a few lines for people (``xaas showcase --plan``, the Snakemake dry run)."""
    node = plan["node"]
    lines = [f"node: {node['architecture']} {node['microarchitecture'] or '(CPU unknown)'}"
             f" ({node['source']})",
             f"IR bundle: {plan['app']} {plan['version']} for {plan['triple']}, "
             f"configurations {', '.join(plan['bundle']['configs'])}"]
    for role, entry in plan["roles"].items():
        tuning = " ".join(entry["cpu_flags"]) or f"{plan['arch']} baseline"
        lines.append(f"deploy {role}: {entry['configuration']} lowered with {tuning}")
    images = plan["images"]
    lines.append(f"IR container: {images['ir']} built in {images.get('toolchain', '?')}, "
                 f"deployed into {images.get('runtime', '?')} ({images['platform']})")
    if plan.get("export"):
        lines.append(f"export: {plan['export']} for site {plan['site']}")
    return lines
