#!/usr/bin/env python3
"""A fake PBS Pro for tests: ``qsub``/``qstat``/``qdel``, one script named by argv[0].

Why: Debian packages no PBS (Slurm is real: scripts/start-slurm.sh, tests/slurm), but the
cluster-generic plugin's submission code and our PBS status script should still be exercised end
to end. Each command appends ``{"tool": ..., "argv": [...]}`` to ``$FAKE_SCHED_DIR/calls.jsonl``
(what the tests pin), and ``qsub SCRIPT`` runs the job script at once, synchronously, on this
machine; its exit code becomes the state that ``qstat`` reports. Nothing else of a scheduler is
imitated (no queueing, no resource limits, no node allocation).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

STATE = Path(os.environ.get("FAKE_SCHED_DIR", "/tmp/fake-sched"))


def record(tool: str, argv: list[str]) -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    with (STATE / "calls.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"tool": tool, "argv": argv, "cwd": os.getcwd()}) + "\n")


def new_job_id() -> int:
    """A unique id even for concurrent submissions (exclusive file creation)."""
    n = 1000
    while True:
        n += 1
        try:
            os.close(os.open(STATE / f"job-{n}.id", os.O_CREAT | os.O_EXCL))
            return n
        except FileExistsError:
            continue


def option(argv: list[str], *names: str) -> str | None:
    for i, arg in enumerate(argv):
        for name in names:
            if arg == name and i + 1 < len(argv):
                return argv[i + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg[len(name) + 1:]
    return None


def finish(job: int, name: str, code: int) -> None:
    state = "COMPLETED" if code == 0 else "FAILED"
    (STATE / f"job-{job}.json").write_text(json.dumps({"name": name, "state": state,
                                                       "exit": code}))


def jobs() -> dict[str, dict[str, object]]:
    return {p.stem.removeprefix("job-"): json.loads(p.read_text())
            for p in STATE.glob("job-*.json")}


def qsub(argv: list[str]) -> int:
    job = new_job_id()
    name = option(argv, "-N") or "job"
    log = option(argv, "-o") or f"{name}.o{job}"
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PBS_JOBID=f"{job}.fake-pbs")
    with open(log, "ab") as out:
        code = subprocess.run(["/bin/sh", argv[-1]], env=env, stdout=out,
                              stderr=subprocess.STDOUT, check=False).returncode
    finish(job, name, code)
    print(f"{job}.fake-pbs")
    return 0


def qstat(argv: list[str]) -> int:
    wanted = argv[-1]
    info = jobs().get(wanted.split(".")[0])
    if info is None:
        print(f"qstat: Unknown Job Id {wanted}", file=sys.stderr)
        return 153
    print(json.dumps({"Jobs": {wanted: {"job_state": "F", "Exit_status": info["exit"]}}}))
    return 0


def qdel(argv: list[str]) -> int:
    return 0


TOOLS = {"qsub": qsub, "qstat": qstat, "qdel": qdel}


def main() -> int:
    tool = Path(sys.argv[0]).name
    record(tool, sys.argv[1:])
    return TOOLS[tool](sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
