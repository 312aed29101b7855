"""``xaas images export IMAGE --for sarus|apptainer|enroot|edf``: ship an image to a site.

A thin wrapper over ``xaas_parsl.containers.export.export_image``; the ``images`` group that
holds it lives in the Docker-engine CLI module (``export_cmd`` is attached there).
"""

from __future__ import annotations

from pathlib import Path

import click

from xaas_parsl.cli.output import writable_dir
from xaas_parsl.containers.export import ENGINES, TARGETS, export_image, file_stem, saver_for


@click.command("export")
@click.argument("image")
@click.argument("command", nargs=-1)
@click.option("--for", "target", type=click.Choice(TARGETS), required=True,
              help="The site tool that will import the image.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_dir, default=None,
              help="Output directory (default: ./<image>-<target>); replaced atomically.")
@click.option("--engine", type=click.Choice(ENGINES), default="auto", show_default=True,
              help="Where the image is: the Docker engine, Podman, or whichever has it.")
@click.option("--podman-root", type=click.Path(path_type=Path), default=None,
              help="A private Podman store (vfs) instead of the default one.")
@click.option("--site", default=None, help="Site whose launcher/GPUs the run line uses "
              "(alps, ault, aurora or a site.yaml).")
@click.option("--node-type", default=None, help="Node type, on sites that have several.")
@click.option("--site-dir", default=None,
              help="Absolute directory the files will have on the site (default: -o's path).")
def export_cmd(image: str, command: tuple[str, ...], target: str, output: Path | None,
               engine: str, podman_root: Path | None, site: str | None,
               node_type: str | None, site_dir: str | None) -> None:
    """Write what a site's container tool imports for IMAGE, with the commands to run there.

    sarus: docker-archive tar (sarus load); apptainer: tar + .def recipe (apptainer build);
    enroot: squashfs image (enroot create / srun --container-image); edf: squashfs + EDF .toml
    (srun --environment). COMMAND (after --) is what the README's run line starts; default:
    the image's entrypoint and cmd.
    """
    facts = None
    if site is not None:
        from xaas_parsl.sites.facts import load_site

        facts = load_site(site)
        facts.node_type(node_type)  # an unknown node type fails before any work
    out = output or Path(f"{file_stem(image)}-{target}")
    save = saver_for(engine, image, podman_root)
    result = export_image(image, target, out, save, site=facts, node_type=node_type,
                          site_dir=site_dir, command=command)
    click.echo(f"wrote {result.directory}: {', '.join(result.files)}", err=True)
    for line in result.commands:
        click.echo(line)
