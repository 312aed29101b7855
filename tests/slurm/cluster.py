"""Talking to the Slurm cluster of ``scripts/start-slurm.sh`` from tests: is it up, which site it
emulates, what ``sacct`` and the SPANK plugin recorded. Every wait is bounded."""

from __future__ import annotations

import contextlib
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


NS_PREFIX = "xslurm-"  # scripts/slurm/common.sh: one network namespace per node


def node_pids(node: str) -> list[int]:
    """Every process "on" ``node``: those in its network namespace (slurmd, its job steps and
    everything they started)."""
    proc = subprocess.run(["ip", "netns", "pids", NS_PREFIX + node], capture_output=True,
                          text=True, timeout=10, check=False)
    return [int(p) for p in proc.stdout.split()]


def flare_processes(node: str) -> list[str]:
    """Command lines of the flare packs and workers (``python -m xaas_parsl.burst``) on
    ``node``; forked workers carry their pack's command line."""
    found = []
    for pid in node_pids(node):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue   # gone meanwhile
        if argv[1:3] == [b"-m", b"xaas_parsl.burst"]:
            found.append(f"{pid}: {b' '.join(argv).decode(errors='replace')}")
    return found


def kill_node(node: str) -> None:
    """Lose ``node`` as a cluster loses one: SIGKILL every process on it (slurmd, its
    slurmstepd and the tasks). ``scripts/start-slurm.sh`` brings it back."""
    for pid in node_pids(node):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
