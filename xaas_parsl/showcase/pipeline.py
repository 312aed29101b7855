"""The Parsl door: the showcase DAG as Parsl apps on one site config (``xaas showcase``).

discover (compute) → choose (login) → deploy (compute) → measure (compute) → flare (packs on
compute) → flow (its own process: a SeBS-Flow experiment loads its own Parsl DFK, which cannot
live beside this one) → report (driver). The nodes run one after another: on a 2-core node the
kernel timings, the flare's gang start and the flow benchmark must not share the cores, and
the Snakefile gives the same nodes all cores of a node for the same reason.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from parsl import bash_app, python_app
from parsl.executors.errors import BadStateException

from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.showcase.config import ShowcaseConfig
from xaas_parsl.showcase.report import STEPS, write_report
from xaas_parsl.sites.facts import ACCOUNT_ENV, load_site


def step_files(out_dir: str | Path) -> dict[str, Path]:
    """Where each node's raw JSON goes (the same layout as the Snakefile's)."""
    return {name: Path(out_dir) / "steps" / f"{name}.json" for name in STEPS}


@python_app(executors=["compute"])
def compute_node(name: str, args: tuple[Any, ...], inputs: list[Any] = []) -> str:  # noqa: B006
    """Run ``steps.<name>(*args)`` on a compute worker (``inputs``: futures to wait for).

    SIGTERM (how Parsl ends a worker when the run is interrupted) raises in the step, so its
    cleanup starts: the deploy step begins removing its build container instead of dying
    at once (best effort: a shutting-down pool kills its workers after 1 s; see
    docs/robustness.md)."""
    from xaas_parsl.cli import signals
    from xaas_parsl.showcase import steps

    signals.install()
    getattr(steps, name)(*args)
    return name


@python_app(executors=["login"])
def login_node(name: str, args: tuple[Any, ...], inputs: list[Any] = []) -> str:  # noqa: B006
    """Run ``steps.<name>(*args)`` on the login executor."""
    from xaas_parsl.showcase import steps

    getattr(steps, name)(*args)
    return name


@bash_app(executors=["compute"])
def cli_node(argv: list[str], inputs: list[Any] = [], stdout: str | None = None,  # noqa: B006
             stderr: str | None = None) -> str:
    """A step through the ``xaas showcase step`` CLI, in its own process."""
    import shlex as _shlex

    return _shlex.join(argv)


def step_argv(name: str, cfg: ShowcaseConfig, out: Path, **paths: str | Path) -> list[str]:
    """The ``xaas showcase step`` command line of a node (also what the Snakefile runs)."""
    argv = [sys.executable, "-m", "xaas_parsl.cli.main", "showcase", "step", name,
            "--settings", json.dumps(cfg.to_dict(), separators=(",", ":")), "-o", str(out)]
    for key, value in paths.items():
        argv += [f"--{key}", str(value)]
    return argv


def run_parsl(cfg: ShowcaseConfig, out_dir: str | Path) -> dict[str, Any]:
    """Run the whole showcase on ``cfg.site``'s Parsl config; the report."""
    from xaas_parsl.sites.session import parsl_session

    site = load_site(cfg.site)
    if site.account_required and not os.environ.get(ACCOUNT_ENV):
        raise InputError(f"site {site.name} needs an account to submit jobs: export "
                         f"{ACCOUNT_ENV}=<project>", cfg.site)
    out = Path(out_dir).resolve()
    files = step_files(out)
    files["discover"].parent.mkdir(parents=True, exist_ok=True)
    builds = Path(cfg.builds).resolve() if cfg.builds else out / "builds"
    with parsl_session(cfg.site, run_dir=out / "runinfo"):
        found = compute_node("discover", (str(files["discover"]),))
        chose = login_node("choose", (str(files["discover"]), cfg, str(files["choose"])),
                           inputs=[found])
        deployed = compute_node("deploy", (str(files["choose"]), str(files["discover"]), cfg,
                                           str(builds), str(files["deploy"])), inputs=[chose])
        measured = compute_node("measure", (str(files["deploy"]), cfg, str(files["measure"])),
                                inputs=[deployed])
        for future in (found, chose, deployed, measured):  # the first failure, as raised
            try:
                future.result()
            except BadStateException as exc:  # e.g. the scheduler refused the block
                raise ToolError(f"site {cfg.site}: the compute executor failed: "
                                f"{exc}") from None
        from xaas_parsl.showcase import steps

        steps.flare(files["deploy"], cfg, files["flare"], executor="compute")
        argv = step_argv("flow", cfg, files["flow"], work=out / "flow")
        log = str(out / "steps" / "flow.log")
        cli_node(argv, stdout=log, stderr=log).result()
    return write_report({k: str(v) for k, v in files.items()}, cfg, out, "parsl")


__all__ = ["run_parsl", "shlex", "step_argv", "step_files"]
