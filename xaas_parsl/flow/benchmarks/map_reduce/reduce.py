"""Sums the counts under ``dir`` → ``{"word", "count"}``."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    store = runtime.storage()
    keys = store.list_blobs(payload["bucket"], payload["dir"] + "/")
    total = sum(int(store.download_stream(payload["bucket"], key)) for key in keys)
    return {"word": payload["dir"].rsplit("/", 1)[1], "count": total}
