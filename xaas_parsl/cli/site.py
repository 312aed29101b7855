"""``xaas site``: inspect site facts and the batch scripts their Parsl configs would submit."""

from __future__ import annotations

from dataclasses import asdict

import click

from xaas_parsl.cli.output import emit_json
from xaas_parsl.sites.facts import known_sites, load_site


@click.group("site")
def site_group() -> None:
    """Site configurations (site_configs/<site>/site.yaml)."""


@site_group.command("list")
def list_cmd() -> None:
    """The known sites and their descriptions."""
    for name in known_sites():
        click.echo(f"{name:8} {load_site(name).description}")


@site_group.command("show")
@click.argument("site")
def show_cmd(site: str) -> None:
    """A site's facts as JSON."""
    facts = asdict(load_site(site))
    facts["path"] = str(facts["path"])
    emit_json(facts, None)


@site_group.command("script")
@click.argument("site")
@click.option("--account", default=None, help="Account/project to charge (or $XAAS_ACCOUNT).")
@click.option("--nodes", type=int, default=1, show_default=True)
@click.option("--partition", "--queue", "partition", default=None,
              help="Partition (Slurm) or queue (PBS); default from site.yaml.")
@click.option("--walltime", default=None, help="HH:MM:SS (default 00:30:00).")
@click.option("--node-type", default=None, help="Node type, on sites that have several.")
def script_cmd(site: str, account: str | None, nodes: int, partition: str | None,
               walltime: str | None, node_type: str | None) -> None:
    """Print the batch script and submit command Parsl's provider would use for one block."""
    from xaas_parsl.sites.scripts import render_submission  # imports Parsl: only when needed

    sub = render_submission(site, account=account, nodes=nodes, partition=partition,
                            walltime=walltime, node_type=node_type)
    click.echo(f"# submit: {sub.command}")
    click.echo(sub.script, nl=False)
