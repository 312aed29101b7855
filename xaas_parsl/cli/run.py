"""``xaas run IMAGE -- CMD...``: run a command in an image with the site's conventions."""

from __future__ import annotations

import sys

import click

from xaas_parsl.cli.output import emit_json, finite_timeout


@click.command("run", context_settings={"ignore_unknown_options": False})
@click.argument("image")
@click.argument("command", nargs=-1, required=True)
@click.option("--bind", "-b", "binds", multiple=True, metavar="SRC:DST[:ro|rw]",
              help="Bind mount (read-only unless :rw); repeatable.")
@click.option("--env", "-e", "env", multiple=True, metavar="KEY=VALUE")
@click.option("--network", default="none", show_default=True,
              help="Container network (none: no network, the default).")
@click.option("--user", default=None, metavar="UID[:GID]",
              help="Run as this user (default: the invoking user's uid:gid).")
@click.option("--workdir", "-w", default=None)
@click.option("--gpus", default=None, metavar="VENDOR[:COUNT]")
@click.option("--ranks", default=1, show_default=True, help="MPI ranks (mpiexec inside).")
@click.option("--runtime", "runtime_name", type=click.Choice(["docker", "native"]),
              default="docker", show_default=True,
              help="native: IMAGE is an install prefix, no container.")
@click.option("--timeout", default=None, type=float, callback=finite_timeout,
              help="Seconds before the run is killed.")
@click.option("--json", "as_json", is_flag=True,
              help="Print {exit_code, stdout, stderr, seconds, argv} as JSON.")
def run_cmd(image: str, command: tuple[str, ...], binds: tuple[str, ...], env: tuple[str, ...],
            network: str, user: str | None, workdir: str | None, gpus: str | None, ranks: int,
            runtime_name: str, timeout: float | None, as_json: bool) -> int:
    """Run COMMAND in IMAGE; exits with the command's exit code."""
    from xaas_parsl.containers.run import make_spec, run

    spec = make_spec(image, list(command), list(binds), list(env), network, user, workdir,
                     gpus, ranks)
    result = run(spec, runtime_name, timeout)
    if as_json:
        emit_json(result, None)
    else:
        sys.stdout.write(result["stdout"])
        sys.stderr.write(result["stderr"])
        click.echo(f"xaas run: exit {result['exit_code']} after {result['seconds']} s", err=True)
    code: int = result["exit_code"]
    return code
