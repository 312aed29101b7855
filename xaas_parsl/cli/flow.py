"""``xaas flow``: SeBS-Flow workflow definitions: schema, validation, runs, measurements.

``xaas flow run`` prints the final payload as JSON on stdout (or writes ``--output``) and logs on
stderr. It exits 0 when the run succeeded, also when a ``failure`` target handled an error, and 1
naming the state and the run's request id when a failure was not handled; the measurements of
the calls made until then are in the store (and in ``--measurements``) either way.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from xaas_parsl.cli.output import emit_json, finite_timeout, writable_file
from xaas_parsl.fileio import load_data
from xaas_parsl.flow.engine import RunResult, WorkflowFailed
from xaas_parsl.flow.load import flow_schema, load_workflow
from xaas_parsl.flow.measure import open_store, summary, write_csv
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.runner import DEFAULT_WORKDIR, RunOptions, parsl_config, run


@click.group("flow")
def flow_group() -> None:
    """SeBS-Flow workflows run as Parsl apps (docs/flow.md)."""


@flow_group.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of workflow definitions."""
    emit_json(flow_schema(), None)


@flow_group.command("validate")
@click.argument("definitions", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_cmd(definitions: tuple[Path, ...]) -> None:
    """Check definitions: schema, names, reachability, cycles, duplicate names."""
    for path in definitions:
        workflow = load_workflow(path)
        click.echo(f"{path}: ok ({len(workflow.scope.states)} top-level states; functions: "
                   f"{', '.join(workflow.func_names())})")


def _store_location(store: str | None, workdir: Path) -> str:
    return store or str(workdir / "measurements.sqlite")


def _print_summary(records: Sequence[dict[str, Any]], workflow: Workflow,
                   console: Console) -> None:
    figures = summary(records, workflow)
    if not figures["calls"]:
        return
    table = Table(title="calls", title_justify="left")
    for column in ("state", "func", "calls", "failed", "cold", "median ms"):
        table.add_column(column, justify="right" if column not in {"state", "func"} else "left")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault((str(record["state"]), str(record["func"])), []).append(record)
    for (state, func), group in groups.items():
        table.add_row(state, func, str(len(group)), str(sum(not r["ok"] for r in group)),
                      str(sum(bool(r["is_cold"]) for r in group)),
                      f"{statistics.median((r['end'] - r['start']) * 1e3 for r in group):.2f}")
    console.print(table)
    transition = figures["median_transition_s"]
    # the same precision as `xaas flow metrics` prints the same figures with
    line = (f"runtime {figures['runtime_s'] * 1e3:.2f} ms, critical path "
            f"{figures['critical_path_s'] * 1e3:.2f} ms, overhead "
            f"{figures['overhead_s'] * 1e3:.2f} ms")
    if transition is not None:
        line += f", median transition {transition * 1e3:.2f} ms"
    console.print(line, soft_wrap=True)


@flow_group.command("run")
@click.argument("definition", type=click.Path(path_type=Path))
@click.option("--input", "input_path", type=click.Path(path_type=Path), default=None,
              help="JSON/YAML file with the input payload (default: {}).")
@click.option("--site", default="local", show_default=True,
              help="Site whose Parsl config runs the calls (site_configs/<site>).")
@click.option("--executor", default="compute", show_default=True,
              help="Parsl executor label for the calls (compute: workers; login: threads of "
                   "this process); 'none': threads of this process without Parsl.")
@click.option("--functions", "functions", multiple=True, type=click.Path(path_type=Path),
              help="Directory with <func_name>.py files defining handler(payload); repeatable.")
@click.option("--package", "packages", multiple=True,
              help="Benchmark package name or Python package of function modules; repeatable.")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(DEFAULT_WORKDIR),
              show_default=True, help="Parsl run dir, default object store and measurements.")
@click.option("--storage", default=None, help="Object store: a directory or s3://[bucket].")
@click.option("--store", default=None,
              help="Measurement store: SQLite path or redis://... [<workdir>/measurements.sqlite]")
@click.option("--measurements", type=click.Path(path_type=Path), default=None,
              help="Also write this run's measurement records as CSV.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True),
              callback=finite_timeout,
              default=None, help="Seconds per call attempt without its own timeout_s.")
@click.option("--request-id", default=None, help="Id of this run (default: random).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None,
              help="Write the final payload here instead of stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary table on stderr.")
def run_cmd(definition: Path, input_path: Path | None, site: str, executor: str,
            functions: tuple[Path, ...], packages: tuple[str, ...], workdir: Path,
            storage: str | None, store: str | None, measurements: Path | None,
            timeout_s: float | None, request_id: str | None, output: Path | None,
            quiet: bool) -> None:
    """Run a workflow definition; the final payload is printed as JSON."""
    payload = load_data(input_path) if input_path is not None else {}
    workflow = load_workflow(definition)  # fail on a bad definition before starting Parsl
    label = None if executor == "none" else executor
    options = RunOptions(functions=tuple(str(f) for f in functions), packages=packages,
                         executor=label, storage=storage, store=store, workdir=str(workdir),
                         timeout_s=timeout_s, request_id=request_id)
    console = Console(stderr=True)
    failed: WorkflowFailed | None = None
    result: RunResult | None = None
    try:
        result = _run(definition, payload, options, site, workdir)
    except WorkflowFailed as exc:
        failed = exc
    rid = failed.request_id if failed is not None else result.request_id if result else None
    records = []
    if rid is not None:
        measured = open_store(_store_location(store, workdir))
        try:
            records = measured.records(rid)
        finally:
            measured.close()
    if measurements is not None:
        write_csv(records, measurements)
    if not quiet:
        _print_summary(records, workflow, console)
    if failed is not None:
        raise failed
    assert result is not None
    for handled in result.handled:
        console.print(f"handled failure: {handled}")
    emit_json(result.payload, output)


def _run(definition: Path, payload: Any, options: RunOptions, site: str,
         workdir: Path) -> RunResult:
    if options.executor is None:
        return run(definition, payload, options)
    from xaas_parsl.sites.session import loaded

    # Parsl logs to <workdir>/runinfo/*/parsl.log; ``loaded`` keeps it off our stderr.
    with loaded(parsl_config(site, options.executor, run_dir=workdir / "runinfo")):
        return run(definition, payload, options)


@flow_group.command("measurements")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path(DEFAULT_WORKDIR),
              show_default=True)
@click.option("--store", default=None, help="SQLite path or redis://... of the records.")
@click.option("--request-id", default=None, help="Only this run (default: all runs).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None,
              help="CSV file (default: stdout).")
def measurements_cmd(workdir: Path, store: str | None, request_id: str | None,
                     output: Path | None) -> None:
    """Export measurement records as SeBS-Flow CSV (plus state, attempt, ok, error)."""
    from xaas_parsl.flow.measure import csv_text

    measured = open_store(_store_location(store, workdir), create=False)
    try:
        records = measured.records(request_id)
    finally:
        measured.close()
    if output is None:
        click.echo(csv_text(records), nl=False)
    else:
        write_csv(records, output)
        click.echo(f"wrote {output} ({len(records)} records)", err=True)
