"""620 ``gen``: ``{"size": n}`` → ``{"len": <n characters>}``."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {"len": "".join(str(i % 10) for i in range(int(payload["size"])))}
