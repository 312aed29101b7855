"""The synthetic chromosome: variants, genotypes, populations, annotation; and tar helpers."""

from __future__ import annotations

import io
import random
import tarfile
from dataclasses import dataclass
from functools import cached_property

POPULATIONS = ["AFR", "ALL", "AMR", "EAS", "EUR", "GBR"]
HEADER = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]


@dataclass(frozen=True)
class Chromosome:
    variants: int
    individuals: int
    seed: int = 6100

    @cached_property
    def names(self) -> list[str]:
        return [f"HG{i:05d}" for i in range(self.individuals)]

    @cached_property
    def table(self) -> list[tuple[int, str, str, str, float, list[str]]]:
        """(pos, id, ref, alt, AF, genotypes) per variant."""
        rng = random.Random(self.seed)
        rows = []
        for v in range(self.variants):
            af = round(rng.choice([rng.uniform(0.01, 0.2), rng.uniform(0.5, 0.95)]), 4)
            ref, alt = rng.sample("ACGT", 2)
            gts = [f"{int(rng.random() < af)}|{int(rng.random() < af)}" for _ in self.names]
            rows.append((9_411_000 + 37 * v, f"rs{100000 + v}", ref, alt, af, gts))
        return rows

    def columns(self) -> str:
        return "\t".join(HEADER + self.names) + "\n"

    def vcf(self) -> str:
        lines = ["##fileformat=VCFv4.1", "##source=xaas-parsl synthetic chr21",
                 "\t".join(HEADER + self.names)]
        for pos, rid, ref, alt, af, gts in self.table:
            info = f"AC=1;AN=2;NS={len(gts)};DP=100;EAS_AF=0;AMR_AF=0;AFR_AF=0;EUR_AF=0;AF={af}"
            lines.append("\t".join(["21", str(pos), rid, ref, alt, "100", "PASS", info, "GT",
                                    *gts]))
        return "\n".join(lines) + "\n"

    def carriers(self) -> dict[str, list[str]]:
        """Per individual, the ids of the variants where it carries the minor allele."""
        out: dict[str, list[str]] = {name: [] for name in self.names}
        for _pos, rid, _ref, _alt, af, gts in self.table:
            for name, gt in zip(self.names, gts, strict=True):
                if (af >= 0.5 and gt[0] == "0") or (af < 0.5 and gt[0] == "1"):
                    out[name].append(rid)
        return out

    def annotation(self) -> tuple[str, set[str]]:
        """The SIFT annotation VCF and the ids ``sifting`` must keep."""
        rng = random.Random(self.seed + 1)
        lines = ["##fileformat=VCFv4.1", "##INFO=<ID=CSQ,Description=\"...|SIFT|PolyPhen\">",
                 "\t".join(HEADER[:8])]
        kept = set()
        for pos, rid, ref, alt, _af, _gts in self.table:
            fields = [""] * 20
            fields[4] = f"GENE{pos % 97}"
            sift = rng.choice(["deleterious(0.01)", "tolerated(0.35)", "", ""])
            fields[16] = sift
            fields[17] = rng.choice(["probably_damaging(0.97)", "benign(0.01)"])
            named = rng.random() < 0.9
            lines.append("\t".join(["21", str(pos), rid if named else ".", ref, alt, ".",
                                    "PASS", "CSQ=" + "|".join(fields)]))
            if sift and named:
                kept.add(rid)
        return "\n".join(lines) + "\n", kept

    def populations(self) -> dict[str, list[str]]:
        """Members of each population, with a few names not in the VCF."""
        rng = random.Random(self.seed + 2)
        out = {}
        for pop in POPULATIONS:
            members = list(self.names) if pop == "ALL" else \
                rng.sample(self.names, max(2, len(self.names) // 4))
            out[pop] = sorted(members + [f"NA{rng.randrange(10**5):05d}" for _ in range(3)])
        return out


def tar_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def untar(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers() if m.isfile()}
