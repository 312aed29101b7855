"""Running clang/LLVM/CMake for the IR bundle: argument lists only, errors in one line."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xaas_parsl.errors import ToolError

T = TypeVar("T")
R = TypeVar("R")
CLANG = "clang-19"
CLANGXX = "clang++-19"
# Jobs between two saves of a long step's progress (store/index.json, the object index).
BATCH = 64


def require(tool: str) -> str:
    """Absolute path of ``tool`` or a ``ToolError`` saying how to install it."""
    path = shutil.which(tool)
    if path is None:
        raise ToolError(f"{tool} not found on PATH "
                        "(apt-get install clang-19 llvm-19 cmake ninja-build)")
    return path


def first_error(text: str) -> str:
    """The first line of tool output that looks like an error (for one-line messages)."""
    for line in text.splitlines():
        if re.search(r"error|Error|ERROR", line):
            return line.strip()[:300]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1].strip()[:300] if lines else "no output"


def run_tool(argv: list[str], what: str, cwd: str | Path | None = None) -> str:
    """Run ``argv``; return stdout, or raise ``ToolError`` naming ``what`` and the error."""
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ToolError(f"{what}: {argv[0]} not found") from None
    if proc.returncode != 0:
        raise ToolError(f"{what}: {shlex.join(argv[:2])}... exit {proc.returncode}: "
                        f"{first_error(proc.stderr + proc.stdout)}")
    return proc.stdout


def parallel(items: Iterable[T], func: Callable[[T], R], label: str, jobs: int = 2,
             quiet: bool = False) -> list[R]:
    """Map ``func`` over ``items`` with ``jobs`` threads and a rich progress bar (on stderr);
    results keep input order and the first failure is re-raised."""
    todo = list(items)
    results: list[R] = []
    console = Console(stderr=True)  # stdout carries --json output
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=True, console=console,
                  disable=quiet or not todo or not console.is_terminal) as bar:
        task = bar.add_task(label, total=len(todo))
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            futures = [pool.submit(func, item) for item in todo]
            for fut in futures:
                results.append(fut.result())
                bar.advance(task)
        finally:
            # on a failure or an interrupt (SIGTERM of a long build) the queued jobs are
            # dropped, not run to the end; running ones finish
            pool.shutdown(wait=True, cancel_futures=True)
    return results


def batches(items: list[T], size: int) -> Iterator[list[T]]:
    """``items`` in consecutive slices of ``size``: long steps (GROMACS: thousands of
    units) save their progress after each slice, so an interrupted build resumes there."""
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]
