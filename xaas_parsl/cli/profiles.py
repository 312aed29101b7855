"""``xaas profiles``: Snakemake profiles generated from the site facts."""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.cli.output import writable_dir
from xaas_parsl.errors import XaasError
from xaas_parsl.snakemake import profiles as gen


@click.group("profiles")
def profiles_group() -> None:
    """Snakemake profiles per site (snakemake --profile alps|ault|aurora|local)."""


@profiles_group.command("install")
@click.option("--site", "sites", multiple=True, metavar="SITE",
              help="Install this site's profiles only (repeatable; default: every site).")
@click.option("--dest", type=click.Path(path_type=Path), callback=writable_dir, default=None,
              help="Profile directory (default: Snakemake's user config directory, "
                   "$XDG_CONFIG_HOME/snakemake or ~/.config/snakemake).")
@click.option("--force", is_flag=True, help="Replace profile files that were changed by hand.")
def install_cmd(sites: tuple[str, ...], dest: Path | None, force: bool) -> None:
    """Install the profiles so that `snakemake --profile NAME` works from any directory."""
    for item in gen.install(sites, dest, force):
        click.echo(f"{item.action:9} {item.profile.name:12} {item.path}")


@profiles_group.command("list")
def list_cmd() -> None:
    """Profiles, their site and executor plugin, and whether they are installed."""
    target = gen.user_profile_dir()
    for profile in gen.profiles():
        state = "installed" if not gen.stale_files(profile, target / profile.name) else "-"
        click.echo(f"{profile.name:12} {profile.site:8} {profile.executor or 'local':16} {state}")


@profiles_group.command("generate")
@click.argument("sites", nargs=-1)
@click.option("--check", is_flag=True,
              help="Only check that the committed files equal the generator's output.")
def generate_cmd(sites: tuple[str, ...], check: bool) -> None:
    """Write site_configs/<site>/snakemake/<profile>/ from each site.yaml."""
    changed = gen.generate(sites, check=check)
    if check and changed:
        raise XaasError(f"{len(changed)} profile file(s) differ from site.yaml, e.g. "
                        f"{changed[0]}: run xaas profiles generate")
    for path in changed:
        click.echo(f"wrote {path}")
