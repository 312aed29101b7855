"""``xaas intersect``: an app's specialization points ∩ a node, and the chosen configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import click

from xaas_parsl.cli.output import emit_json, writable_file
from xaas_parsl.discovery.load import load_system
from xaas_parsl.intersection import Policy, intersect, load_policy
from xaas_parsl.intersection.policy import parse_assignments
from xaas_parsl.spec import load_spec

F = TypeVar("F", bound=Callable[..., Any])


def policy_options(func: F) -> F:
    """The policy flags shared by ``intersect`` and ``demo``."""
    for option in reversed([
        click.option("--policy", "policy_file", type=click.Path(path_type=Path), default=None,
                     help="Policy YAML/JSON (prefer, pin, use_gpu, use_mpi, fma_units)."),
        click.option("--prefer", multiple=True, metavar="SECTION=V[,V]",
                     help="Soft wish, e.g. gpu_backend=HIP or fft=fftw3 (repeatable)."),
        click.option("--pin", multiple=True, metavar="SECTION=V",
                     help="Hard requirement, e.g. simd=AVX2_256; error if impossible."),
        click.option("--gpu/--no-gpu", "use_gpu", default=None,
                     help="Force or forbid a GPU build (default: GPU when usable)."),
        click.option("--mpi/--no-mpi", "use_mpi", default=None,
                     help="Force or forbid MPI (default: MPI when the node has it)."),
    ]):
        func = option(func)
    return func


def build_policy(
    policy_file: Path | None,
    prefer: tuple[str, ...],
    pin: tuple[str, ...],
    use_gpu: bool | None,
    use_mpi: bool | None,
) -> Policy:
    """Combine a policy file with command-line overrides (the command line wins)."""
    policy = load_policy(policy_file) if policy_file else Policy()
    pins = {k: v[0] for k, v in parse_assignments(pin, "pin").items()}
    return replace(
        policy,
        prefer={**policy.prefer, **parse_assignments(prefer, "prefer")},
        pin={**policy.pin, **pins},
        use_gpu=policy.use_gpu if use_gpu is None else use_gpu,
        use_mpi=policy.use_mpi if use_mpi is None else use_mpi,
    )


@click.command("intersect")
@click.option("--spec", "spec_file", required=True, type=click.Path(path_type=Path),
              help="Specialization-points JSON of the application.")
@click.option("--system", "system_file", required=True, type=click.Path(path_type=Path),
              help="System JSON (upstream xaas or native format).")
@policy_options
@click.option("-o", "--output", type=click.Path(path_type=Path),
              callback=writable_file, default=None)
def intersect_cmd(
    spec_file: Path,
    system_file: Path,
    policy_file: Path | None,
    prefer: tuple[str, ...],
    pin: tuple[str, ...],
    use_gpu: bool | None,
    use_mpi: bool | None,
    output: Path | None,
) -> None:
    """Intersect SPEC with SYSTEM and print the usable entries plus the chosen configuration."""
    spec = load_spec(spec_file)
    system = load_system(system_file)
    policy = build_policy(policy_file, prefer, pin, use_gpu, use_mpi)
    emit_json(intersect(spec, system, policy).to_dict(), output)
