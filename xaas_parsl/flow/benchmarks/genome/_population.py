"""What ``frequency`` and ``mutation_overlap`` both load: the population's members present in
the genome and, per member, the sifted mutations it carries."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

from xaas_parsl.flow.benchmarks.genome._data import untar
from xaas_parsl.flow.storage import CountingStore

matplotlib.use("Agg")


def load(store: CountingStore, item: dict[str, Any]) -> tuple[str, dict[str, set[str]]]:
    sifting, merge = item["sifting"], item["individuals_merge"]
    bucket, inputs = sifting["benchmark_bucket"], sifting["input_bucket"]
    population = item["array_element"]
    sifted = {line.split("\t")[1] for line in store.download_stream(
        bucket, sifting["output_sifting"]).decode().splitlines()}
    genome = untar(store.download_stream(bucket, merge["merge_outputfile_name"]))
    members = set(store.download_stream(bucket, f"{inputs}/{population}").decode().split())
    columns = store.download_stream(bucket, f"{inputs}/columns.txt").decode().split()[9:]
    carried = {}
    for name in sorted(members & set(columns)):
        ids = {line.split()[1] for line in genome.get(f"chr21.{name}", b"").decode().splitlines()}
        carried[name] = ids & sifted
    return population, carried


def png(figure: Any) -> bytes:
    import matplotlib.pyplot as plt

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=60)
    plt.close(figure)
    return out.getvalue()
