"""What the showcase's Snakefile computes in Python: resources per kind of node.

Discovery and deployment take ``XaasRules.resources`` of the XaaS steps; the timings and the
SeBS-Flow experiment take the tests' runtime without GPUs. A flare is different: its packs
must start together, so it is one job with one task per pack and ``granularity`` cores per task
(the Slurm plugin's ``tasks``/``cpus_per_task``), on as many nodes as those cores need.
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.burst import Placement
from xaas_parsl.showcase.config import ShowcaseConfig


def cpu_resources(rules: Any, step: str) -> dict[str, int | str]:
    """``rules.resources(step)`` without the GPUs: the showcase's timings, flare and SeBS-Flow
    calls run on the CPU (heat2d's matrix has its GPU option off), so they must not hold a GPU
    node's GPUs."""
    res: dict[str, int | str] = dict(rules.resources(step))
    res.pop("gpu", None)
    return res


def flare_resources(rules: Any, cfg: ShowcaseConfig) -> dict[str, int | str]:
    """Snakemake resources of the flare node on ``rules.site`` (an ``XaasRules``)."""
    placement = Placement.of(cfg.flare_size, cfg.flare_granularity)
    res = cpu_resources(rules, "tests")
    cores = rules.node.cores or 0
    per_node = max(1, cores // placement.granularity) if cores else placement.packs
    res["nodes"] = -(-placement.packs // per_node)
    res["tasks"] = placement.packs
    res["cpus_per_task"] = placement.granularity
    return res
