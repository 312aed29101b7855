"""``xaas spec``: specialization-points files."""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.cli.output import emit_json, writable_file
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


@spec_group.command("discover")
@click.argument("source_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              callback=writable_file,
              help="Write the JSON here (atomically) instead of stdout.")
@click.option("--explain", is_flag=True,
              help="Print, on stderr, each entry with the file:line it comes from and the rule.")
@click.option("--configure", "use_configure", is_flag=True,
              help="Also configure a throw-away copy with real cmake and merge its cache.")
def discover_cmd(
    source_dir: Path, output: Path | None, explain: bool, use_configure: bool
) -> None:
    """Discover the specialization points of the CMake project in SOURCE_DIR (static analysis).

    Deterministic and offline: the project's CMake code is evaluated as a native x86-64 Linux
    configure would (all branches visited), and the options are classified by documented rules
    (docs/spec-discovery.md). The JSON follows the upstream XaaS format.
    """
    from xaas_parsl.spec.discover import discover_explained

    spec, explained, warnings = discover_explained(source_dir, configure=use_configure)
    for warning in warnings:
        click.echo(f"xaas: warning: {warning}", err=True)
    if explain:
        width = max((len(path) for path, _w, _r in explained), default=10)
        where_width = max((len(where) for _p, where, _r in explained), default=10)
        for path, where, rule in explained:
            click.echo(f"{path:<{width}}  {where:<{where_width}}  {rule}", err=True)
    emit_json(spec, output)


@spec_group.command("score")
@click.argument("pred", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("gt", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--normalize-names", is_flag=True,
              help="Match entry names ignoring case and separators (AVX_512 ~ AVX512); exact "
                   "matches first, so GROMACS's 'mkl' and 'MKL' stay distinct.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def score_cmd(pred: Path, gt: Path, normalize_names: bool, as_json: bool) -> None:
    """Upstream XaaS's F1 of PRED against the ground truth GT, and the mismatches.

    Scored paths and rules: docs/spec-discovery.md ("Scoring"). Both files are validated against
    the corrected schema first.
    """
    from xaas_parsl.spec.score import score

    result = score(load_spec(pred).raw, load_spec(gt).raw, normalize_names=normalize_names)
    if as_json:
        emit_json(result.as_dict(), None)
        return
    click.echo(f"precision {result.precision:.3f}  recall {result.recall:.3f}  "
               f"F1 {result.f1:.3f}  (TP {result.tp}, FP {result.fp}, FN {result.fn})")
    for m in result.mismatches:
        click.echo(f"  {m.kind:9} {m.path}: predicted {m.predicted!r}, expected {m.expected!r}")
