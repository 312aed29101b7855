"""``xaas container source|ir build|deploy``: app images built and specialised in Docker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from xaas_parsl.cli.output import emit_json
from xaas_parsl.descriptor.app import load_app


@click.group("container")
def container_group() -> None:
    """Source and IR containers, specialised for a node at deployment (Docker engine)."""


@container_group.group("source")
def source_group() -> None:
    """Source containers: app source + toolchain; deployment builds the chosen configuration."""


@container_group.group("ir")
def ir_group() -> None:
    """IR containers: the app's IR bundle; deployment lowers the chosen configuration."""


def _say(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(data, None)
    elif "config" in data:
        what = "reused (nothing built)" if data["reused"] else f"built in {data['build_s']} s"
        click.echo(f"{data['image']}: {data['config']}, {what}; {data['seconds']} s in all")
    else:
        click.echo(f"{data['image']}: {data['id'][:19]} ({data['seconds']} s)")


@source_group.command("build")
@click.argument("app_file", type=click.Path(path_type=Path))
@click.option("--tag", default=None, help="Image tag (default: <app>-source:<version>).")
@click.option("--json", "as_json", is_flag=True)
def source_build_cmd(app_file: Path, tag: str | None, as_json: bool) -> None:
    """Make the source container of APP_FILE (source, spec points, toolchain)."""
    from xaas_parsl.containers.source import build_source_image

    with Console(stderr=True).status("Building the source container…"):
        data = build_source_image(load_app(app_file), tag)
    _say(data, as_json)


@ir_group.command("build")
@click.argument("app_file", type=click.Path(path_type=Path))
@click.option("--configs", default=None, metavar="NAME,...",
              help="Only these matrix configurations (default: all for this arch).")
@click.option("-j", "--jobs", default=2, show_default=True)
@click.option("--tag", default=None, help="Image tag (default: <app>-ir:<version>).")
@click.option("--mode", type=click.Choice(["split", "full"]), default="split",
              show_default=True, help="As `xaas ir build --mode`.")
@click.option("--arch", default=None, metavar="ARCH",
              help="ISA family of the bundle (aarch64 = arm64; default: this host's); "
                   "another family's builds in the cross toolchain image.")
@click.option("--json", "as_json", is_flag=True)
def ir_build_cmd(app_file: Path, configs: str | None, jobs: int, tag: str | None, mode: str,
                 arch: str | None, as_json: bool) -> None:
    """Build APP_FILE's IR bundle inside a toolchain container and commit it."""
    from xaas_parsl.containers.ir_image import build_ir_image

    names = [c.strip() for c in configs.split(",") if c.strip()] if configs else None
    with Console(stderr=True).status("Building the IR bundle inside a toolchain container…"):
        data = build_ir_image(load_app(app_file), names, jobs, tag, mode, arch)
    if as_json:
        emit_json(data, None)
    else:
        click.echo(f"{data['image']}: {data['compile_jobs']} compile jobs -> "
                   f"{data['unique_irs']} IR files, configs {', '.join(data['configs'])} "
                   f"({data['seconds']} s)")


def _deploy(image: str, mode: str, system: Path | None, config: str | None, jobs: int,
            test: bool, as_json: bool, cpu: str | None = None) -> None:
    from xaas_parsl.containers.deploy import deploy_image, run_image_tests
    from xaas_parsl.errors import ToolError

    with Console(stderr=True).status(f"Deploying {image} (plan, build/lower inside, lean "
                                     "image)…"):
        data = deploy_image(image, mode, system, config, jobs, cpu)
        if test:
            data["tests"] = run_image_tests(data["image"])
    _say(data, as_json)
    if test and not as_json:
        for row in data["tests"]["tests"]:
            click.echo(f"test {row['name']}: {'PASS' if row['passed'] else 'FAIL'} "
                       f"({row['seconds']} s)")
    if test and not data["tests"]["passed"]:
        raise ToolError("tests failed in the deployed image", data["image"])


system_opt = click.option("--system", type=click.Path(path_type=Path), default=None,
                          help="Target system JSON (default: discover inside the container).")
test_opt = click.option("--test", is_flag=True, help="Run the app's tests in the result.")


@source_group.command("deploy")
@click.argument("image")
@system_opt
@click.option("-j", "--jobs", default=2, show_default=True)
@test_opt
@click.option("--json", "as_json", is_flag=True)
def source_deploy_cmd(image: str, system: Path | None, jobs: int, test: bool,
                      as_json: bool) -> None:
    """Build the configuration chosen for the target inside IMAGE; write a lean image."""
    _deploy(image, "source", system, None, jobs, test, as_json)


@ir_group.command("deploy")
@click.argument("image")
@click.option("--config", default=None, help="Configuration (default: the intersection's).")
@system_opt
@click.option("--cpu", default=None, metavar="CPU",
              help="Tune for this CPU (as `xaas ir deploy --cpu`: neoverse-v2, armv8.2-a, "
                   "node, baseline).")
@click.option("-j", "--jobs", default=2, show_default=True)
@test_opt
@click.option("--json", "as_json", is_flag=True)
def ir_deploy_cmd(image: str, config: str | None, system: Path | None, cpu: str | None,
                  jobs: int, test: bool, as_json: bool) -> None:
    """Lower the chosen configuration inside IMAGE; write a lean runtime image (an aarch64
    IR image: cross-lowered, into the arm64 runtime image)."""
    _deploy(image, "ir", system, config, jobs, test, as_json, cpu)
