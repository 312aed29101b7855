"""A flare as a Parsl app: ``flare_app``, a ``join_app`` whose AppFuture resolves to the
workers' return values in rank order.

Why a join_app and not just the ``FlareFuture``: a plain future is accepted as a dependency,
but only an AppFuture is a *node* of the Parsl DAG, with its own task record, monitoring, and
— the point here — dependencies of its own. Futures among the worker arguments are resolved by
Parsl before the flare launches, so a flare can consume upstream apps' outputs and feed
downstream apps. The join app itself runs on the DFK's internal thread pool and only launches
the flare (one task per pack on the executor named in ``flare_options``); it is cheap.

Parsl is imported on the first call, not on import of ``xaas_parsl.burst``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from xaas_parsl.burst.flare import FlareFuture, flare

_APP: Any = None


def _launch(fn: Callable[..., Any], size: int, granularity: int, *args: Any,
            flare_options: Mapping[str, Any], **kwargs: Any) -> FlareFuture:
    """The join app's body: runs once the arguments' futures are resolved."""
    return flare(fn, size, granularity, args=args, kwargs=kwargs, **dict(flare_options))


def flare_app(fn: Callable[..., Any], size: int, granularity: int = 1, *args: Any,
              flare_options: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
    """Launch ``flare(fn, size, granularity, args=args, kwargs=kwargs, **flare_options)`` as a
    Parsl join_app once the futures in ``args``/``kwargs`` are done; returns its AppFuture.

    ``flare_options`` are ``flare``'s own keywords (``executor``, ``timeout``,
    ``start_timeout``, ``transport``, ``host``, ``worker_kind``); a Parsl config must be loaded."""
    global _APP
    if _APP is None:
        from parsl import join_app

        _APP = join_app(_launch)
    return _APP(fn, size, granularity, *args, flare_options=dict(flare_options or {}),
                **kwargs)
