#!/usr/bin/env python3
"""PBS Pro job status for Snakemake's cluster-generic executor: prints running/success/failed.

Why it exists: without a status command the cluster-generic plugin only watches marker files
that the job script touches when it ends, so a job PBS kills (walltime, node failure, ``qdel``)
is waited for forever. This asks PBS instead: ``qstat -x -f -F json JOBID`` (``-x`` includes
finished jobs), and maps the job state to what the plugin expects on one line.

The Aurora profile ships a verbatim copy of this file as ``pbs-status.py`` (Snakemake resolves a
profile value naming a file in the profile directory to its absolute path), so it must run under
any ``python3`` on a login node: standard library only.
"""

from __future__ import annotations

import json
import subprocess
import sys

RUNNING_STATES = {"Q", "R", "E", "H", "W", "T", "S", "U", "B", "M", "X"}


def status(job: dict[str, object]) -> str:
    """``running``, ``success`` or ``failed`` for one job entry of ``qstat -F json``."""
    state = str(job.get("job_state", ""))
    if state != "F":
        return "running" if state in RUNNING_STATES or not state else "failed"
    try:
        code = int(str(job.get("Exit_status", 1)))
    except ValueError:
        return "failed"
    return "success" if code == 0 else "failed"


def main(argv: list[str] | None = None) -> int:
    """Print the status of the job id given as the only argument; exit 2 when PBS cannot
    tell (the plugin then stops with its own error instead of guessing)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: pbs-status.py JOBID", file=sys.stderr)
        return 2
    job_id = args[0]
    try:
        proc = subprocess.run(["qstat", "-x", "-f", "-F", "json", job_id],
                              capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pbs-status.py: qstat failed: {exc}", file=sys.stderr)
        return 2
    if proc.returncode != 0:
        print(f"pbs-status.py: qstat {job_id}: {proc.stderr.strip()}", file=sys.stderr)
        return 2
    try:
        jobs = json.loads(proc.stdout).get("Jobs", {})
    except (ValueError, AttributeError):
        print(f"pbs-status.py: qstat {job_id}: output is not JSON", file=sys.stderr)
        return 2
    entry = jobs.get(job_id) or next(
        (v for k, v in jobs.items() if k.split(".")[0] == job_id.split(".")[0]), None)
    if not isinstance(entry, dict):
        print(f"pbs-status.py: qstat does not know job {job_id}", file=sys.stderr)
        return 2
    print(status(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
