"""660 ``split``: the text in chunks of two words."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    words = payload["text"].split()
    return {"list": [" ".join(words[i:i + 2]) for i in range(0, len(words), 2)]}
