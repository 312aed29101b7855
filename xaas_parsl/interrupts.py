"""Ending a Parsl DataFlowKernel without hanging when the run was interrupted.

Ctrl-C reaches the whole process group: Parsl's HTEX interchange and worker pool die of the
same SIGINT, and ``dfk.cleanup()`` then waits for executors that will never answer (the CLI
hung for minutes). After an interrupt the cleanup therefore runs in a daemon thread for at
most ``grace`` seconds; whatever is still alive afterwards is terminated by the CLI
(:func:`xaas_parsl.cli.signals.reap_children`). A normal end, or an ordinary exception, keeps
Parsl's full orderly cleanup.

The interchange and the local worker pool are started while SIGINT is blocked
(:func:`load_dfk`): the signal mask is inherited across ``fork`` and ``exec``, so Ctrl-C no
longer kills them mid-poll with a traceback on the terminal; they end through the (bounded)
cleanup or the CLI's reaping instead.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from typing import Any

GRACE_S = 5.0


def cleanup_dfk(dfk: Any, grace: float = GRACE_S) -> None:
    """``dfk.cleanup()`` and ``parsl.clear()``; bounded by ``grace`` seconds when called while
    a ``KeyboardInterrupt`` (or SIGTERM, see cli/signals.py) propagates, e.g. in ``finally``."""
    import parsl

    in_flight = sys.exc_info()[1]
    if isinstance(in_flight, KeyboardInterrupt | SystemExit):
        worker = threading.Thread(target=dfk.cleanup, name="xaas-dfk-cleanup", daemon=True)
        worker.start()
        worker.join(grace)
    else:
        dfk.cleanup()
    parsl.clear()


def load_dfk(config: Any) -> Any:
    """``parsl.load(config)`` with SIGINT blocked while it starts processes (see above).

    Blocked, not ignored: the processes started meanwhile inherit the blocked mask (Ctrl-C
    never reaches them), while a Ctrl-C arriving during the load stays pending in this
    process and is delivered as ``KeyboardInterrupt`` as soon as the mask is restored, so it
    is never lost."""
    import parsl

    if threading.current_thread() is not threading.main_thread():
        return parsl.load(config)
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        return parsl.load(config)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def stop_processes(procs: list[Any], grace: float) -> list[Any]:
    """SIGTERM every ``psutil.Process`` in ``procs``, SIGKILL those still alive after ``grace``
    seconds (psutil checks that a pid still names the same process, so a reused pid is never
    hit); returns the ones that had to be killed. One implementation for every place that
    ends processes it started (the CLI's children, a lost pool's orphaned workers)."""
    import psutil  # type: ignore[import-untyped, unused-ignore]

    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, left = psutil.wait_procs(procs, timeout=grace)
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(left, timeout=grace)
    return list(left)
