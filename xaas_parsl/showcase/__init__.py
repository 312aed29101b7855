"""The showcase: XaaS deployment, a burst flare and a SeBS-Flow benchmark in one DAG.

Two doors run the same step functions (``xaas_parsl.showcase.steps``): the Snakemake workflow
``workflows/showcase/Snakefile`` (one rule per step, through ``xaas showcase step``) and the
Parsl script ``workflows/showcase/showcase.py`` / ``xaas showcase`` (``pipeline.run_parsl``).
Every step writes one JSON file of *raw* data; ``report`` turns them into ``report.json``,
plots and ``summary.md``, and ``figures`` recomputes every figure from the raw data alone, so
a report can be checked without trusting the code that wrote it. See ``docs/showcase.md``.
"""

from xaas_parsl.showcase.config import ShowcaseConfig, load_config

__all__ = ["ShowcaseConfig", "load_config"]
