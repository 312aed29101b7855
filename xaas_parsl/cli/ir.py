"""``xaas ir``: build an IR bundle of an app's configurations, explain sharing, deploy one."""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.cli.output import emit_json
from xaas_parsl.descriptor.app import load_app
from xaas_parsl.ir.build import build_bundle, explain
from xaas_parsl.ir.deploy import deploy


@click.group("ir")
def ir_group() -> None:
    """IR containers: deduplicated LLVM IR of all configurations, lowered at deployment."""


@ir_group.command("build")
@click.argument("app_file", type=click.Path(path_type=Path))
@click.option("--configs", default=None, metavar="NAME,...",
              help="Only these matrix configurations (default: all for this arch).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), default=None,
              help="Bundle directory (default: ./<app>-ir-bundle).")
@click.option("-j", "--jobs", default=2, show_default=True, help="Parallel clang jobs.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def build_cmd(app_file: Path, configs: str | None, out: Path | None, jobs: int,
              as_json: bool) -> None:
    """Configure every configuration of APP_FILE with clang-19 and emit deduplicated IR."""
    app = load_app(app_file)
    names = [c.strip() for c in configs.split(",") if c.strip()] if configs else None
    summary = build_bundle(app, out or Path(f"{app.name}-ir-bundle"), names, jobs)
    if as_json:
        emit_json(summary, None)
    else:
        click.echo(f"{summary['compile_jobs']} compile jobs -> {summary['unique_irs']} IR files "
                   f"({summary['reduction']:.0%} fewer), {summary['emitted']} emitted now; "
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
              help="System JSON to choose for (default: discover this machine).")
@click.option("--install-dir", type=click.Path(path_type=Path), default=None)
@click.option("-j", "--jobs", default=2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def deploy_cmd(bundle: Path, config: str | None, target: Path | None,
               install_dir: Path | None, jobs: int, as_json: bool) -> None:
    """Re-target, lower, link and install one configuration of BUNDLE."""
    result = deploy(bundle, config, target, install_dir, jobs)
    if as_json:
        emit_json(result, None)
    else:
        click.echo(f"{result['config']}: {result['lowered']} units lowered, installed in "
                   f"{result['install_dir']}")


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
