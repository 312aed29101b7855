"""Interrupts end the CLI cleanly: SIGTERM behaves like Ctrl-C, and no child is left behind.

Python's default SIGTERM kills the interpreter on the spot: no ``finally`` runs, so Parsl's
interchange and workers, burst pack processes and clang jobs are orphaned. Here SIGTERM (and
SIGHUP) raise :class:`Terminated`, a ``KeyboardInterrupt``, so every cleanup path written for
Ctrl-C runs for them too; after that, :func:`reap_children` terminates whatever descendants are
still alive (SIGTERM, then SIGKILL after a grace period), so the process group is empty when
``xaas`` exits.

The orderly path is bounded too. After an interrupt, code the CLI does not own still runs:
Parsl's ``atexit`` cleanup of a DataFlowKernel, the interpreter joining non-daemon threads
(a function still sleeping in a thread pool), a library's ``finally`` that waits on a peer
the signal already killed. On a loaded machine one of those held the CLI past 30 s in CI. So
the real CLI (:func:`install` with ``deadline=True``, only from the console entry point, never
when a test calls ``main`` in its own process) arms a watchdog with the first signal: if the
process still exists ``DEADLINE_S`` later, it kills the descendants, prints the same one line
if it was not printed yet, and leaves with the same exit code (``os._exit``).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from types import FrameType

import psutil  # type: ignore[import-untyped, unused-ignore]

from xaas_parsl.interrupts import stop_processes

GRACE_S = 3.0
#: Seconds from the first interrupt to the watchdog's exit (tests/cli/test_signals.py wants
#: the CLI gone within 10 s).
DEADLINE_S = 7.0
_state = {"deadline": False, "armed": False, "announced": False}


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP arrived (a ``KeyboardInterrupt`` so Ctrl-C cleanup paths run)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum: int, frame: FrameType | None) -> None:
    # a second signal during cleanup must not interrupt the cleanup itself
    signal.signal(signum, signal.SIG_IGN)
    arm(128 + signum)
    raise Terminated(signum)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    arm(130)
    raise KeyboardInterrupt


def install(deadline: bool = False) -> None:
    """Route SIGTERM and SIGHUP to :class:`Terminated` (main thread only; else a no-op);
    with ``deadline``, every interrupt (SIGINT too) also arms the watchdog."""
    if threading.current_thread() is not threading.main_thread():
        return
    if deadline:
        _state["deadline"] = True
        signal.signal(signal.SIGINT, _interrupt)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise)


def announce() -> None:
    """Print the interrupt's one line; once the watchdog is armed, only once (the orderly
    path and the watchdog may both get there). ``main`` called again in one process (tests)
    never arms it, so each of its interrupts is announced."""
    if _state["armed"] and _state["announced"]:
        return
    _state["announced"] = _state["armed"]
    sys.stderr.write("xaas: interrupted\n")
    sys.stderr.flush()


def arm(code: int) -> None:
    """Start the watchdog (once, and only in the real CLI): exit ``code`` after DEADLINE_S."""
    if _state["deadline"] and not _state["armed"]:
        _state["armed"] = True
        threading.Thread(target=_expire, args=(code,), name="xaas-interrupt-deadline",
                         daemon=True).start()


def _expire(code: int) -> None:
    time.sleep(DEADLINE_S)
    reap_children(grace=0.5)
    announce()
    sys.stdout.flush()
    os._exit(code)


def reap_children(grace: float = GRACE_S) -> list[int]:
    """Terminate every live descendant of this process, then kill those left after
    ``grace`` seconds; returns the pids that had to be signalled."""
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    stop_processes(children, grace)
    return [c.pid for c in children]
