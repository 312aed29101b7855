"""What a running function may ask of the platform: its call's ids and the object store.

A handler receives only its payload (docs/flow.md §2: the envelope belongs to the runtime, and
the runtime never adds keys to the payload). Upstream's wrapper injected ``payload["request-id"]``
instead; functions that need such ids (trip booking uses the call id as a booking id) ask here::

    from xaas_parsl.flow import runtime

    def handler(payload):
        ctx = runtime.current()
        runtime.storage().put("bucket", f"bookings/{ctx.provider_request_id}", b"...")

The context is a ``ContextVar`` set by the worker around the call, so concurrent calls in one
process (thread executors) each see their own.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from xaas_parsl.flow.storage import CountingStore


@dataclass(frozen=True)
class CallContext:
    """The running call: ``request_id`` is the workflow run's, ``provider_request_id`` this
    call attempt's own (SeBS's ``request-id``)."""

    func_name: str
    state: str
    request_id: str
    provider_request_id: str
    attempt: int
    is_cold: bool
    container_id: str
    storage: CountingStore


_CURRENT: ContextVar[CallContext | None] = ContextVar("xaas_flow_call", default=None)


def current() -> CallContext:
    """The call this code runs in; ``RuntimeError`` outside a workflow call."""
    ctx = _CURRENT.get()
    if ctx is None:
        raise RuntimeError("not inside a workflow function call")
    return ctx


def storage() -> CountingStore:
    """The object store of the running call (bytes moved are measured)."""
    return current().storage
