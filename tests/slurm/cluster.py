"""Talking to the Slurm cluster of ``scripts/start-slurm.sh`` from tests: is it up, which site it
emulates, what ``sacct`` and the SPANK plugin recorded. Every wait is bounded."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.conftest import REPO

STATE = Path(os.environ.get("XAAS_SLURM_STATE", "/var/lib/xaas-slurm"))
SPANK_RECORDS = STATE / "spank" / "records.jsonl"
START = REPO / "scripts" / "start-slurm.sh"
ACCOUNT = "xaas-test"  # start-slurm.sh's default account
T = TypeVar("T")


def slurm(*args: str, timeout: float = 30, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> str:
    """Run a Slurm command; its stdout (raises on a non-zero exit)."""
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout,
                          check=False, cwd=cwd, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def running_site() -> str | None:
    """The ClusterName of the running controller, or None when none answers."""
    try:
        out = slurm("scontrol", "show", "config", timeout=15)
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "ClusterName":
            return value.strip()
    return None


def nodes() -> dict[str, str]:
    """Node name -> state (``idle``, ``alloc``, ``down*``, ...)."""
    out = slurm("sinfo", "-h", "-N", "-o", "%N %t")
    return dict(line.split() for line in out.splitlines())


def wait_until(what: str, probe: Callable[[], T | None], timeout: float,
               interval: float = 0.5) -> T:
    """Poll ``probe`` until it returns something truthy; fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


def sacct(job: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The accounting records of ``job`` (allocation first, then its steps)."""
    out = slurm("sacct", "-n", "-P", "-j", job,
                "-o", ",".join(fields))
    return [dict(zip(fields, line.split("|"), strict=True)) for line in out.splitlines()]


def job_record(job: str, fields: tuple[str, ...], until_state: tuple[str, ...] = (),
               timeout: float = 30) -> dict[str, str]:
    """The allocation's record once the database has it (and, if asked, one of the states)."""
    def probe() -> dict[str, str] | None:
        rows = [r for r in sacct(job, (*fields, "JobID", "State")) if r["JobID"] == job]
        if rows and all(rows[0][f] for f in fields) and (
                not until_state or rows[0]["State"].split()[0] in until_state):
            return rows[0]
        return None
    return wait_until(f"sacct record of job {job}", probe, timeout)


def spank_records(job: str) -> list[dict[str, object]]:
    """What the SPANK plugin recorded for ``job``'s steps (one dict per step and node)."""
    if not SPANK_RECORDS.exists():
        return []
    entries = [json.loads(line) for line in SPANK_RECORDS.read_text().splitlines() if line]
    return [e for e in entries if str(e["job"]) == job]
