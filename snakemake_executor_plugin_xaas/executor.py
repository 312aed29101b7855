"""The ``xaas`` executor: each Snakemake job becomes one Parsl task on the ``compute`` executor.

A job is Snakemake's own job command (``python -m snakemake --target-jobs ... --mode remote``),
split into an argument list and run by :func:`run_job` on a Parsl worker, with no shell in
between; its output goes to ``.snakemake/xaas/logs/<rule>/<jobid>.log``, shown when it fails.
The Parsl ``DataFlowKernel`` is private to the executor (not ``parsl.load``), so a workflow that
also uses Parsl itself is not disturbed, and it is cleaned up (blocks cancelled) on shutdown.

Account: a site that charges one (Alps, Aurora) needs ``--xaas-account`` or ``$XAAS_ACCOUNT``;
without it the executor refuses to start, before anything is submitted, with a line saying so.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from snakemake_interface_common.exceptions import WorkflowError
from snakemake_interface_executor_plugins.executors.base import (  # type: ignore[import-untyped]
    SubmittedJobInfo,
)
from snakemake_interface_executor_plugins.executors.remote import (  # type: ignore[import-untyped]
    RemoteExecutor,
)

RUN_DIR = Path(".snakemake") / "xaas"
SHELL_TOKENS = {"&&", "||", ";", "|", "&", ">", "<"}


def load_site_facts(site: str) -> Any:
    """The site's facts, or a ``WorkflowError`` naming the known sites."""
    from xaas_parsl.errors import XaasError
    from xaas_parsl.sites import load_site

    try:
        return load_site(site)
    except XaasError as exc:
        raise WorkflowError(f"xaas executor: {exc.one_line()}") from None


def run_job(argv: list[str], env: dict[str, str], cwd: str, log: str) -> int:
    """Run one Snakemake job command on a Parsl worker; its output goes to ``log``.

    Module-level and importing inside, so that Parsl serialises it by reference and a worker
    only needs this package installed.
    """
    import os
    import subprocess
    from pathlib import Path

    Path(log).parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.run(argv, cwd=cwd, env={**os.environ, **env}, stdout=out,
                              stderr=subprocess.STDOUT, check=False)
    return proc.returncode


def job_argv(command: str) -> list[str]:
    """Snakemake's job command as an argument list; a command that needs a shell is refused
    (the plugin's settings keep Snakemake from adding ``export``/``cd`` prefixes)."""
    argv = shlex.split(command)
    operators = SHELL_TOKENS.intersection(argv)
    if operators:
        raise WorkflowError(f"xaas executor: the job command needs a shell ({' '.join(operators)}"
                            f"), which this executor does not use: {command}")
    return argv


def choose_site(setting: str | None, workflow_config: Any) -> str:
    """``--xaas-site``, else the workflow's ``config['site']``, else ``local``; a conflict
    between the two is an error, because the rules took paths and resources from the config."""
    configured = workflow_config.get("site") if hasattr(workflow_config, "get") else None
    if setting and configured and str(configured) != setting:
        raise WorkflowError(f"--xaas-site {setting} but the workflow's config has site="
                            f"{configured}: also pass --config site={setting}")
    return setting or (str(configured) if configured else "local")


def parsl_config(settings: Any, site: str, run_dir: Path) -> Any:
    """The Parsl config the jobs run under: the site's, or a Globus Compute endpoint's."""
    from xaas_parsl.errors import XaasError
    from xaas_parsl.sites.facts import ACCOUNT_ENV

    try:
        if settings.endpoint:
            from xaas_parsl.sites.globus import globus_config

            return globus_config(settings.endpoint, run_dir=run_dir)
        facts = load_site_facts(site)
        account = settings.account or os.environ.get(ACCOUNT_ENV) or None
        if facts.account_required and not account:
            raise WorkflowError(f"site {site} needs an account to submit jobs: pass "
                                f"--xaas-account <project> or export {ACCOUNT_ENV}=<project>")
        from xaas_parsl.sites import config

        return config(site, account=account, nodes=settings.nodes,
                      partition=settings.partition, walltime=settings.walltime,
                      node_type=settings.node_type, max_blocks=settings.max_blocks,
                      run_dir=run_dir / "runinfo")
    except XaasError as exc:
        raise WorkflowError(f"xaas executor: {exc.one_line()}") from None


class Executor(RemoteExecutor):  # type: ignore[misc]
    """Snakemake jobs as Parsl tasks on the site's ``compute`` executor."""

    # A class default, not only an instance attribute: the base class starts the status thread
    # before ``__post_init__`` runs, and its first check must not find the attribute missing.
    poll_seconds: float = 0.5

    def __post_init__(self) -> None:
        from parsl.app.python import PythonApp
        from parsl.dataflow.dflow import DataFlowKernel

        settings = self.workflow.executor_settings
        self.poll_seconds: float = settings.poll_seconds
        self.site = choose_site(settings.site, getattr(self.workflow, "config", {}))
        workdir = Path(self.workflow.workdir_init)
        self.log_dir = workdir / RUN_DIR / "logs"
        self.dfk = DataFlowKernel(parsl_config(settings, self.site, workdir / RUN_DIR))
        self.app = PythonApp(  # type: ignore[no-untyped-call]  # Parsl leaves it unannotated
            run_job, data_flow_kernel=self.dfk, executors=["compute"])
        self.next_seconds_between_status_checks = self.poll_seconds
        where = f"Globus Compute endpoint {settings.endpoint}" if settings.endpoint \
            else f"site {self.site}"
        self.logger.info(f"xaas executor: jobs run through Parsl on {where}")

    def run_job(self, job: Any) -> None:
        """Submit the job's command as a Parsl task."""
        argv = job_argv(self.format_job_exec(job))
        name = f"group_{job.name}" if job.is_group() else f"rule_{job.name}"
        log = self.log_dir / name / f"{job.jobid}.log"
        future = self.app(argv, dict(self.envvars()), str(self.workflow.workdir_init), str(log))
        self.report_job_submission(SubmittedJobInfo(
            job, external_jobid=f"parsl-{future.tid}", aux={"future": future, "log": log}))

    async def check_active_jobs(self, active_jobs: list[Any]) -> AsyncGenerator[Any, None]:
        """Report finished tasks; yield those still running."""
        for info in active_jobs:
            future = info.aux["future"]
            if not future.done():
                yield info
                continue
            log = str(info.aux["log"])
            error = future.exception()
            if error is not None:
                self.report_job_error(info, msg=f"Parsl could not run the job: {error}",
                                      aux_logs=[log])
            elif future.result() != 0:
                self.report_job_error(info, msg=f"job exited with {future.result()} (log: {log})",
                                      aux_logs=[log])
            else:
                self.report_job_success(info)
        self.next_seconds_between_status_checks = self.poll_seconds

    def cancel_jobs(self, active_jobs: list[Any]) -> None:
        """Parsl cannot cancel a task once submitted (``AppFuture.cancel`` is not implemented);
        :meth:`shutdown`, which Snakemake calls next, cleans the kernel up, and that cancels the
        blocks (batch jobs) the tasks run in."""
        if active_jobs:
            self.logger.info(f"xaas executor: {len(active_jobs)} running job(s) end with their "
                             "Parsl blocks")

    def shutdown(self) -> None:
        """Stop status checks, then the Parsl kernel (its blocks are scaled in)."""
        super().shutdown()
        dfk = getattr(self, "dfk", None)
        if dfk is not None:
            dfk.cleanup()
