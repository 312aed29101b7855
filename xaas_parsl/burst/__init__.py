"""Burst computing: flares of workers started together, with group collectives.

``flare(fn, size=N, granularity=g)`` runs ``fn(ctx)`` on N workers packed g per process and
returns one future of their results in rank order; ``ctx`` (a ``WorkerContext``) carries the
rank, the pack ("group") and the collectives. See ``docs/burst.md``.
"""

from xaas_parsl.burst.context import Placement, WorkerContext
from xaas_parsl.burst.errors import CollectiveTimeout, FlareAborted, FlareError, GangStartTimeout
from xaas_parsl.burst.flare import FlareFuture, flare
from xaas_parsl.burst.timing import FlareTiming, StartSummary, clock_offset, plot_cdf, summarize

__all__ = [
    "CollectiveTimeout", "FlareAborted", "FlareError", "FlareFuture", "FlareTiming",
    "GangStartTimeout", "Placement", "StartSummary", "WorkerContext", "clock_offset", "flare",
    "plot_cdf", "summarize",
]
