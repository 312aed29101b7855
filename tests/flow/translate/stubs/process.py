"""620 ``process`` (rotates the ``len`` string) and 630/631 map body (wraps the element)."""

from typing import Any


def handler(payload: Any) -> Any:
    if isinstance(payload, dict) and isinstance(payload.get("len"), str):
        text = payload["len"]
        return {"len": text[1:] + text[:1]}
    return {"processed": payload}
