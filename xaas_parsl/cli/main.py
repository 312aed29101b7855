"""Entry point of the ``xaas`` console script.

Subcommands live in sibling modules and only parse arguments, call library functions and print.
Every ``XaasError`` becomes one line on stderr (``xaas: error: <file>: <problem>``) and exit
code 1, without a traceback. Click's usage errors (an unknown option or command, a missing
argument, a bad choice) follow the same rule: one line naming the command, exit 1, instead of
click's usage block and exit 2; ``--help`` and a bare group (``xaas flow``) print the help and
exit 0.
"""

from __future__ import annotations

import logging
import sys

import click

from xaas_parsl import __version__
from xaas_parsl.cli import signals
from xaas_parsl.cli.apps import app_group
from xaas_parsl.cli.burst import burst_group
from xaas_parsl.cli.container import container_group
from xaas_parsl.cli.demo import demo
from xaas_parsl.cli.flow import flow_group
from xaas_parsl.cli.flow_bench import bench_cmd, metrics_cmd
from xaas_parsl.cli.flow_translate import serve_cmd, translate_cmd
from xaas_parsl.cli.images import images_group
from xaas_parsl.cli.intersect import intersect_cmd
from xaas_parsl.cli.ir import ir_group
from xaas_parsl.cli.profiles import profiles_group
from xaas_parsl.cli.run import run_cmd
from xaas_parsl.cli.showcase import showcase_group
from xaas_parsl.cli.site import site_group
from xaas_parsl.cli.spec import spec_group
from xaas_parsl.cli.steps import deploy_group, run_tests_cmd, spec_points_cmd
from xaas_parsl.cli.system import system_group
from xaas_parsl.errors import XaasError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xaas")
@click.option("-v", "--verbose", count=True, help="More log output on stderr (-vv: debug).")
def cli(verbose: int) -> None:
    """XaaS deployment steps: discover, intersect, build, deploy (xaas-parsl)."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


cli.add_command(demo)
cli.add_command(showcase_group)
cli.add_command(system_group)
cli.add_command(intersect_cmd)
cli.add_command(spec_group)
cli.add_command(app_group)
cli.add_command(site_group)
cli.add_command(profiles_group)
cli.add_command(deploy_group)
cli.add_command(run_tests_cmd)
spec_group.add_command(spec_points_cmd)
cli.add_command(flow_group)
flow_group.add_command(translate_cmd)
flow_group.add_command(serve_cmd)
flow_group.add_command(bench_cmd)
flow_group.add_command(metrics_cmd)
cli.add_command(burst_group)
cli.add_command(ir_group)
cli.add_command(images_group)
cli.add_command(container_group)
cli.add_command(run_cmd)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (130 after Ctrl-C, 128+N after signal N)."""
    signals.install()
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:  # raised again during a command's own cleanup
        return _interrupted(exc)


def entry() -> None:
    """The console script and ``python -m``: the CLI with the interrupt watchdog armed."""
    signals.install(deadline=True)
    sys.exit(main())


def _interrupted(exc: BaseException) -> int:
    signals.announce()
    signals.reap_children()
    return 128 + exc.signum if isinstance(exc, signals.Terminated) else 130


def _flat(text: str) -> str:
    """``text`` on one line (click's messages may hold newlines and runs of spaces)."""
    return " ".join(text.split())


def usage_line(exc: click.UsageError) -> str:
    """``<command>: <problem> (see '<command> --help')``: where the usage was wrong, what was
    wrong, and where the usage is explained, on one line."""
    message = _flat(exc.format_message()).rstrip(".")
    if exc.ctx is None:
        return message
    path = exc.ctx.command_path
    where = f"{path.split(' ', 1)[1]}: " if " " in path else ""
    return f"{where}{message} (see '{path} --help')"


def _main(argv: list[str] | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="xaas", standalone_mode=False)
    except XaasError as exc:
        click.echo(f"xaas: error: {exc.one_line()}", err=True)
        return 1
    except click.exceptions.NoArgsIsHelpError as exc:  # ``xaas flow``: a request for help
        click.echo(exc.format_message())
        return 0
    except click.UsageError as exc:
        click.echo(f"xaas: error: {usage_line(exc)}", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"xaas: error: {_flat(exc.format_message())}", err=True)
        return exc.exit_code
    except click.exceptions.Abort as exc:  # click's wrapper of KeyboardInterrupt
        context = exc.__context__
        return _interrupted(context if isinstance(context, KeyboardInterrupt) else exc)
    except KeyboardInterrupt as exc:
        return _interrupted(exc)
    except OSError as exc:
        # last resort for an environment failure a command did not name itself (a full disk,
        # a vanished directory): still one line, never a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"xaas: error: {where}{exc.strerror or exc}", err=True)
        return 1
    except RecursionError:
        click.echo("xaas: error: input nested too deeply", err=True)
        return 1
    except MemoryError:
        click.echo("xaas: error: out of memory (input too large for its budget)", err=True)
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    entry()
