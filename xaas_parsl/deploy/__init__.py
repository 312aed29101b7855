"""One deployment pipeline behind every door (CLI, Parsl apps, Snakemake rules, showcase,
container job): :func:`drive` a :class:`DeployRequest`, get a :class:`DeployResult`.

Callers reach the driver as ``pipeline.drive`` (the module attribute), so a test that patches
``xaas_parsl.deploy.pipeline.drive`` sees every door's call. See ``docs/deploy.md``.
"""

from xaas_parsl.deploy.model import (
    PIPELINE,
    DeployRequest,
    DeployResult,
    Mode,
    Runtime,
    Stage,
    mode_of,
)

__all__ = ["PIPELINE", "DeployRequest", "DeployResult", "Mode", "Runtime", "Stage", "mode_of"]
