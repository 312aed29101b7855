"""Data files shipped inside the package: site configs, bundled apps, rule files, ground truth.

Why one helper: the same code runs from a checkout (editable install), from an installed wheel
and inside batch jobs on a cluster, so no module may guess where the repository is. Everything
the library reads at run time lives under ``xaas_parsl/`` and is found through
:mod:`importlib.resources`. The callers walk directories (``glob``, ``iterdir``) and hand paths to
CMake and Snakemake, so they need real file-system paths: a wheel is always installed unpacked,
and a zipped import (which would give no such path) is refused with a message.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from xaas_parsl.errors import XaasError


def data_path(*parts: str) -> Path:
    """The file-system path of ``xaas_parsl/<parts...>`` (it need not exist)."""
    root = resources.files("xaas_parsl")
    if not isinstance(root, Path):
        raise XaasError(f"xaas_parsl is imported from {root} (not a directory): install it "
                        "unpacked (pip install xaas-parsl) to use its site configs and apps")
    return root.joinpath(*parts)


#: ``<site>/site.yaml``, ``<site>/snakemake/<profile>/``, ``<site>/globus/``.
SITE_CONFIGS = data_path("site_configs")
#: ``<app>/app.yaml`` of the example applications (``xaas demo``, workflows).
BUNDLED_APPS = data_path("bundled_apps")
#: Snakemake rule files to ``include:`` (``xaas.smk``, ``flow.smk``, ``burst.smk``).
RULE_FILES = data_path("snakemake", "smk")
#: Hand-checked specialization points of real projects (spec-discovery scoring, app descriptors).
GROUND_TRUTH = data_path("spec", "ground_truth")
