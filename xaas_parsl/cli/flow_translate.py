"""``xaas flow translate`` and ``xaas flow serve``: definitions between providers, functions
over HTTP.

Both are thin wrappers: ``xaas_parsl.flow.translate.translate`` does the work and returns the
text (or the files it wrote) plus warnings, which go to stderr; ``serve`` runs
``xaas_parsl.flow.serve.FunctionServer`` until interrupted. Attached to ``xaas flow`` in
``xaas_parsl/cli/main.py``.
"""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.fileio import check_output, write_atomic
from xaas_parsl.flow.functions import sources_for
from xaas_parsl.flow.translate import SOURCES, TARGETS


@click.command("translate")
@click.argument("definition", type=click.Path(path_type=Path))
@click.option("--to", "to", type=click.Choice(TARGETS), required=True, help="Target dialect.")
@click.option("--from", "from_", type=click.Choice(SOURCES), default=None,
              help="Source dialect (default: detected from the content).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Output file (directory for durable); default stdout.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None,
              help="YAML: functions: {<name>: {aws: ARN, gcp: URL, azure: activity}}.")
@click.option("--endpoint-base", default=None, help="Every function at URL/<func_name>.")
def translate_cmd(definition: Path, to: str, from_: str | None, output: Path | None,
                  mapping: Path | None, endpoint_base: str | None) -> None:
    """Translate a workflow definition (SeBS JSON, ASL or Cloud Workflows YAML) to another."""
    from xaas_parsl.flow.translate import translate

    if output is not None:
        check_output(output, directory=to == "durable")
    result = translate(definition, to, from_=from_, mapping=mapping, endpoint_base=endpoint_base,
                       out_dir=output if to == "durable" else None)
    for warning in result.warnings:
        click.echo(f"xaas: warning: {definition}: {warning}", err=True)
    if result.text is None:
        for path in result.files:
            click.echo(f"wrote {path}", err=True)
    elif output is None:
        click.echo(result.text, nl=not result.text.endswith("\n"))
    else:
        write_atomic(output, result.text)
        click.echo(f"wrote {output}", err=True)


@click.command("serve")
@click.option("--functions", "functions", type=click.Path(path_type=Path), multiple=True,
              help="Directory with <func_name>.py files (repeatable).")
@click.option("--package", "packages", multiple=True,
              help="Benchmark package name or Python package of function modules; repeatable.")
@click.option("--port", type=int, default=8080, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--storage", default=".xaas-flow/storage", show_default=True,
              help="Object store the functions use: a directory or s3://[bucket].")
@click.option("--log/--no-log", default=True, help="Log every request on stderr.")
def serve_cmd(functions: tuple[Path, ...], packages: tuple[str, ...], port: int, storage: str,
              log: bool) -> None:
    """Serve the workflow functions on loopback HTTP: POST /<func_name> {payload, request_id}."""
    from xaas_parsl.errors import InputError
    from xaas_parsl.flow.serve import FunctionServer

    if not functions and not packages:
        raise InputError("give --functions DIR and/or --package NAME: nothing to serve")
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is not a TCP port (0-65535)")
    sources = sources_for(functions, packages)
    try:
        server = FunctionServer(sources, storage, port, quiet=not log, max_calls=0)
    except OSError as exc:
        raise InputError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    click.echo(f"serving {', '.join(f'{k} {loc}' for k, loc in sources)} at "
               f"{server.url}/<func_name>", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
