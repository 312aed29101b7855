"""6100 ``individuals`` (map body with common params): one byte range's output key."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    part = payload["array_element"]
    return {"individuals_output":
            f"{payload['bucket']}/{payload['individuals_file']}-{part['start_bytes']}-"
            f"{part['end_bytes']}.tar.gz"}
