"""Writing a command's JSON result to stdout or, atomically, to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from xaas_parsl.fileio import dump_json, write_atomic


def emit_json(data: Any, output: Path | None) -> None:
    """Print ``data`` as JSON, or write it to ``output`` (atomically) and say where on stderr."""
    text = dump_json(data)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
