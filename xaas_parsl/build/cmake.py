"""Configure, build and install a CMake project; run an app descriptor's tests on the result.

Each step runs as an argument list (never through a shell), with its output appended to one log
file. A failing step raises ``ToolError`` naming the step, the log and the first error line, so
the user gets one line instead of pages of compiler output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from xaas_parsl.descriptor.app import AppDescriptor
from xaas_parsl.errors import ToolError


@dataclass(frozen=True)
class BuildResult:
    """Where a build went and how long it took."""

    build_dir: Path
    prefix: Path
    cmake_args: tuple[str, ...]
    seconds: float
    log: Path


@dataclass(frozen=True)
class TestResult:
    """One descriptor test run against an installed prefix."""

    name: str
    command: tuple[str, ...]
    passed: bool
    returncode: int
    output: str
    seconds: float


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolError(f"{tool} not found on PATH: install it (apt-get install {tool})")
    return path


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if re.search(r"error|Error|ERROR|Could not find|not found", line):
            return line.strip()[:300]
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1].strip()[:300] if lines else "no output"


def _step(name: str, argv: list[str], log: Path, cwd: Path | None = None) -> None:
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {' '.join(argv)}\n")
        handle.flush()
        proc = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
        handle.write(proc.stdout)
    if proc.returncode != 0:
        raise ToolError(f"{name} failed (exit {proc.returncode}): {_first_error(proc.stdout)}",
                        log)


def cmake_build(
    source: Path,
    build_dir: Path,
    prefix: Path,
    args: list[str],
    *,
    generator: str | None = "Ninja",
    jobs: int | None = None,
) -> BuildResult:
    """Configure ``source`` into ``build_dir`` with ``args``, build, install into ``prefix``."""
    cmake = _require("cmake")
    if generator == "Ninja" and shutil.which("ninja") is None:
        generator = None
    build_dir.mkdir(parents=True, exist_ok=True)
    log = build_dir / "xaas-build.log"
    log.write_text("", encoding="utf-8")
    start = time.perf_counter()
    configure = [cmake, "-S", str(source), "-B", str(build_dir),
                 f"-DCMAKE_INSTALL_PREFIX={prefix}", *args]
    if generator:
        configure[1:1] = ["-G", generator]
    _step("cmake configure", configure, log)
    _step("cmake build", [cmake, "--build", str(build_dir), "-j", str(jobs or os.cpu_count() or 1)],
          log)
    _step("cmake install", [cmake, "--install", str(build_dir)], log)
    return BuildResult(build_dir, prefix, tuple(args), time.perf_counter() - start, log)


def run_app_tests(app: AppDescriptor, prefix: Path, timeout: float = 300) -> list[TestResult]:
    """Run every test of ``app`` from ``prefix/bin``; a test passes on exit 0 and ``expect``.
    Executables of another ISA family run under user-mode emulation (``qemu-aarch64-static
    -L /usr/aarch64-linux-gnu``), chosen from the executable's own ELF header."""
    from xaas_parsl.ir.cross import emulator_for  # here: xaas_parsl.ir imports this module

    results = []
    for test in app.tests:
        exe = prefix / "bin" / test.command[0]
        # another ISA family's executable (an aarch64 deployment on x86-64) runs under qemu-user
        argv = [*emulator_for(exe), str(exe), *test.command[1:]]
        if test.mpi_ranks:
            argv = [_require("mpiexec"), "-n", str(test.mpi_ranks), *argv]
        start = time.perf_counter()
        try:
            proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=timeout, check=False)
            code, out = proc.returncode, proc.stdout
        except FileNotFoundError:
            code, out = 127, f"{exe} not installed"
        except subprocess.TimeoutExpired:
            code, out = 124, f"timed out after {timeout} s"
        passed = code == 0 and (test.expect is None or test.expect in out)
        results.append(TestResult(test.name, tuple(argv), passed, code, out,
                                  time.perf_counter() - start))
    return results
