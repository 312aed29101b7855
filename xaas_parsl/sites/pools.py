"""Local worker pools of a loaded DataFlowKernel: noticing that one died, and ending what it
left behind.

A worker pool manager (HTEX's ``process_worker_pool``) killed by SIGKILL ends its block: the
local provider reads the exit code (137), and Parsl marks the executor bad and fails every
task submitted to it, now and later. A run that keeps submitting (``xaas flow bench``: one
repetition after another) would then record thousands of instant failures instead of
stopping, so :func:`executor_failure` turns the bad state into one sentence naming the
executor, the block and how it ended, for the caller to raise.

The manager's worker processes are not its children in the process tree's sense that matters
here: the local provider starts each block in a background subshell (reparented at once), and
a manager killed by SIGKILL cannot end its workers, which then idle forever in the user's
session. :class:`PoolWatch` remembers the processes of every local block while the kernel is
loaded and, once the kernel is cleaned up, ends those still alive (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Any

import psutil  # type: ignore[import-untyped, unused-ignore]

from xaas_parsl.interrupts import stop_processes

PERIOD_S = 1.0
GRACE_S = 3.0


def _how(code: int | None) -> str:
    if code is None:
        return "ended"
    if code > 128 and code - 128 in signal.Signals._value2member_map_:
        return f"exit code {code}: killed by {signal.Signals(code - 128).name}"
    if code < 0 and -code in signal.Signals._value2member_map_:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def executor_failure(dfk: Any) -> str | None:
    """``Parsl executor <label> failed: its worker pool died (block <id>, <how>)`` for the
    first executor of ``dfk`` that Parsl marked bad, else None."""
    for label, executor in dfk.executors.items():
        if not getattr(executor, "bad_state_is_set", False):
            continue
        blocks = []
        with contextlib.suppress(Exception):
            blocks = [f"block {block}, {_how(status.exit_code)}"
                      for block, status in sorted(executor.status().items())
                      if status.terminal]
        if blocks:
            return f"Parsl executor {label} failed: its worker pool died ({'; '.join(blocks)})"
        cause = str(getattr(executor, "executor_exception", "") or "unknown cause")
        return f"Parsl executor {label} failed: {' '.join(cause.split())[:200]}"
    return None


class PoolWatch:
    """Remembers the processes of the local blocks of ``dfk`` (every ``period`` s, in a daemon
    thread) so that :meth:`end_strays` can end those a dead manager left behind."""

    def __init__(self, dfk: Any, period: float = PERIOD_S) -> None:
        self.dfk = dfk
        self.known: set[psutil.Process] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(period,), daemon=True,
                                        name="xaas-pool-watch")

    def start(self) -> PoolWatch:
        self._thread.start()
        return self

    def _run(self, period: float) -> None:
        while not self._stop.wait(period):
            # Parsl's threads change the dicts walked here (RuntimeError); a missed
            # snapshot is retried, a dead watch thread would print a traceback
            with contextlib.suppress(Exception):
                self.snapshot()

    def snapshot(self) -> None:
        """Add the live processes of every local block to :attr:`known`."""
        from parsl.providers import LocalProvider

        for executor in list(self.dfk.executors.values()):
            provider = getattr(executor, "provider", None)
            if not isinstance(provider, LocalProvider):
                continue
            for job in list(provider.resources.values()):
                with contextlib.suppress(psutil.Error, TypeError, ValueError):
                    root = psutil.Process(int(job["remote_pid"]))
                    self.known.update([root, *root.children(recursive=True)])

    def end_strays(self, grace: float = GRACE_S) -> list[int]:
        """Stop watching; terminate the remembered processes still alive (psutil checks
        that a pid still names the same process), kill those left after ``grace`` s."""
        self._stop.set()
        alive = [p for p in self.known if p.is_running()]
        stop_processes(alive, grace)
        return [p.pid for p in alive]
