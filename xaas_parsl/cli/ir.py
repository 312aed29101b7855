"""``xaas ir``: build an IR bundle of an app's configurations, explain sharing, deploy one."""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.cli.output import emit_json
from xaas_parsl.descriptor.app import load_app
from xaas_parsl.ir.build import build_bundle, explain
from xaas_parsl.ir.deploy import deploy
from xaas_parsl.ir.pipeline import DEFAULT_MODE, MODES


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
@click.option("--mode", type=click.Choice(MODES), default=DEFAULT_MODE, show_default=True,
              help="split: run the target-independent half of the optimisation here, once "
                   "per IR file; full: leave all optimisation to each deployment.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def build_cmd(app_file: Path, configs: str | None, out: Path | None, jobs: int, mode: str,
              as_json: bool) -> None:
    """Configure every configuration of APP_FILE with clang-19 and emit deduplicated IR."""
    app = load_app(app_file)
    names = [c.strip() for c in configs.split(",") if c.strip()] if configs else None
    summary = build_bundle(app, out or Path(f"{app.name}-ir-bundle"), names, jobs,
                           mode=mode)
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
              help="System JSON to choose for (default: discover this machine).")
@click.option("--install-dir", type=click.Path(path_type=Path), default=None)
@click.option("-j", "--jobs", default=2, show_default=True)
@click.option("--mode", type=click.Choice(MODES), default=None,
              help="Lowering mode (default: the bundle's; full works on any bundle).")
@click.option("--count-passes", is_flag=True,
              help="Also count the LLVM pass runs of the lowering (deterministic work).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def deploy_cmd(bundle: Path, config: str | None, target: Path | None,
               install_dir: Path | None, jobs: int, mode: str | None, count_passes: bool,
               as_json: bool) -> None:
    """Re-target, lower, link and install one configuration of BUNDLE."""
    result = deploy(bundle, config, target, install_dir, jobs, mode=mode,
                    count_passes=count_passes)
    if as_json:
        emit_json(result, None)
    else:
        click.echo(f"{result['config']}: {result['lowered']} units lowered "
                   f"({result['mode']} mode), {result['reused']} reused, {result['cpu_s']} "
                   f"CPU s; installed in {result['install_dir']}")
