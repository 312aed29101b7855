"""``xaas deploy source|ir|container|ir-bundle|container-image|export`` and ``xaas run-tests``:
one slice of the deployment pipeline each, files in and out.

Why: Snakemake rules (``snakemake_rules/xaas.smk``) connect steps through files, so that a rerun
skips what exists. Every command here builds a :class:`~xaas_parsl.deploy.DeployRequest` from
its input files and runs it through ``xaas_parsl.deploy.pipeline.drive`` (the function the Parsl
apps, the demo and the showcase call), then writes the stage's record as one JSON file,
atomically, so an interrupted job never leaves a file a rerun would trust.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from xaas_parsl.cli.output import emit_json, writable_file
from xaas_parsl.containers.export import TARGETS
from xaas_parsl.deploy import pipeline
from xaas_parsl.errors import InputError, XaasError
from xaas_parsl.fileio import load_json

DESCRIPTOR = click.Path(path_type=Path)
FILE = click.Path(path_type=Path)


def _record(path: Path, required: tuple[str, ...], what: str) -> dict[str, Any]:
    data = load_json(path)
    if not isinstance(data, dict) or any(key not in data for key in required):
        raise InputError(f"not {what} (needs {', '.join(required)})", path)
    return data


def _maybe(path: Path | None, required: tuple[str, ...], what: str) -> dict[str, Any] | None:
    return _record(path, required, what) if path is not None else None


def _names(value: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in value.split(",") if c.strip()) if value else ()


intersection_opt = click.option("--intersection", type=FILE, default=None,
                                help="JSON written by xaas intersect (its 'choice' is deployed).")
workdir_opt = click.option("--workdir", type=FILE, required=True,
                           help="Where build trees, bundles and install prefixes go.")
output_opt = click.option("-o", "--output", type=FILE, callback=writable_file,
                          default=None)
kind_opt = click.option("--kind", type=click.Choice(["ir", "source"]), default="ir",
                        show_default=True, help="Which app container: IR or source.")

INTERSECTION = ("choice",)


@click.group("deploy")
def deploy_group() -> None:
    """Deploy the configuration an intersection chose (source, ir or container mode)."""


@deploy_group.command("source")
@click.argument("descriptor", type=DESCRIPTOR)
@click.option("--intersection", type=FILE, required=True,
              help="JSON written by xaas intersect (its 'choice' is built).")
@workdir_opt
@output_opt
def deploy_source_cmd(descriptor: Path, intersection: Path, workdir: Path,
                      output: Path | None) -> None:
    """Build and install the chosen configuration from source; write the deployment record."""
    done = pipeline.run_slice(str(descriptor), str(workdir.resolve()), "source", ("deploy",),
                              intersection=_record(intersection, INTERSECTION,
                                                   "an intersection result"))
    emit_json(done.record("deployment"), output)


@deploy_group.command("ir-bundle")
@click.argument("descriptor", type=DESCRIPTOR)
@click.option("--configs", default=None, metavar="NAME,...",
              help="Only these matrix configurations (default: all for this arch).")
@workdir_opt
@output_opt
def ir_bundle_cmd(descriptor: Path, configs: str | None, workdir: Path,
                  output: Path | None) -> None:
    """Build (or bring up to date) the app's IR bundle under WORKDIR; write its record."""
    done = pipeline.run_slice(str(descriptor), str(workdir.resolve()), "ir", ("build",),
                              configs=_names(configs))
    emit_json(done.record("artifact"), output)


@deploy_group.command("ir")
@click.argument("descriptor", type=DESCRIPTOR)
@intersection_opt
@click.option("--config", "configuration", default=None,
              help="Matrix configuration to deploy (default: the intersection's choice).")
@click.option("--bundle", type=FILE, default=None,
              help="JSON written by xaas deploy ir-bundle (default: build the bundle now).")
@workdir_opt
@output_opt
def deploy_ir_cmd(descriptor: Path, intersection: Path | None, configuration: str | None,
                  bundle: Path | None, workdir: Path, output: Path | None) -> None:
    """Lower and link the chosen configuration from the app's IR bundle; write the record."""
    if intersection is None and configuration is None:
        raise click.UsageError("give --intersection or --config")
    done = pipeline.run_slice(
        str(descriptor), str(workdir.resolve()), "ir",
        ("deploy",) if bundle is not None else ("build", "deploy"),
        intersection=_maybe(intersection, INTERSECTION, "an intersection result"),
        configuration=configuration,
        artifact=_maybe(bundle, ("bundle", "compile_jobs"), "an IR bundle record"))
    emit_json(done.record("deployment"), output)


