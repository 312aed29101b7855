"""``xaas burst``: run a flare locally, or print the launcher step that runs one at a site."""

from __future__ import annotations

import json
import shlex
import socket
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from xaas_parsl.cli.output import finite_timeout, writable_file
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import finite

APPS = ("sort", "pagerank", "noop")


@click.group("burst")
def burst_group() -> None:
    """Burst computing: flares of workers started together, with collectives."""


def _noop(ctx: Any) -> int:
    rank: int = ctx.rank
    return rank


@burst_group.command("run")
@click.option("--app", type=click.Choice(APPS), default="sort", show_default=True)
@click.option("--size", type=int, default=8, show_default=True, help="Workers (N).")
@click.option("--granularity", type=int, default=4, show_default=True,
              help="Workers per pack process.")
@click.option("--timeout", callback=finite_timeout, type=float, default=60.0, show_default=True,
              help="Seconds any collective may wait.")
@click.option("--transport", default="zmq", show_default=True,
              help="zmq, or a redis://host:port/db URL.")
@click.option("--json", "as_json", is_flag=True, help="Print the start summary as JSON.")
@click.option("--workers", "worker_kind", type=click.Choice(["process", "thread"]),
              default="process", show_default=True,
              help="Run a pack's workers as processes (CPU-bound Python in parallel) or as "
                   "threads (cheaper; for workers that wait on I/O or subprocesses).")
def run_cmd(app: str, size: int, granularity: int, timeout: float, transport: str,
            as_json: bool, worker_kind: str) -> None:
    """Run an example flare on fresh local processes (one per pack; timings include their
    start-up: a cold pool), verify the result, print the start summary."""
    from xaas_parsl.burst import flare
    from xaas_parsl.burst.apps import pagerank, sort
    from xaas_parsl.burst.context import Placement
    from xaas_parsl.burst.files import local_pack_pool

    packs = Placement.of(size, granularity).packs
    fns: dict[str, Callable[..., Any]] = {
        "sort": sort.terasort, "pagerank": pagerank.pagerank, "noop": _noop}
    with local_pack_pool(packs) as pool:
        future = flare(fns[app], size, granularity, executor=pool, timeout=timeout,
                       transport=transport, worker_kind=worker_kind)
        results = future.result()
    verified = {"sort": lambda: sort.verify(results, size, 1000),
                "pagerank": lambda: pagerank.verify(results),
                "noop": lambda: results == list(range(size))}[app]()
    summary = future.timing.summary().to_dict()
    summary.update(app=app, granularity=granularity, packs=packs, verified=verified,
                   workers=worker_kind,
                   transport_messages=sum(future.messages_sent.values()))
    if as_json:
        click.echo(json.dumps(finite(summary), allow_nan=False))
    else:
        for key, value in summary.items():
            click.echo(f"{key:24} {value:.4f}" if isinstance(value, float)
                       else f"{key:24} {value}")
    if not verified:
        raise InputError(f"{app} flare returned a wrong result")


@burst_group.command("flare")
@click.argument("function")
@click.option("--size", type=int, required=True, help="Workers (N).")
@click.option("--granularity", type=int, default=1, show_default=True,
              help="Workers per pack process.")
@click.option("--input", "inputs", multiple=True, type=click.Path(),
              help="A file every worker can read (repeatable); passed as a list of paths.")
@click.option("--output", required=True, type=click.Path(path_type=Path), callback=writable_file,
              help="Where the workers' return values (rank order) are written as JSON.")
@click.option("--transport", default="zmq", show_default=True,
              help="zmq, or a redis://host:port/db URL.")
@click.option("--timeout", callback=finite_timeout, type=float, default=60.0, show_default=True,
              help="Seconds any collective may wait.")
@click.option("--summary", type=click.Path(path_type=Path), callback=writable_file, default=None,
              help="Also write the start summary as JSON here.")
@click.option("--workers", "worker_kind", type=click.Choice(["process", "thread"]),
              default="process", show_default=True,
              help="Run a pack's workers as processes (CPU-bound Python in parallel) or as "
                   "threads (cheaper; for workers that wait on I/O or subprocesses).")
