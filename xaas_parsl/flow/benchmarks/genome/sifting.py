"""Keeps annotation lines mentioning "deleterious" or "tolerated" that carry an ``rs`` id; one
line per variant: line number (minus header lines), id, INFO ``|`` fields 4, 16, 17."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    lines = store.download_stream(
        bucket, f"{payload['columns_bucket']}/{payload['sifting_input']}").decode().split("\n")
    header = sum(1 for line in lines if line.startswith("#"))
    out = []
    for number, line in enumerate(lines, start=1):
        cols = line.split("\t")
        if line.startswith("#") or len(cols) < 8 or not cols[2].startswith("rs"):
            continue
        if "deleterious" not in line and "tolerated" not in line:
            continue
        fields = cols[7].split("|")
        out.append(f"{number - header}\t{cols[2]}\t{fields[4]}\t{fields[16]}\t{fields[17]}\n")
    key = f"{payload['bucket']}/{runtime.current().request_id}/sifted.SIFT.chr21.txt"
    return {"output_bucket": payload["bucket"], "benchmark_bucket": bucket,
            "output_sifting": store.upload_stream(bucket, key, "".join(out).encode()),
            "populations": payload["populations"], "input_bucket": payload["columns_bucket"]}
