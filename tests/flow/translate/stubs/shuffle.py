"""660 ``shuffle``: group the partial counts by word (sorted)."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    groups: dict[str, list[int]] = {}
    for part in payload["list"]:
        for word, count in part.items():
            groups.setdefault(word, []).append(count)
    return {"list": [{"word": w, "counts": groups[w]} for w in sorted(groups)]}
