"""``native``: no container, the embedded default when no engine runs.

The "image" of a native deployment is its install prefix: ``run`` puts ``<image>/bin`` first on
``PATH`` and runs the command as the invoking user, in ``workdir``. There is no isolation, so
the site conventions that need a container (other uid, no network, read-only root) cannot be
applied: a spec asking for another user, for a bind whose source and target differ, or for
GPUs/MPI is refused instead of silently ignored.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from xaas_parsl.containers.runtime.base import Capabilities, ContainerRuntime, RunResult, RunSpec
from xaas_parsl.errors import InputError


class NativeRuntime(ContainerRuntime):
    """Runs the command directly on this machine against an install prefix."""

    name = "native"

    def capabilities(self) -> Capabilities:
        """Runs for real here; builds are the ordinary (non-container) build steps."""
        return Capabilities(build=False, run=True, bind_mounts=False, verified_here=True,
                            notes=("no isolation: runs as the invoking user with the host's "
                                   "network and file system",))

    def _check(self, spec: RunSpec) -> None:
        if spec.user and spec.user != f"{os.getuid()}:{os.getgid()}":
            raise InputError("the native runtime runs as the invoking user only", spec.user)
        for bind in spec.binds:
            if os.path.realpath(bind.source) != os.path.realpath(bind.target):
                raise InputError(f"the native runtime cannot map {bind.source} to {bind.target}"
                                 " (no container)", bind.source)
        if spec.gpus or (spec.mpi and spec.mpi.ranks > 1):
            raise InputError("the native runtime does not render GPU or MPI options; use a "
                             "container runtime or the site's launcher", spec.image)

    def run_argv(self, spec: RunSpec) -> list[str]:
        """``env PATH=<prefix>/bin:$PATH K=V ... CMD`` (what ``run`` executes)."""
        self._check(spec)
        path = f"{Path(spec.image) / 'bin'}:{os.environ.get('PATH', '')}"
        return ["env", f"PATH={path}", *(f"{k}={v}" for k, v in spec.env), *spec.command]

    def available(self) -> bool:
        """Always: nothing to install."""
        return True

    def run(self, spec: RunSpec, timeout_s: float | None = None) -> RunResult:
        """Run the command with the prefix's ``bin`` on ``PATH``; exit code, output, time."""
        if not Path(spec.image).is_dir():
            raise InputError("the native runtime needs an install prefix directory", spec.image)
        argv = self.run_argv(spec)
        start = time.perf_counter()
        try:
            proc = subprocess.run(argv, cwd=spec.workdir, capture_output=True, text=True,
                                  timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            return RunResult(124, out, f"timed out after {timeout_s} s",
                             time.perf_counter() - start)
        return RunResult(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)
