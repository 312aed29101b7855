"""``with parsl_session(site, ...):`` load a site's Parsl config, and always clean it up.

Why one context manager: a run that loads a DataFlowKernel must shut its executors down and
clear Parsl's global kernel even when a step fails (bounded after Ctrl-C or SIGTERM:
:mod:`xaas_parsl.interrupts`), or the next ``parsl.load`` in the same
process (a notebook, the test suite, the showcase after the demo) finds a stale kernel and its
worker processes keep running. Parsl's own logger is kept off the caller's stderr: it writes
its records to ``<run_dir>/*/parsl.log``. Worker processes a killed pool manager orphaned
are ended after the cleanup (:mod:`xaas_parsl.sites.pools`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsl.config import Config
    from parsl.dataflow.dflow import DataFlowKernel


@contextmanager
def loaded(cfg: Config) -> Iterator[DataFlowKernel]:
    """Load ``cfg`` as Parsl's kernel for the block (clearing a stale one first)."""
    import parsl

    from xaas_parsl.interrupts import cleanup_dfk, load_dfk
    from xaas_parsl.sites.pools import PoolWatch

    logging.getLogger("parsl").propagate = False
    parsl.clear()
    dfk = load_dfk(cfg)
    watch = PoolWatch(dfk).start()
    try:
        yield dfk
    finally:
        try:
            cleanup_dfk(dfk)  # bounded when an interrupt propagates (xaas_parsl.interrupts)
        finally:
            # workers a killed pool manager left behind (xaas_parsl.sites.pools)
            interrupted = isinstance(sys.exc_info()[1], KeyboardInterrupt)
            watch.end_strays(grace=1.0 if interrupted else 3.0)


@contextmanager
def parsl_session(site: str, **config_kwargs: Any) -> Iterator[DataFlowKernel]:
    """``xaas_parsl.sites.config(site, **config_kwargs)`` loaded for the block."""
    from xaas_parsl.sites import config

    with loaded(config(site, **config_kwargs)) as dfk:
        yield dfk
