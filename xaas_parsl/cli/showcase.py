"""``xaas showcase``: XaaS deployment, a burst flare and a SeBS-Flow benchmark in one DAG.

``xaas showcase`` runs the Parsl door (``xaas_parsl.showcase.pipeline``); ``xaas showcase step``
and ``xaas showcase report`` are the nodes the Snakefile (``workflows/showcase/``) runs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from xaas_parsl.cli.output import emit_json, writable_dir, writable_file
from xaas_parsl.errors import InputError
from xaas_parsl.showcase.config import DEPLOY_MODES, ShowcaseConfig, from_dict, load_config


def _settings(text: str) -> ShowcaseConfig:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"--settings is not JSON: {exc.msg}", "--settings") from None
    if not isinstance(data, dict):
        raise InputError("--settings must be a JSON object", "--settings")
    return from_dict(data, "--settings")


@click.group("showcase", invoke_without_command=True)
@click.option("--site", default=None, help="Site config [config.yaml: local].")
@click.option("--config", "config_file", type=click.Path(path_type=Path), default=None,
              help="Showcase settings [xaas_parsl/showcase/config.yaml].")
@click.option("--deploy", type=click.Choice(DEPLOY_MODES), default=None,
              help="container, native, or auto (container when a Docker engine answers).")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), callback=writable_dir,
              default=Path("showcase-report"), show_default=True)
@click.option("--plan", is_flag=True,
              help="Print what would be chosen and deployed on the site's node (as site.yaml "
                   "states it, or --system) and stop: nothing is built or submitted.")
@click.option("--system", type=click.Path(path_type=Path), default=None,
              help="With --plan: the node's system file instead of the site's stated node.")
@click.option("--json", "as_json", is_flag=True, help="With --plan: the plan as JSON.")
@click.pass_context
def showcase_group(ctx: click.Context, site: str | None, config_file: Path | None,
                   deploy: str | None, out: Path, plan: bool, system: Path | None,
                   as_json: bool) -> None:
    """Deploy the bundled example with XaaS, run it as a flare, run a SeBS-Flow benchmark and
    write one report (report.json, plots, summary.md) into OUT, as a Parsl workflow."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = load_config(config_file, site=site, deploy=deploy)
    if plan or system or as_json:
        if not plan:
            raise InputError("--system and --json go with --plan", "showcase")
        _plan(cfg, system, as_json)
        return
    from xaas_parsl.showcase.pipeline import run_parsl

    console = Console(stderr=True)
    start = time.perf_counter()
    with console.status(f"showcase on {cfg.site}: discover, choose, deploy, measure, flare, "
                        "flow ..."):
        report = run_parsl(cfg, out)
    dep = report["deployment"]
    if dep["mode"] != "container":
        console.print(f"[yellow]note:[/yellow] native deployment: {dep['why']}")
    console.print((out / "summary.md").read_text(encoding="utf-8"))
    console.print(f"[bold]report:[/bold] {out / 'report.json'} "
                  f"({time.perf_counter() - start:.0f} s)")


def _plan(cfg: ShowcaseConfig, system: Path | None, as_json: bool) -> None:
    from xaas_parsl.discovery.load import dump_system, load_node
    from xaas_parsl.showcase.plan import plan_text, showcase_plan

    node = dump_system(load_node(system), "native") if system else None
    planned = showcase_plan(cfg, node)
    if as_json:
        emit_json(planned, None)
    else:
        click.echo(plan_text(planned))


@showcase_group.command("step")
@click.argument("name", type=click.Choice(["plan", "discover", "choose", "deploy", "measure",
                                           "flare", "flow"]))
@click.option("--settings", required=True, help="The showcase settings as one JSON object.")
@click.option("--system", type=click.Path(path_type=Path), default=None)
@click.option("--choice", type=click.Path(path_type=Path), default=None)
@click.option("--deployment", type=click.Path(path_type=Path), default=None)
@click.option("--builds", type=click.Path(path_type=Path), default=None)
@click.option("--work", type=click.Path(path_type=Path), default=None)
@click.option("-o", "--output", "out", type=click.Path(path_type=Path),
              callback=writable_file, required=True)
def step_cmd(name: str, settings: str, system: Path | None, choice: Path | None,
             deployment: Path | None, builds: Path | None, work: Path | None,
             out: Path) -> None:
    """Run one node of the showcase DAG (what the Snakefile's rules run)."""
    from xaas_parsl.showcase import steps

    cfg = _settings(settings)

    def need(value: Path | None, flag: str) -> Path:
        if value is None:
            raise InputError(f"step {name} needs --{flag}", name)
        return value

    result: dict[str, Any]
    if name == "plan":
        from xaas_parsl.fileio import write_json
        from xaas_parsl.showcase.plan import showcase_plan

        result = showcase_plan(cfg)
        write_json(out, result)
    elif name == "discover":
        result = steps.discover(out)
    elif name == "choose":
        result = steps.choose(need(system, "system"), cfg, out)
    elif name == "deploy":
        result = steps.deploy(need(choice, "choice"), need(system, "system"), cfg,
                              need(builds, "builds"), out)
    elif name == "measure":
        result = steps.measure(need(deployment, "deployment"), cfg, out)
    elif name == "flare":
        result = steps.flare(need(deployment, "deployment"), cfg, out)
    else:
        result = steps.flow(cfg, need(work, "work"), out)
    if name == "deploy":  # the fallback to native is said where the user looks, too
        click.echo(f"deploy: {result['mode']}: {result['why']}")
    click.echo(f"{name}: {out} ({len(json.dumps(result))} bytes)")


@showcase_group.command("report")
@click.option("--settings", required=True, help="The showcase settings as one JSON object.")
@click.option("--steps-dir", type=click.Path(path_type=Path), required=True,
              help="Directory of the nodes' JSON files (<name>.json).")
@click.option("--door", default="snakemake", show_default=True)
@click.option("-o", "--output", "out", type=click.Path(path_type=Path),
              callback=writable_dir, required=True)
def report_cmd(settings: str, steps_dir: Path, door: str, out: Path) -> None:
    """Write report.json, the plots and summary.md from the nodes' JSON files."""
    from xaas_parsl.showcase.report import STEPS, write_report

    cfg = _settings(settings)
    files: dict[str, str | Path] = {}
    for name in STEPS:
        path = steps_dir / f"{name}.json"
        if not path.is_file():
            raise InputError(f"no output of step {name}", path)
        files[name] = path
    write_report(files, cfg, out, door)
    click.echo(f"report: {out / 'report.json'}")
