"""Sizes, input and check of 6100.1000-genome.

Jobs (byte ranges) as SeBS's ``input.py`` (test 1, small 5, large 10); the chromosome is ours:
test 250 variants x 30 individuals, small 1250 x 250, large 1250 x 2504 (upstream's VCF has
1250 lines and 2504 individuals). The check recomputes the expected carriers, sifted ids and
population sizes from the generator's own tables, not from the files the functions read.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from xaas_parsl.flow.benchmarks import BUCKET, Outcome
from xaas_parsl.flow.benchmarks.genome._data import POPULATIONS, Chromosome, untar
from xaas_parsl.flow.storage import ObjectStore

SIZES: dict[str, dict[str, Any]] = {"test": {"variants": 250, "individuals": 30, "jobs": 1},
                                    "small": {"variants": 1250, "individuals": 250, "jobs": 5},
                                    "large": {"variants": 1250, "individuals": 2504, "jobs": 10}}
VCF = "ALL.chr21.1250.vcf"
ANNOTATION = "ALL.chr21.phase3_shapeit2_mvncall_integrated_v5.20130502.sites.annotation.vcf"


def chromosome(size: str) -> Chromosome:
    return Chromosome(SIZES[size]["variants"], SIZES[size]["individuals"])


def ranges(vcf: bytes, jobs: int) -> list[dict[str, int]]:
    """``jobs`` byte ranges of about equal line counts, cut at line ends."""
    ends = [i + 1 for i, byte in enumerate(vcf) if byte == ord("\n")]
    step = -(-len(ends) // jobs)
    cuts = [0] + [ends[min(len(ends), (j + 1) * step) - 1] for j in range(jobs)]
    return [{"start_bytes": a, "end_bytes": b} for a, b in itertools.pairwise(cuts)]


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    chrom = chromosome(size)
    inputs = f"{prefix}/input"
    vcf = chrom.vcf().encode()
    store.put(BUCKET, f"{inputs}/{VCF}", vcf)
    store.put(BUCKET, f"{inputs}/columns.txt", chrom.columns().encode())
    store.put(BUCKET, f"{inputs}/{ANNOTATION}", chrom.annotation()[0].encode())
    for pop, members in chrom.populations().items():
        store.put(BUCKET, f"{inputs}/{pop}", ("\n".join(members) + "\n").encode())
    return {"bucket": f"{prefix}/output", "blob": ranges(vcf, SIZES[size]["jobs"]),
            "individuals_file": VCF, "benchmark_bucket": BUCKET, "columns_bucket": inputs,
            "columns": "columns.txt", "populations": list(POPULATIONS), "sifting_input": ANNOTATION}


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    out = outcome.payload
    try:
        merge_key = out["frequency"]["individuals_merge"]["merge_outputfile_name"]
        sifted_key = out["frequency"]["sifting"]["output_sifting"]
        freq = out["frequency"]["sifting"]["populations"]
        overlap = out["mutation_overlap"]["sifting"]["populations"]
    except (KeyError, TypeError):
        return [f"unexpected final payload shape: {str(out)[:300]}"]
    chrom = chromosome(size)
    problems = []
    genome = untar(store.get(BUCKET, merge_key))
    carriers = chrom.carriers()
    for name, ids in carriers.items():
        got = [line.split()[1] for line in genome.get(f"chr21.{name}", b"").decode().splitlines()]
        if got != ids:
            problems.append(f"chr21.{name}: {len(got)} variants, expected {len(ids)}")
            break
    _text, kept = chrom.annotation()
    sifted = {line.split("\t")[1] for line in store.get(BUCKET, sifted_key).decode().splitlines()}
    if sifted != kept:
        problems.append(f"sifting kept {len(sifted)} ids, expected {len(kept)}")
    names = set(chrom.names)
    for pop, members, f_item, o_item in zip(POPULATIONS, chrom.populations().values(), freq,
                                            overlap, strict=False):
        present = [m for m in members if m in names]
        mutations = set().union(*(set(carriers[m]) & kept for m in present))
        f_sum = json.loads(untar(store.get(BUCKET, f_item["output_frequency"]))["summary.json"])
        o_sum = json.loads(untar(store.get(BUCKET, o_item["output_mutation_overlap"]))
                           ["summary.json"])
        if (f_sum["population"], f_sum["members"], o_sum["members"]) != \
                (pop, len(present), len(present)):
            problems.append(f"{pop}: {f_sum['members']} members used, expected {len(present)}")
        if f_sum["mutations"] > len(mutations):
            problems.append(f"{pop}: {f_sum['mutations']} mutations counted, at most "
                            f"{len(mutations)} exist")
    if len(freq) != len(POPULATIONS) or len(overlap) != len(POPULATIONS):
        problems.append(f"expected {len(POPULATIONS)} results per branch")
    return problems
