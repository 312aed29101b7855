"""Per population: pairwise overlap of the sifted mutations of up to 26 seeded-sampled members
(text matrix + colour map) and their mutation counts (histogram), tarred →
``{"output_mutation_overlap": <key>}``."""

from __future__ import annotations

import json
import random
from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks.genome._data import tar_bytes
from xaas_parsl.flow.benchmarks.genome._population import load, png

SAMPLE = 26


def handler(payload: dict[str, Any]) -> dict[str, str]:
    import matplotlib.pyplot as plt

    store = runtime.storage()
    population, carried = load(store, payload)
    names = sorted(random.Random(population).sample(sorted(carried),
                                                    min(SAMPLE, len(carried))))
    matrix = [[len(carried[a] & carried[b]) for b in names] for a in names]
    figure, (left, right) = plt.subplots(1, 2, figsize=(7, 3))
    left.imshow(matrix or [[0]], cmap="viridis")
    left.set_title("pairwise overlap")
    right.hist([len(carried[n]) for n in names] or [0], bins=10)
    right.set_title("mutations per individual")
    files = {
        f"chr21-{population}-overlap.txt": "".join(
            f"{a}\t" + "\t".join(map(str, row)) + "\n" for a, row in zip(names, matrix,
                                                                          strict=True)).encode(),
        f"chr21-{population}-overlap.png": png(figure),
        "summary.json": json.dumps({"population": population, "members": len(carried),
                                    "sampled": len(names),
                                    "total_overlap": sum(map(sum, matrix))}).encode(),
    }
    sifting = payload["sifting"]
    key = f"{sifting['output_bucket']}/{runtime.current().request_id}/chr21-{population}.tar.gz"
    return {"output_mutation_overlap": store.upload_stream(sifting["benchmark_bucket"], key,
                                                           tar_bytes(files))}
