"""Interrupts end the CLI cleanly: SIGTERM behaves like Ctrl-C, and no child is left behind.

Python's default SIGTERM kills the interpreter on the spot: no ``finally`` runs, so Parsl's
interchange and workers, burst pack processes and clang jobs are orphaned. Here SIGTERM (and
SIGHUP) raise :class:`Terminated`, a ``KeyboardInterrupt``, so every cleanup path written for
Ctrl-C runs for them too; after that, :func:`reap_children` terminates whatever descendants are
still alive (SIGTERM, then SIGKILL after a grace period), so the process group is empty when
``xaas`` exits.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import psutil  # type: ignore[import-untyped, unused-ignore]

from xaas_parsl.interrupts import stop_processes

GRACE_S = 3.0


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP arrived (a ``KeyboardInterrupt`` so Ctrl-C cleanup paths run)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    # a second signal during cleanup must not interrupt the cleanup itself
    signal.signal(signum, signal.SIG_IGN)
    raise Terminated(signum)


def install() -> None:
    """Route SIGTERM and SIGHUP to :class:`Terminated` (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise)


def reap_children(grace: float = GRACE_S) -> list[int]:
    """Terminate every live descendant of this process, then kill those left after
    ``grace`` seconds; returns the pids that had to be signalled."""
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    stop_processes(children, grace)
    return [c.pid for c in children]
