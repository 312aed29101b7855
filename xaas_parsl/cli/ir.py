"""``xaas ir``: build an IR bundle of an app's configurations, explain sharing, deploy one."""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.cli.output import emit_json, writable_dir
from xaas_parsl.descriptor.app import load_app
from xaas_parsl.ir.build import build_bundle, explain
from xaas_parsl.ir.cross import family, is_cross
from xaas_parsl.ir.deploy import deploy
from xaas_parsl.ir.pipeline import DEFAULT_MODE, MODES


@click.group("ir")
def ir_group() -> None:
    """IR containers: deduplicated LLVM IR of all configurations, lowered at deployment."""


@ir_group.command("build")
@click.argument("app_file", type=click.Path(path_type=Path))
@click.option("--configs", default=None, metavar="NAME,...",
              help="Only these matrix configurations (default: all for this arch).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path),
              callback=writable_dir, default=None,
              help="Bundle directory (default: ./<app>-ir-bundle).")
@click.option("-j", "--jobs", default=2, show_default=True, help="Parallel clang jobs.")
@click.option("--arch", default=None, metavar="ARCH",
              help="ISA family of the bundle: x86_64 or aarch64 (arm64), cross-built when it "
                   "is not this machine's (default: this machine's).")
@click.option("--mode", type=click.Choice(MODES), default=DEFAULT_MODE, show_default=True,
              help="split: run the target-independent half of the optimisation here, once "
                   "per IR file; full: leave all optimisation to each deployment.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def build_cmd(app_file: Path, configs: str | None, out: Path | None, jobs: int,
              arch: str | None, mode: str, as_json: bool) -> None:
    """Configure every configuration of APP_FILE with clang-19 and emit deduplicated IR
    (one bundle per ISA family)."""
    fam = family(arch)
    app = load_app(app_file)
    names = [c.strip() for c in configs.split(",") if c.strip()] if configs else None
    default = f"{app.name}-ir-bundle" if not is_cross(fam) else f"{app.name}-{fam.arch}-ir-bundle"
    summary = build_bundle(app, out or Path(default), names, jobs, arch=fam.arch, mode=mode)
    if as_json:
        emit_json(summary, None)
    else:
        click.echo(f"{summary['compile_jobs']} compile jobs -> {summary['unique_irs']} IR files "
                   f"({summary['reduction']:.0%} fewer), {summary['emitted']} emitted now, "
                   f"{summary['mode']} mode; {summary['cpu_s']} CPU s; "
                   f"bundle {summary['bundle']}")


@ir_group.command("explain")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.argument("file")
def explain_cmd(bundle: Path, file: str) -> None:
    """Say why the unit(s) of FILE (source or object suffix) were shared or not."""
    for row in explain(bundle, file):
        shared = ", ".join(row["shared_with"]) or "-"
        ir = (row["ir"] or "")[:12]
        click.echo(f"{row['config']}: {row['output']} [{row['kind']} {ir}"
                   f"{' retargetable' if row['retargetable'] else ''}] shared with {shared}: "
                   f"{row['reason']}")


@ir_group.command("deploy")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--config", default=None, help="Configuration name (default: intersection).")
@click.option("--target", type=click.Path(path_type=Path), default=None,
              help="The node: system JSON or its /proc/cpuinfo (default: this machine).")
@click.option("--install-dir", type=click.Path(path_type=Path), default=None)
@click.option("--cpu", default=None, metavar="CPU",
              help="Tune the lowering for CPU (archspec name: neoverse-v2, armv8.2-a, ...), "
                   "'node' (the --target node's CPU, the default with --target) or 'baseline' "
                   "(the ISA family's baseline, the default without).")
@click.option("-j", "--jobs", default=2, show_default=True)
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="Lowering mode (default: the bundle's; full works on any bundle).")
@click.option("--count-passes", is_flag=True,
              help="Also count the LLVM pass runs of the lowering (deterministic work).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def deploy_cmd(bundle: Path, config: str | None, target: Path | None,
               install_dir: Path | None, cpu: str | None, jobs: int, mode: str | None,
               count_passes: bool, as_json: bool) -> None:
    """Re-target, lower, link and install one configuration of BUNDLE. --target (a node's
    system file or recorded /proc/cpuinfo) is checked against the bundle's ISA family; without
    it nothing is checked (an aarch64 bundle is cross-lowered on an x86-64 host)."""
    result = deploy(bundle, config, target, install_dir, jobs, cpu=cpu, mode=mode,
                    count_passes=count_passes)
    if as_json:
        emit_json(result, None)
    else:
        tuned = f" for {result['cpu']}" if result["cpu"] else ""
        click.echo(f"{result['config']} ({result['arch']}{tuned}): {result['lowered']} units "
                   f"lowered ({result['mode']} mode), {result['reused']} reused, "
                   f"{result['cpu_s']} CPU s; installed in {result['install_dir']}")


@ir_group.command("gpu-targets")
@click.argument("path", type=click.Path(path_type=Path))
def gpu_targets_cmd(path: Path) -> None:
    """Print the GPU code PATH carries (file or install tree), one bare name a line:
    ``sm_XX`` for SASS, ``compute_XX`` for PTX that the driver can JIT."""
    from xaas_parsl.ir.fatbin import gpu_targets

    for name in gpu_targets(path):
        click.echo(name)


@ir_group.command("gpu-compat")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--system", "system_file", type=click.Path(path_type=Path), default=None,
              help="System JSON of the node (default: discover this machine).")
@click.option("--runtime", default=None, metavar="X.Y",
              help="The container's CUDA runtime (default: the one recorded in PATH).")
def gpu_compat_cmd(path: Path, system_file: Path | None, runtime: str | None) -> None:
    """Will the CUDA code in PATH (install tree or binary) run on the node? Prints the
    verdict as JSON; a refusal exits 1 with the reason."""
    from xaas_parsl.cuda.deploy import recorded_runtime
    from xaas_parsl.discovery.load import load_system
    from xaas_parsl.discovery.probe import discover_local
    from xaas_parsl.errors import PolicyError
    from xaas_parsl.intersection.cuda_compat import check_container
    from xaas_parsl.ir.fatbin import gpu_targets

    targets = gpu_targets(path)
    version = runtime or recorded_runtime(path)
    system = load_system(system_file) if system_file else discover_local()
    verdict = check_container(version, targets, list(system.gpus))
    emit_json({"runtime": version, "targets": targets, "driver": verdict.driver,
               "driver_cuda": verdict.driver_cuda, "runs": verdict.runs,
               "mode": verdict.mode, "reasons": verdict.reasons,
               "warnings": verdict.warnings}, None)
    if not verdict.runs:
        raise PolicyError(f"refused: {verdict.refusals[0]}", path)
