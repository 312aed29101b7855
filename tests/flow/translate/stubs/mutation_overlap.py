"""6100 ``mutation_overlap`` (map body, one population with common params)."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    pop = payload["array_element"]
    return {"output_mutation_overlap": f"chr21-{pop}-mutation_overlap.tar.gz",
            "merged": payload["individuals_merge"]["merge_outputfile_name"],
            "sifted": payload["sifting"]["output_sifting"]}
