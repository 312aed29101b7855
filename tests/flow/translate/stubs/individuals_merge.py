"""6100 ``individuals_merge``: the merged key of all map outputs."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    keys = [b["individuals_output"] for b in payload["blob"]]
    return {"merge_outputfile_name": "merged(" + ",".join(keys) + ")"}
