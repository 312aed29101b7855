"""One VCF byte range → per individual, the variants where it carries the minor allele
(AF ≥ 0.5 and first allele 0, or AF < 0.5 and first allele 1), as files ``chr21.<individual>``
in a tarball → ``{"individuals_output": <key>}``."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks.genome._data import tar_bytes


def handler(payload: dict[str, Any]) -> dict[str, str]:
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    names = store.download_stream(
        bucket, f"{payload['columns_bucket']}/{payload['columns']}").decode().split()[9:]
    part = payload["array_element"]
    data = store.download_stream(bucket, f"{payload['columns_bucket']}/"
                                 f"{payload['individuals_file']}")
    text = data[part["start_bytes"]:part["end_bytes"]].decode()
    found: dict[str, list[str]] = {name: [] for name in names}
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        cols = line.split("\t")
        af = float(cols[7].split(";")[8].split("=")[1])
        for name, gt in zip(names, cols[9:], strict=True):
            if (af >= 0.5 and gt[0] == "0") or (af < 0.5 and gt[0] == "1"):
                found[name].append(f"{cols[1]} {cols[2]} {cols[3]} {cols[4]} {af}\n")
    run = runtime.current().request_id
    key = f"{payload['bucket']}/{run}/chr21-{part['start_bytes']}.tar.gz"
    archive = tar_bytes({f"chr21.{n}": "".join(v).encode() for n, v in found.items()})
    return {"individuals_output": store.upload_stream(bucket, key, archive)}
