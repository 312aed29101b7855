"""``xaas images``: bootstrap the base images from the Debian mirror, prune deployed images."""

from __future__ import annotations

import click
from rich.console import Console

from xaas_parsl.cli.output import emit_json
from xaas_parsl.containers.images import bootstrap
from xaas_parsl.containers.prune import prune


@click.group("images")
def images_group() -> None:
    """Base images without a registry (debootstrap + import), pruning, export to sites."""


@images_group.command("bootstrap")
@click.option("--mirror", default=None,
              help="Debian mirror URL (default: the one in /etc/apt/sources.list.d).")
@click.option("--force", is_flag=True, help="Run debootstrap again even if cached.")
@click.option("--arch", default=None, metavar="ARCH",
              help="ISA family: this machine's (default) or aarch64/arm64 (the runtime image "
                   "only, made with mmdebstrap under qemu-user; see scripts/binfmt-qemu.sh).")
@click.option("--cuda", is_flag=True,
              help="Also the CUDA toolchain image (the cuda extra's wheels on the toolchain "
                   "image; `xaas container ir build` of a CUDA configuration makes it too).")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def bootstrap_cmd(mirror: str | None, force: bool, arch: str | None, cuda: bool,
                  as_json: bool) -> None:
    """Build (or reuse) the toolchain and runtime base images in the Docker engine."""
    with Console(stderr=True).status("Bootstrapping the base images (debootstrap from the "
                                     "Debian mirror: minutes the first time, cached after)…"):
        done = bootstrap(mirror, force, arch)
        if cuda:
            from xaas_parsl.containers.cuda_image import ensure_cuda_toolchain
            from xaas_parsl.containers.engine import connect

            row = ensure_cuda_toolchain(connect())
            done.append({**row, "debootstrap_s": 0.0})
    if as_json:
        emit_json(done, None)
        return
    for row in done:
        click.echo(f"{row['image']}: {row['action']} ({row['seconds']} s"
                   + (f", debootstrap {row['debootstrap_s']} s" if row["debootstrap_s"] else "")
                   + ")")


@images_group.command("prune")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.option("--app", default=None, help="Only images of this app (label org.xaas.app).")
@click.option("--json", "as_json", is_flag=True, help="Print the removed images as JSON.")
def prune_cmd(dry_run: bool, app: str | None, as_json: bool) -> None:
    """Remove deployed images no longer referenced (superseded, or whose source is gone)."""
    removed = prune(dry_run=dry_run, app=app)
    if as_json:
        emit_json(removed, None)
        return
    verb = "would remove" if dry_run else "removed"
    for row in removed:
        click.echo(f"{verb} {row['image']} ({row['reason']})")
    click.echo(f"{len(removed)} image(s) {verb}")


try:  # `xaas images export` lives with the site runtimes (cli/images_export.py)
    from xaas_parsl.cli.images_export import export_cmd
except ImportError:  # pragma: no cover - not present in every checkout
    pass
else:
    images_group.add_command(export_cmd)
