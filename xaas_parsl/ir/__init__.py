"""IR containers: LLVM IR of every configuration of an app, built once and deduplicated, then
re-targeted, lowered, linked and installed for the configuration a machine needs. In the
default ``split`` mode the bundle also runs the target-independent half of the optimisation
pipeline, so a deployment runs only the target-dependent half and code generation.

``build_bundle`` (``xaas ir build``) writes the bundle, ``deploy`` (``xaas ir deploy``) lowers
one configuration, ``run_ir_job`` does both and runs the app's tests (``xaas demo --deploy ir``).
"""

from xaas_parsl.ir.build import build_bundle, explain
from xaas_parsl.ir.deploy import choose_config, deploy
from xaas_parsl.ir.job import run_ir_job

__all__ = ["build_bundle", "choose_config", "deploy", "explain", "run_ir_job"]
