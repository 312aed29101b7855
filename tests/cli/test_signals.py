"""Ctrl-C (SIGINT to the whole process group) and SIGTERM (to the CLI alone) during long
commands, run for real as subprocesses in their own session: ``xaas`` exits within 10 s with
130/143 and one ``xaas: interrupted`` line, and no process of its session is left."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest

from tests.conftest import HEAT2D, REPO
from xaas_parsl.errors import InputError
from xaas_parsl.ir.store import Store
from xaas_parsl.locks import locked_dir

SLOW_FUNCTION = '''
import pathlib, time
def handler(payload):
    pathlib.Path(payload["marker"]).write_text("started")
    time.sleep(120)
    return payload
def work(ctx, paths):
    pathlib.Path(paths[0]).with_name(f"started-{ctx.rank}").write_text("started")
    time.sleep(120)
    return 1
'''


def session_processes(sid: int) -> list[str]:
    """``pid: command line`` of the live processes of session ``sid`` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                cmd = (entry / "cmdline").read_text().replace("\0", " ")[:120]
                found.append(f"{entry.name}: {cmd}")
        except (OSError, IndexError, ValueError):
            continue
    return found


Ready = Path | Callable[[int], bool] | None


def ready(pid: int, started: Ready) -> bool:
    """``started`` exists (a path) or says so (a callable given the CLI's pid), or (None)
    the CLI has started a child process: it is past its imports and in the long phase (a
    loaded machine needs seconds to import)."""
    if isinstance(started, Path):
        return started.exists()
    if started is not None:
        return started(pid)
    try:
        return bool(psutil.Process(pid).children(recursive=True))
    except psutil.Error:
        return False


def kill_session(pid: int) -> None:
    """SIGKILL every process of session ``pid``: never leave a test's processes behind."""
    for line in session_processes(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)


def interrupt(argv: list[str], how: str, started: Ready, cwd: Path, settle: float = 3.0,
              command: list[str] | None = None) -> tuple[int, str, float, list[str]]:
    """Start ``xaas argv`` (or ``command``), wait until it is :func:`ready` and ``settle`` s
    more, deliver the signal; returns (exit code, stderr, seconds to exit, processes left in
    its session)."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}:{cwd}"}
    proc = subprocess.Popen(command or [sys.executable, "-m", "xaas_parsl.cli.main", *argv],
                            cwd=cwd, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ready(proc.pid, started) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.2)
        time.sleep(settle)
        assert proc.poll() is None, proc.communicate()[1]
        begin = time.monotonic()
        if how == "SIGINT":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"still running 30 s after {how}; stderr: {exc.stderr!r}; "
                                 f"where it is:\n{stacks(proc.pid)}") from None
        seconds = time.monotonic() - begin
        time.sleep(1.0)
        return proc.returncode, err, seconds, session_processes(proc.pid)
    finally:
        kill_session(proc.pid)
        proc.wait()


def stacks(pid: int) -> str:
    """The Python stacks of ``pid`` (``py-spy dump`` when installed): where it hangs."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        return "(no py-spy)"
    done = subprocess.run([str(spy), "dump", "--pid", str(pid)], capture_output=True,
                          text=True, timeout=60, check=False)
    return done.stdout + done.stderr


def check(result: tuple[int, str, float, list[str]], how: str) -> None:
    code, err, seconds, left = result
    assert code == (130 if how == "SIGINT" else 143), err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "xaas: interrupted", err
    assert seconds < 10, seconds
    assert left == [], left


