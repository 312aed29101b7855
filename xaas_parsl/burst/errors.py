"""Errors of burst flares: every one names the flare and, where known, the failing rank.

They are ``XaasError`` subclasses so the CLI prints them as one line; the worker's full
traceback travels separately in ``FlareError.traceback`` (it is multi-line by nature).
"""

from __future__ import annotations

from xaas_parsl.errors import XaasError


class FlareError(XaasError):
    """The flare failed as a whole: a worker raised, a pack died, or it was aborted."""

    def __init__(self, problem: str, *, rank: int | None = None, traceback: str = "") -> None:
        super().__init__(problem)
        self.rank = rank
        self.traceback = traceback


class CollectiveTimeout(FlareError):
    """A collective or receive did not complete within the flare's timeout."""


class FlareAborted(FlareError):
    """Raised inside a worker whose flare was aborted elsewhere (another rank failed, cancel)."""


class GangStartTimeout(FlareError):
    """Not every pack was placed within the start timeout, so no worker started."""
