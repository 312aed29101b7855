"""Downloads ``blob`` from ``bucket`` into memory and drops it → ``"ok"``."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> str:
    data = runtime.storage().download_stream(payload["bucket"], payload["blob"])
    del data
    return "ok"
