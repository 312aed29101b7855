"""``xaas spec``: specialization-points files."""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.spec import load_spec


@click.group("spec")
def spec_group() -> None:
    """Specialization points of applications."""


@spec_group.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_cmd(files: tuple[Path, ...]) -> None:
    """Validate specialization-points files against the corrected upstream schema."""
    for path in files:
        spec = load_spec(path)
        click.echo(
            f"{path}: ok ({len(spec.simd)} SIMD, {len(spec.gpu_backends)} GPU backends, "
            f"{len(spec.parallel_libraries)} parallel, {len(spec.fft)} FFT entries)"
        )
