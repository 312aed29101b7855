"""What the showcase's Snakefile computes in Python: the flare node's resources.

The other nodes take ``XaasRules.resources`` of the matching XaaS step (discovery, deployment,
tests). A flare is different: its packs must start together, so it is one job with one task per
pack and ``granularity`` cores per task (the Slurm plugin's ``tasks``/``cpus_per_task``), on as
many nodes as those cores need.
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.burst import Placement
from xaas_parsl.showcase.config import ShowcaseConfig


def flare_resources(rules: Any, cfg: ShowcaseConfig) -> dict[str, int | str]:
    """Snakemake resources of the flare node on ``rules.site`` (an ``XaasRules``)."""
    placement = Placement(cfg.flare_size, min(cfg.flare_granularity, cfg.flare_size))
    res: dict[str, int | str] = dict(rules.resources("tests"))
    cores = rules.node.cores or 0
    per_node = max(1, cores // placement.granularity) if cores else placement.packs
    res["nodes"] = -(-placement.packs // per_node)
    res["tasks"] = placement.packs
    res["cpus_per_task"] = placement.granularity
    return res