STUCK_CLEANUP = """
import atexit, subprocess, sys, time
from pathlib import Path
from xaas_parsl.cli import signals
from xaas_parsl.cli.main import _interrupted
signals.install(deadline=True)
child = subprocess.Popen(["sleep", "300"])
atexit.register(time.sleep, 300)     # a library's exit cleanup that never ends
try:
    Path(sys.argv[1]).write_text("started")
    time.sleep(300)
except KeyboardInterrupt as exc:
    sys.exit(_interrupted(exc))
"""


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_an_interrupted_cli_whose_cleanup_hangs_still_exits_in_time(how: str,
                                                                   tmp_path: Path) -> None:
    """The watchdog (``signals.DEADLINE_S``): CI once saw ``flow run`` and ``burst flare``
    still running 30 s after Ctrl-C on a loaded machine; whatever holds the exit (here an
    ``atexit`` handler that sleeps), the CLI leaves with the interrupt's code and one line,
    and its child is gone."""
    (tmp_path / "stuck.py").write_text(STUCK_CLEANUP)
    marker = tmp_path / "started"
    code, err, seconds, left = interrupt(
        [], how, marker, tmp_path, settle=0.0,
        command=[sys.executable, str(tmp_path / "stuck.py"), str(marker)])
    assert code == (130 if how == "SIGINT" else 143), err
    assert err.splitlines() == ["xaas: interrupted"], err
    assert 5 < seconds < 10, seconds     # held by the atexit sleep until the deadline
    assert left == [], left


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_flow_run(how: str, tmp_path: Path) -> None:
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "slow.py").write_text(SLOW_FUNCTION)
    (tmp_path / "wf.json").write_text(
        '{"root": "s", "states": {"s": {"type": "task", "func_name": "slow"}}}')
    marker = tmp_path / "started"
    (tmp_path / "in.json").write_text(f'{{"marker": "{marker}"}}')
    check(interrupt(["flow", "run", "wf.json", "--input", "in.json", "--functions", "fns",
                     "-q", "--workdir", "wd"], how, marker, tmp_path), how)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_burst_flare(how: str, tmp_path: Path) -> None:
    (tmp_path / "slowflare.py").write_text(SLOW_FUNCTION)
    (tmp_path / "input").write_text("x")
    check(interrupt(["burst", "flare", "slowflare:work", "--size", "4", "--granularity", "2",
                     "--input", "input", "--output", "out.json"], how,
                    tmp_path / "started-0", tmp_path, settle=0.5), how)
    assert not (tmp_path / "out.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_burst_run(how: str, tmp_path: Path) -> None:
    check(interrupt(["burst", "run", "--app", "pagerank", "--size", "64", "--granularity",
                     "1"], how, None, tmp_path, settle=2.0), how)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_ir_build_then_resume(how: str, tmp_path: Path) -> None:
    check(interrupt(["ir", "build", str(HEAT2D / "app.yaml"), "-o", "b", "--configs",
                     "None"], how, None, tmp_path, settle=4.0), how)
    rerun = subprocess.run([sys.executable, "-m", "xaas_parsl.cli.main", "ir", "build",
                            str(HEAT2D / "app.yaml"), "-o", "b", "--configs", "None"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
    assert rerun.returncode == 0, rerun.stderr
    assert not list((tmp_path / "b" / "store").glob(".tmp-*"))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_flow_bench(how: str, tmp_path: Path) -> None:
    check(interrupt(["flow", "bench", "6200", "--reps", "50", "-o", "bench", "--no-metrics"],
                    how, None, tmp_path, settle=8.0), how)


def test_second_ir_build_into_one_directory_is_refused(tmp_path: Path) -> None:
    from xaas_parsl.cli.main import main

    with locked_dir(tmp_path / "b", "ir build"):
        assert main(["ir", "build", str(HEAT2D / "app.yaml"), "-o",
                     str(tmp_path / "b")]) == 1
    with pytest.raises(InputError, match="another ir build is using this directory"), \
            locked_dir(tmp_path / "c", "ir build"), locked_dir(tmp_path / "c", "ir build"):
        pass


def test_temporary_ir_files_of_a_killed_build_are_swept(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    stale = store.temp_path("unit")
    stale.write_bytes(b"")  # what SIGKILL between create and rename leaves
    kept = store.path("0" * 64)
    kept.write_bytes(b"ir")
    assert store.sweep() == [stale]
    assert sorted(p.name for p in store.root.iterdir()) == [kept.name]


def pool_manager(pid: int) -> psutil.Process | None:
    """The HTEX worker pool manager in the session of ``pid`` (its workers are spawned
    ``multiprocessing`` children, without the module name in their command line)."""
    for line in session_processes(pid):
        if "parsl.executors.high_throughput.process_worker_pool" in line:
            return psutil.Process(int(line.split(":", 1)[0]))
    return None


@pytest.mark.slow
def test_flow_bench_notices_a_killed_worker_pool_manager(tmp_path: Path) -> None:
    """SIGKILL to the worker pool manager mid-benchmark: the command stops at once with one
    line naming the dead pool (not 5,000 failed repetitions, nor one timeout per
    repetition), and the workers the manager orphaned are ended too."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "xaas_parsl.cli.main", "flow", "bench",
                             "6200", "--mode", "sequential", "--reps", "5000", "--timeout",
                             "300", "-o", "b", "--no-metrics"], cwd=tmp_path, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        runs = tmp_path / "b" / "runs.json"
        while not runs.exists() and time.monotonic() < deadline:  # past the first repetition
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.5)
        manager = pool_manager(proc.pid)
        assert manager is not None, session_processes(proc.pid)
        manager.kill()
        begin = time.monotonic()
        _, err = proc.communicate(timeout=120)
        seconds = time.monotonic() - begin
        time.sleep(1.0)
        left = session_processes(proc.pid)
    finally:
        kill_session(proc.pid)
        proc.wait()
    lines = [line for line in err.splitlines() if line.strip()]
    assert proc.returncode == 1 and "Traceback" not in err, err
    # the repetition in flight may log (one line each) that a state failed and its catch ran
    assert all(line.startswith("WARNING xaas_parsl.flow.engine: ") for line in lines[:-1]), err
    assert [ln for ln in lines if ln.startswith("xaas: error: ")] == lines[-1:], err
    assert "Parsl executor compute failed: its worker pool died (block 0, exit code 137: " \
           "killed by SIGKILL); stopped after" in lines[-1], err
    assert seconds < 60, seconds  # the per-call timeout is 300 s
    assert left == [], left


SHOWCASE_SMALL = {"deploy": "native", "grid": 64, "steps": 20, "rounds": 1, "flare_size": 2,
                  "flare_granularity": 2, "flare_grid": 32, "flare_steps": 5, "flow_reps": 1}


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_showcase_then_resume(how: str, tmp_path: Path) -> None:
    """Interrupted while its compute worker builds the IR bundle (clang running in the
    session), then run again: the rerun reuses the build directory and writes the report."""
    import yaml

    config = tmp_path / "showcase.yaml"
    config.write_text(yaml.safe_dump({**SHOWCASE_SMALL, "builds": str(tmp_path / "builds")}))
    argv = ["showcase", "--config", str(config), "-o", "out"]

    def compiling(pid: int) -> bool:
        return any("clang" in line for line in session_processes(pid))

    check(interrupt(argv, how, compiling, tmp_path, settle=2.0), how)
    assert not (tmp_path / "out" / "report.json").exists()
    rerun = subprocess.run([sys.executable, "-m", "xaas_parsl.cli.main", *argv], cwd=tmp_path,
                           capture_output=True, text=True, timeout=900,
                           env={**os.environ, "PYTHONPATH": str(REPO)})
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert (tmp_path / "out" / "report.json").is_file()
