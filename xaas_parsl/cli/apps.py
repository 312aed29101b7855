"""``xaas app``: application descriptors."""

from __future__ import annotations

import platform
from pathlib import Path

import click

from xaas_parsl.cli.output import emit_json
from xaas_parsl.descriptor import load_app


@click.group("app")
def app_group() -> None:
    """Application descriptors (app.yaml)."""


@app_group.command("configs")
@click.argument("descriptor", type=click.Path(path_type=Path))
@click.option("--arch", default=None, help="Target architecture (default: this machine's).")
def configs_cmd(descriptor: Path, arch: str | None) -> None:
    """List the matrix configurations of an app and their CMake options as JSON."""
    app = load_app(descriptor)
    target = arch or platform.machine()
    emit_json(
        {
            "app": app.name,
            "arch": target,
            "configs": [
                {"name": c.name, "cmake_args": c.cmake_args(), "opt_in": c.opt_in}
                for c in [*app.configurations(target), *app.opt_in_configurations(target)]
            ],
        },
        None,
    )
