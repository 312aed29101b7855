"""``xaas flow bench`` and ``xaas flow metrics``: SeBS-Flow experiments and their figures.

Thin wrappers over ``xaas_parsl.flow.bench.run_experiment`` and ``xaas_parsl.flow.metrics.analyse``
(docs/flow-benchmarks.md).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from xaas_parsl.cli.output import finite_timeout, writable_dir
from xaas_parsl.errors import XaasError
from xaas_parsl.flow.bench import MODES, experiment, run_experiment
from xaas_parsl.flow.benchmarks import SIZES


def _ms(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("median")
    return "-" if value is None else f"{value * 1e3:.2f}"


@click.command("bench")
@click.argument("benchmark", metavar="BENCH")
@click.option("--size", type=click.Choice(SIZES), default="test", show_default=True)
@click.option("--mode", type=click.Choice(MODES), default="warm", show_default=True,
              help="cold: fresh workers per repetition; warm: after one discarded warm-up, on "
                   "the same workers; burst: all repetitions at once; sequential: one after "
                   "another on the same workers.")
@click.option("--reps", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=None,
              help="Worker processes (at most this many calls at once) [site default].")
@click.option("--site", default="local", show_default=True)
@click.option("--executor", default="compute", show_default=True,
              help="Parsl executor for the calls (compute: worker processes; login: threads); "
                   "'none': threads of this process without Parsl.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True),
              callback=finite_timeout,
              default=None, help="Seconds per call attempt [the benchmark's config.json].")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path),
              callback=writable_dir, required=True,
              help="Result directory (calls.csv, runs.json, experiment.json, ...).")
@click.option("--metrics/--no-metrics", default=True, show_default=True,
              help="Also compute metrics.json and the plots when the runs are done.")
def bench_cmd(benchmark: str, size: str, mode: str, reps: int, concurrency: int | None,
              site: str, executor: str, timeout_s: float | None, out: Path,
              metrics: bool) -> None:
    """Run BENCH (one of the nine SeBS-Flow ids, e.g. 6200.trip-booking, or its number) REPS
    times and verify every output; exit 1 when an output is wrong."""
    logging.getLogger("parsl").propagate = False
    exp = experiment(benchmark, out, size=size, mode=mode, reps=reps, concurrency=concurrency,
                     site=site, executor=None if executor == "none" else executor,
                     timeout_s=timeout_s)
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"{exp.benchmark.name} {size} {mode}", total=reps)
        result = run_experiment(exp, lambda: bar.advance(task))
    table = Table(title=f"{exp.benchmark.name} {size} {mode}", title_justify="left")
    for column in ("rep", "request id", "outcome", "check"):
        table.add_column(column)
    for run in result.runs:
        outcome = "ok" if run.ok else f"failed in {' > '.join(run.failed_state or [])}"
        table.add_row("warm-up" if run.warmup else str(run.rep), run.request_id[:12], outcome,
                      "ok" if not run.problems else "; ".join(run.problems))
    console.print(table)
    if metrics:
        _print_metrics(out, console)
    if not result.verified:
        raise XaasError("an output check failed (see the table above and runs.json)",
                        out / "runs.json")


def _print_metrics(directory: Path, console: Console) -> dict[str, Any]:
    from xaas_parsl.flow.metrics import analyse

    result = analyse(directory)
    s = result["summary"]
    cost = s["cost_per_1000_runs_usd"]
    console.print(
        f"{s['runs']} runs, {s['calls']} calls: runtime {_ms(s['runtime_s'])} ms, critical "
        f"path {_ms(s['critical_path_s'])} ms, longest DAG path {_ms(s['longest_path_s'])} ms, "
        f"overhead {_ms(s['overhead_s'])} ms, median transition "
        f"{_ms(s['transition_median_s'])} ms (medians); cold share "
        f"{s['cold_share_all']:.2f}; {s['containers']} containers; per 1000 runs "
        f"AWS ${cost['aws']:.4f}, GCP ${cost['gcp']:.4f}", soft_wrap=True)
    console.print(f"wrote {directory / 'metrics.json'}, "
                  + ", ".join(str(directory / p) for p in result.get("plots", [])))
    return result


@click.command("metrics")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--no-plots", is_flag=True, help="Only metrics.json.")
def metrics_cmd(directory: Path, no_plots: bool) -> None:
    """Figures of a result directory of `xaas flow bench`: metrics.json, timeline.png (the
    median run) and overhead.png (per stage)."""
    if no_plots:
        from xaas_parsl.flow.metrics import analyse

        analyse(directory, plots=False)
        click.echo(f"wrote {directory / 'metrics.json'}", err=True)
        return
    _print_metrics(directory, Console(stderr=True))

