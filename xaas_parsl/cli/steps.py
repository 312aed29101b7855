"""``xaas spec points``, ``xaas deploy source``, ``xaas run-tests``: one step, files in and out.

Why: Snakemake rules (``snakemake_rules/xaas.smk``) connect steps through files, so that a rerun
skips what exists. These commands are thin wrappers over :mod:`xaas_parsl.steps` (the same
functions the Parsl apps and Globus Compute run), each reading its inputs from JSON files and
writing one JSON result atomically, so an interrupted job never leaves a file a rerun would trust.

IR and container deployments do not exist yet; they will be ``xaas deploy ir`` and
``xaas deploy container`` beside ``deploy source``, with the same file-in/file-out shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from xaas_parsl import steps
from xaas_parsl.cli.output import emit_json, writable_file
from xaas_parsl.errors import InputError, XaasError
from xaas_parsl.fileio import load_json

DESCRIPTOR = click.Path(path_type=Path)


def _record(path: Path, required: tuple[str, ...], what: str) -> dict[str, Any]:
    data = load_json(path)
    if not isinstance(data, dict) or any(key not in data for key in required):
        raise InputError(f"not {what} (needs {', '.join(required)})", path)
    return data


@click.command("points")
@click.argument("descriptor", type=DESCRIPTOR)
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None)
def spec_points_cmd(descriptor: Path, output: Path | None) -> None:
    """The specialization points of an app descriptor (validated), as JSON."""
    emit_json(steps.load_spec_points(str(descriptor)), output)


@click.group("deploy")
def deploy_group() -> None:
    """Deploy the configuration an intersection chose."""


@deploy_group.command("source")
@click.argument("descriptor", type=DESCRIPTOR)
@click.option("--intersection", type=click.Path(path_type=Path), required=True,
              help="JSON written by xaas intersect (its 'choice' is built).")
@click.option("--workdir", type=click.Path(path_type=Path), required=True,
              help="Where build trees and install prefixes go (one per configuration).")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None)
def deploy_source_cmd(descriptor: Path, intersection: Path, workdir: Path,
                      output: Path | None) -> None:
    """Build and install the chosen configuration from source; write the deployment record."""
    chosen = _record(intersection, ("choice",), "an intersection result")
    emit_json(steps.deploy_source(str(descriptor), chosen, str(workdir.resolve())), output)


@click.command("run-tests")
@click.argument("descriptor", type=DESCRIPTOR)
@click.option("--deployment", type=click.Path(path_type=Path), required=True,
              help="JSON written by xaas deploy source.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None)
def run_tests_cmd(descriptor: Path, deployment: Path, output: Path | None) -> None:
    """Run the app's tests against a deployment; a failing test exits 1 (its output on
    stderr, no result file), so Snakemake marks the job failed and a rerun retries it."""
    result = steps.run_tests(str(descriptor), _record(deployment, ("prefix",),
                                                      "a deployment record"))
    if not result["passed"]:
        failed = [t for t in result["tests"] if not t["passed"]]
        for test in failed:
            click.echo(test["output"], err=True)
        raise XaasError(f"{result['app']} tests failed: {', '.join(t['name'] for t in failed)} "
                        f"(exit {failed[0]['returncode']}); output above")
    emit_json(result, output)
