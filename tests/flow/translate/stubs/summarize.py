"""650 ``summarize``: totals over the analysed frames."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    frames = payload["frames"]
    return {"video": payload["video"], "frames": len(frames),
            "objects": sum(f["objects"] for f in frames)}