@deploy_group.command("container-image")
@click.argument("descriptor", type=DESCRIPTOR)
@intersection_opt
@kind_opt
@click.option("--configs", default=None, metavar="NAME,...",
              help="IR image: these configurations (default: the choice and None).")
@workdir_opt
@output_opt
def container_image_cmd(descriptor: Path, intersection: Path | None, kind: str,
                        configs: str | None, workdir: Path, output: Path | None) -> None:
    """Make the app's container image in the Docker engine; write its record."""
    done = pipeline.run_slice(
        str(descriptor), str(workdir.resolve()), "container", ("build",), image_kind=kind,
        intersection=_maybe(intersection, INTERSECTION, "an intersection result"),
        configs=_names(configs))
    emit_json(done.record("artifact"), output)


@deploy_group.command("container")
@click.argument("descriptor", type=DESCRIPTOR)
@intersection_opt
@click.option("--image", type=FILE, default=None,
              help="JSON written by xaas deploy container-image (default: make it now).")
@click.option("--system", type=FILE, default=None,
              help="System JSON of the target (default: discovered inside the container).")
@kind_opt
@workdir_opt
@output_opt
def deploy_container_cmd(descriptor: Path, intersection: Path | None, image: Path | None,
                         system: Path | None, kind: str, workdir: Path,
                         output: Path | None) -> None:
    """Deploy the app's container for the node: lean image, install tree copied under
    WORKDIR; write the deployment record (mode: container)."""
    artifact = _maybe(image, ("image", "kind"), "a container image record")
    done = pipeline.run_slice(
        str(descriptor), str(workdir.resolve()), "container",
        ("deploy",) if artifact is not None else ("build", "deploy"),
        image_kind=str(artifact["kind"]) if artifact else kind, artifact=artifact,
        intersection=_maybe(intersection, INTERSECTION, "an intersection result"),
        system=load_json(system) if system is not None else None)
    emit_json(done.record("deployment"), output)


@deploy_group.command("export")
@click.argument("descriptor", type=DESCRIPTOR)
@click.option("--deployment", type=FILE, required=True,
              help="JSON written by xaas deploy container.")
@click.option("--site", default=None,
              help="Site whose container tool imports it (alps: EDF, ault: Sarus, aurora: "
                   "Apptainer) and whose launcher the run line uses.")
@click.option("--for", "target", type=click.Choice(TARGETS), default=None,
              help="Export format (default: the site's).")
@workdir_opt
@output_opt
def export_cmd(descriptor: Path, deployment: Path, site: str | None, target: str | None,
               workdir: Path, output: Path | None) -> None:
    """Write the deployed image in the site tool's format under WORKDIR/export; the record
    names the files and the commands to run on the site."""
    if site is None and target is None:
        raise click.UsageError("give --site or --for")
    done = pipeline.run_slice(
        str(descriptor), str(workdir.resolve()), "container", ("export",), site=site,
        export=target, deployment=_record(deployment, ("image", "mode"),
                                          "a container deployment record"))
    emit_json(done.record("export"), output)


@click.command("run-tests")
@click.argument("descriptor", type=DESCRIPTOR)
@click.option("--deployment", type=FILE, required=True,
              help="JSON written by xaas deploy source|ir|container.")
@output_opt
def run_tests_cmd(descriptor: Path, deployment: Path, output: Path | None) -> None:
    """Run the app's tests against a deployment (inside its image for a container one); a
    failing test exits 1 (its output on stderr, no result file), so Snakemake marks the job
    failed and a rerun retries it."""
    record = _record(deployment, ("prefix",), "a deployment record")
    done = pipeline.run_slice(str(descriptor), None, str(record.get("mode", "source")),
                              ("test",), deployment=record)
    result = done.record("tests")
    if not result["passed"]:
        failed = [t for t in result["tests"] if not t["passed"]]
        for test in failed:
            click.echo(test["output"], err=True)
        raise XaasError(f"{result['app']} tests failed: {', '.join(t['name'] for t in failed)} "
                        f"(exit {failed[0]['returncode']}); output above")
    emit_json(result, output)
