"""Resumable measurements: steps recorded once, a failed or stopped step is not recorded, and
SIGTERM stops the run and the tools it started (``xaas_parsl.resumable``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xaas_parsl.resumable import State, work_dir


def test_steps_run_once_and_failures_are_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    runs: list[str] = []
    state = State(path)
    state.phase("a", lambda: runs.append("a") or 1)
    with pytest.raises(ZeroDivisionError):
        state.phase("b", lambda: 1 / 0)
    again = State(path)
    assert again.phase("a", lambda: runs.append("again") or 2)["result"] == 1
    assert runs == ["a"] and "b" not in again.data
    marker = tmp_path / "made"
    again.phase("c", lambda: marker.write_text("x") and 3, marker)
    marker.unlink()  # what the step made is gone: it runs again
    again.phase("c", lambda: runs.append("c") or 4, marker)
    assert runs == ["a", "c"] and State(path).data["c"]["result"] == 4
    assert State(path, fresh=True).data == {}


def test_work_dir_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert work_dir("ir-gromacs") == tmp_path / "xaas-parsl" / "ir-gromacs"


SCRIPT = """
import subprocess, sys
from pathlib import Path
from xaas_parsl.resumable import State, Stopped, stop_on_sigterm
stop_on_sigterm()
state = State(Path(sys.argv[1]))
state.phase("quick", lambda: 1)
try:
    state.phase("long", lambda: subprocess.run(["sh", "-c", "sleep 60 & wait"]).returncode)
except Stopped:
    print("stopped", flush=True)
"""


def test_sigterm_stops_the_step_and_its_tools(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(path)], stdout=subprocess.PIPE,
                            text=True, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(Path.cwd())})
    deadline = time.monotonic() + 60
    while not (path.is_file() and "quick" in json.loads(path.read_text())):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    time.sleep(0.5)  # inside the long step
    os.kill(proc.pid, signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert "stopped" in out and proc.returncode == 0
    assert list(json.loads(path.read_text())) == ["quick"]
    for _ in range(50):  # the grandchild (as ninja's compilers) got the signal too
        left = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True)
        if not left.stdout.strip():
            break
        time.sleep(0.1)
    assert left.stdout.strip() == ""
