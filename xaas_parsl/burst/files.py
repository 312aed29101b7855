"""Flares over files: the library behind ``xaas burst flare`` and the rule file ``burst.smk``.

A workflow step has files in and a file out; a flare has a function and a list of results. This
module joins the two: every worker gets the list of input paths (each worker may read any of
them — on a cluster they live on the shared file system), and the rank-ordered return values
are written as one JSON list, atomically, so a failed flare leaves no output behind for
Snakemake to mistake for a result.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import multiprocessing
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from xaas_parsl.burst.context import Placement
from xaas_parsl.burst.flare import flare
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import write_json

KILL_AFTER_S = 3.0


def resolve_function(name: str) -> Callable[..., Any]:
    """``module:function`` → the function (``InputError`` naming what is wrong)."""
    module, sep, attr = name.partition(":")
    if not sep or not module or not attr:
        raise InputError(f"function {name!r} must be given as module:function")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise InputError(f"cannot load function {name}: {type(exc).__name__}: {exc}") from exc
    if not callable(fn):
        raise InputError(f"{name} is not callable")
    result: Callable[..., Any] = fn
    return result


def _default_term() -> None:
    """In a forked pack: SIGTERM ends the process (the CLI's handler, inherited by fork,
    would turn it into an exception that user code may swallow)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@contextlib.contextmanager
def local_pack_pool(packs: int) -> Iterator[ProcessPoolExecutor]:
    """One fresh forked process per pack (the function's module, imported here, maybe from
    the working directory, is already loaded in each).

    On success the pool is shut down normally. On any exception, Ctrl-C and SIGTERM included,
    the pack processes are terminated (then killed) instead of waited for: a ``with
    ProcessPoolExecutor`` would wait for packs blocked in user code or in a collective for as
    long as they run, which made Ctrl-C take a minute and SIGTERM orphan them."""
    pool = ProcessPoolExecutor(packs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_default_term)
    try:
        yield pool
    except BaseException:
        processes = list(getattr(pool, "_processes", {}).values())  # no public accessor
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.join(KILL_AFTER_S)
            if proc.is_alive():
                proc.kill()
                proc.join(KILL_AFTER_S)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def run_to_json(function: str, size: int, granularity: int, inputs: list[str], output: str,
                *, transport: str = "zmq", timeout: float = 60.0,
                summary_path: str | None = None, worker_kind: str = "process"
                ) -> dict[str, Any]:
    """Run ``function(ctx, input_paths)`` as a flare on one fresh process per pack, write the
    results as a JSON list to ``output``; returns the start summary (and writes it to
    ``summary_path`` when given)."""
    missing = [p for p in inputs if not Path(p).is_file()]
    if missing:
        raise InputError("input file does not exist", missing[0])
    fn = resolve_function(function)
    packs = Placement.of(size, granularity).packs
    paths = [str(Path(p).resolve()) for p in inputs]
    with local_pack_pool(packs) as pool:
        future = flare(fn, size, granularity, args=(paths,), executor=pool, timeout=timeout,
                       transport=transport, worker_kind=worker_kind)
        results = future.result()
    try:
        json.dumps(results)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the workers of {function} returned values that are not JSON: "
                         f"{exc}", output) from exc
    write_json(output, results)
    stats = future.timing.summary().to_dict()
    stats.update(function=function, granularity=granularity, packs=packs, output=output,
                 workers=worker_kind)
    if summary_path:
        write_json(summary_path, stats)
    return stats
