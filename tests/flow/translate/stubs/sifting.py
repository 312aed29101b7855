"""6100 ``sifting``: passes on the populations the second parallel iterates."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {"output_bucket": payload["bucket"], "benchmark_bucket": payload["benchmark_bucket"],
            "output_sifting": f"sifted.{payload['sifting_input']}",
            "populations": payload["populations"], "input_bucket": payload["columns_bucket"]}
