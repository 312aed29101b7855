"""Per population: 1000 seeded draws of up to 52 members; how often each sifted mutation occurs
among the drawn, and a histogram of distinct mutations per draw (text + bar plot), tarred →
``{"output_frequency": <key>}``."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks.genome._data import tar_bytes
from xaas_parsl.flow.benchmarks.genome._population import load, png

DRAWS, SAMPLE = 1000, 52


def handler(payload: dict[str, Any]) -> dict[str, str]:
    import matplotlib.pyplot as plt

    store = runtime.storage()
    population, carried = load(store, payload)
    rng = random.Random(population)
    names = sorted(carried)
    counts: Counter[str] = Counter()
    per_draw = []
    for _ in range(DRAWS):
        drawn = rng.sample(names, min(SAMPLE, len(names)))
        seen = Counter(m for name in drawn for m in carried[name])
        counts.update(seen)
        per_draw.append(len(seen))
    histogram = Counter(per_draw)
    figure, axes = plt.subplots(figsize=(4, 3))
    axes.bar(list(histogram), list(histogram.values()))
    axes.set_xlabel("distinct mutations per draw")
    files = {
        f"chr21-{population}-freq.txt": "".join(f"{m}\t{c}\n" for m, c in
                                                sorted(counts.items())).encode(),
        f"chr21-{population}-freq-hist.txt": "".join(f"{k}\t{v}\n" for k, v in
                                                     sorted(histogram.items())).encode(),
        f"chr21-{population}-freq.png": png(figure),
        "summary.json": json.dumps({"population": population, "members": len(names),
                                    "mutations": len(counts), "draws": DRAWS}).encode(),
    }
    sifting = payload["sifting"]
    run = runtime.current().request_id
    key = f"{sifting['output_bucket']}/{run}/chr21-{population}-freq.tar.gz"
    return {"output_frequency": store.upload_stream(sifting["benchmark_bucket"], key,
                                                    tar_bytes(files))}
