"""Writing a command's JSON result to stdout or, atomically, to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from xaas_parsl.budget import finite_seconds
from xaas_parsl.fileio import check_output, dump_json, write_atomic


def writable_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Click callback for ``-o``/``--report`` files: an unwritable path fails before any work
    with one ``xaas: error:`` line (``check_output``), not after a long run."""
    return None if value is None or str(value) == "-" else check_output(value)


def writable_dir(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Click callback for output directories (``flow bench -o``, ``--dest``)."""
    return None if value is None else check_output(value, directory=True)


def finite_timeout(ctx: click.Context, param: click.Parameter,
                   value: float | None) -> float | None:
    """Click callback for ``--timeout``: ``nan`` passes every comparison (so click's ranges
    accept it) and would disable the deadline; ``inf`` and negatives are refused too."""
    return None if value is None else finite_seconds(value, param.opts[0])


def emit_json(data: Any, output: Path | None) -> None:
    """Print ``data`` as JSON, or write it to ``output`` (atomically) and say where on stderr."""
    text = dump_json(data)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
