"""``xaas system``: discover this node, or convert a system file between formats."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from xaas_parsl.cli.output import emit_json, writable_file
from xaas_parsl.discovery.load import dump_system, load_system
from xaas_parsl.discovery.probe import discover_local

FORMAT = click.Choice(["xaas", "native"])


@click.group("system")
def system_group() -> None:
    """System discovery."""


@system_group.command("discover")
@click.option("--format", "fmt", type=FORMAT, default="xaas", show_default=True,
              help="xaas: upstream XaaS keys; native: our typed model (FMA units, SVE length, "
                   "GPU memory, container runtimes).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None,
              help="Write JSON here instead of stdout.")
@click.option("--no-cache", is_flag=True, help="Re-probe everything instead of using the cache.")
def discover_cmd(fmt: Literal["xaas", "native"], output: Path | None, no_cache: bool) -> None:
    """Describe this node as JSON: CPU, GPUs, MPI/BLAS/FFT, compilers, container runtimes."""
    info = discover_local(use_cache=not no_cache)
    emit_json(dump_system(info, fmt), output)


@system_group.command("convert")
@click.argument("system_file", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=FORMAT, default="native", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None)
def convert_cmd(system_file: Path, fmt: Literal["xaas", "native"], output: Path | None) -> None:
    """Load a system file (either format; upstream defects repaired) and write it as FORMAT."""
    emit_json(dump_system(load_system(system_file), fmt), output)
