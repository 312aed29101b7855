"""``xaas spec points`` (one step, file out); the deployment commands (``xaas deploy ...``,
``xaas run-tests``) are in :mod:`xaas_parsl.cli.deploy` and re-exported here for ``main``.
"""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl import steps
from xaas_parsl.cli.deploy import deploy_group, run_tests_cmd
from xaas_parsl.cli.output import emit_json, writable_file

__all__ = ["deploy_group", "run_tests_cmd", "spec_points_cmd"]


@click.command("points")
@click.argument("descriptor", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None)
def spec_points_cmd(descriptor: Path, output: Path | None) -> None:
    """The specialization points of an app descriptor (validated), as JSON."""
    emit_json(steps.load_spec_points(str(descriptor)), output)
