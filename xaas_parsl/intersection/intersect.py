"""Feature intersection: an app's specialization points ∩ a node's features → one configuration.

Pure function of (spec, system, policy): no I/O, so the CLI, Parsl apps and Snakemake rules
all call ``intersect`` and get the same answer for the same files.
"""

from __future__ import annotations

from xaas_parsl.discovery.model import SystemInfo
from xaas_parsl.intersection.choose_cpu import check_build_system, choose_compiler, choose_simd
from xaas_parsl.intersection.choose_libs import choose_blas, choose_fft, choose_gpu, choose_parallel
from xaas_parsl.intersection.context import Context
from xaas_parsl.intersection.flags import dedupe_args
from xaas_parsl.intersection.policy import Policy
from xaas_parsl.intersection.result import Intersection
from xaas_parsl.spec.model import SpecPoints


def intersect(spec: SpecPoints, system: SystemInfo, policy: Policy | None = None) -> Intersection:
    """Intersect ``spec`` with ``system`` and choose a configuration under ``policy``.

    Raises ``PolicyError`` when a pin or a forced feature cannot be satisfied.
    """
    ctx = Context(spec=spec, system=system, policy=policy or Policy())
    choose_simd(ctx)
    choose_gpu(ctx)
    choose_parallel(ctx)
    choose_fft(ctx)
    choose_blas(ctx)
    choose_compiler(ctx)
    check_build_system(ctx)
    ctx.choice.cmake_args = dedupe_args(ctx.choice.cmake_args)
    cpu = system.cpu
    return Intersection(
        available=ctx.available,
        excluded=ctx.excluded,
        warnings=ctx.warnings,
        choice=ctx.choice,
        system={
            "source": system.source,
            "hostname": system.hostname,
            "architecture": cpu.architecture,
            "model_name": cpu.model_name,
            "microarchitecture": cpu.microarchitecture,
            "gpus": [g.name for g in system.gpus],
        },
        spec=spec.source,
        policy=ctx.policy.to_dict(),
    )