def flare_cmd(function: str, size: int, granularity: int, inputs: tuple[str, ...],
              output: Path, transport: str, timeout: float, summary: Path | None,
              worker_kind: str) -> None:
    """Run FUNCTION (module:function, called as fn(ctx, input_paths)) as a flare on fresh
    local processes and write the list of its workers' return values as JSON (atomically)."""
    from xaas_parsl.burst.files import run_to_json

    stats = run_to_json(function, size, granularity, list(inputs), str(output),
                        transport=transport, timeout=timeout,
                        summary_path=str(summary) if summary else None, worker_kind=worker_kind)
    click.echo(json.dumps(finite(stats), allow_nan=False))


@burst_group.command("step")
@click.argument("site")
@click.option("--size", type=int, required=True, help="Workers (N).")
@click.option("--granularity", type=int, required=True, help="Workers per pack process.")
@click.option("--function", required=True, help="module:function each worker runs.")
@click.option("--nodes", type=click.IntRange(min=1), default=None,
              help="Spread the packs evenly over this many nodes (default: fill a node's "
                   "cores first).")
@click.option("--run", "run_it", is_flag=True,
              help="Run the step from inside the allocation (driver + launcher), instead of "
                   "printing it.")
@click.option("--host", default=None,
              help="With --run: the driver address packs connect to (default: this node's "
                   "first non-loopback IPv4 address).")
@click.option("--address", default=None, help="Without --run: the driver rendezvous to print, "
                                               "tcp://HOST:PORT.")
@click.option("--out-dir", default=None,
              help="Where packs leave their sealed results; a directory every node sees "
                   "(default: burst-results when printing, a fresh one under . with --run).")
@click.option("--output", type=click.Path(path_type=Path), callback=writable_file, default=None,
              help="With --run: write the workers' return values (rank order) as JSON here.")
@click.option("--timeout", callback=finite_timeout, type=float, default=60.0, show_default=True,
              help="Seconds any collective may wait.")
@click.option("--start-timeout", callback=finite_timeout, type=float, default=120.0,
              show_default=True, help="Seconds the gang start may take.")
@click.option("--workers", "worker_kind", type=click.Choice(["process", "thread"]),
              default="process", show_default=True, help="Run a pack's workers as processes "
                                                         "or threads.")
@click.option("--node-type", default=None)
@click.option("--python", default="python3", show_default=True)
def step_cmd(site: str, size: int, granularity: int, function: str, nodes: int | None,
             run_it: bool, host: str | None, address: str | None, out_dir: str | None,
             output: Path | None, timeout: float, start_timeout: float, worker_kind: str,
             node_type: str | None, python: str) -> None:
    """Print the one-step srun/mpiexec command that starts a flare inside an allocation, or
    with --run run it there: one JSON line with the start summary (time to all started is
    measured from the launcher's start), the values to --output."""
    from xaas_parsl.burst.launch import flare_step
    from xaas_parsl.burst.step import run_step
    from xaas_parsl.burst.transport.auth import SECRET_ENV
    from xaas_parsl.fileio import write_json

    if run_it:
        outcome = run_step(site, size=size, granularity=granularity, function=function,
                           host=host, nodes=nodes, out_dir=out_dir, node_type=node_type,
                           python=python, timeout=timeout, start_timeout=start_timeout,
                           worker_kind=worker_kind)
        if output is not None:
            write_json(output, outcome.values)
        summary: dict[str, Any] = outcome.timing.summary().to_dict()
        summary.update(packs=outcome.step.packs, packs_per_node=outcome.step.packs_per_node,
                       nodes=outcome.step.nodes,
                       hosts=sorted(set(outcome.timing.hosts.values())), workers=worker_kind)
        click.echo(json.dumps(finite(summary), allow_nan=False))
        return
    host = socket.gethostname()
    step = flare_step(site, size=size, granularity=granularity, function=function,
                      address=address or f"tcp://{host}:5555", flare_id=uuid.uuid4().hex[:8],
                      driver_host=host, out_dir=out_dir or "burst-results", node_type=node_type,
                      python=python, timeout=timeout, start_timeout=start_timeout, nodes=nodes,
                      worker_kind=worker_kind)
    click.echo(f"# {step.packs} packs, {step.packs_per_node} per node, {step.nodes} node(s)")
    click.echo(shlex.join(step.command))
    click.echo(f"# run it with ${SECRET_ENV} set to the driver rendezvous's secret as hex "
               "(xaas_parsl.burst.launch.pack_environment): packs refuse unsealed frames; "
               "or let --run drive it")
