"""Returns the call's ids as the runtime reports them, and its exact input keys."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: Any) -> dict[str, Any]:
    ctx = runtime.current()
    return {"request_id": ctx.request_id, "provider_request_id": ctx.provider_request_id,
            "container_id": ctx.container_id, "is_cold": ctx.is_cold,
            "input_keys": sorted(payload) if isinstance(payload, dict) else None}
