"""Loading specialization-points files and validating them against our corrected schema.

Upstream's schema (``reference/xaas/specialization-points.schema.json``) rejects every upstream
data file (FFT ``condition`` required, versions not nullable); we ship a corrected copy in
``xaas_parsl/schemas/specialization-points.schema.json`` and validate against that. Input may
spell the FFT key ``fft_libraries`` (upstream's own prompt did); we normalise to
``FFT_libraries`` before validating, so output is always written with the capitalised key.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_json, validate
from xaas_parsl.spec.model import BackendEntry, BlasEntry, FftEntry, SimdEntry, SpecPoints


@cache
def spec_schema() -> dict[str, Any]:
    """The corrected JSON Schema (draft-07) for specialization-points files."""
    text = resources.files("xaas_parsl.schemas").joinpath(
        "specialization-points.schema.json"
    ).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def normalise_keys(data: dict[str, Any]) -> dict[str, Any]:
    """Accept ``fft_libraries`` on input; the canonical key is ``FFT_libraries``."""
    if "fft_libraries" in data and "FFT_libraries" not in data:
        data = {("FFT_libraries" if k == "fft_libraries" else k): v for k, v in data.items()}
    return data


def spec_from_dict(data: Any, source: str | Path = "<spec>") -> SpecPoints:
    """Validate ``data`` and build the typed view; errors name ``source``."""
    if not isinstance(data, dict):
        raise InputError(
            f"not a specialization-points file: expected a JSON object, got {type(data).__name__}",
            source,
        )
    data = normalise_keys(data)
    validate(data, spec_schema(), source, "specialization-points file")
    return SpecPoints(
        gpu_build=bool(data["gpu_build"]["value"]),
        gpu_build_flag=data["gpu_build"]["build_flag"],
        gpu_backends=tuple(
            BackendEntry(k, v["build_flag"], v["used_as_default"], v["minimum_version"])
            for k, v in data["gpu_backends"].items()
        ),
        parallel_libraries=tuple(
            BackendEntry(k, v["build_flag"], v["used_as_default"], v["minimum_version"])
            for k, v in data["parallel_programming_libraries"].items()
        ),
        linear_algebra=tuple(
            BlasEntry(k, v["build_flag"], v["used_as_default"], v.get("condition"))
            for k, v in data["linear_algebra_libraries"].items()
        ),
        fft=tuple(
            FftEntry(
                k, v["build_flag"], v["used_as_default"], v["built-in"], v.get("dependencies")
            )
            for k, v in data["FFT_libraries"].items()
        ),
        simd=tuple(
            SimdEntry(k, v["build_flag"], v["default"])
            for k, v in data["simd_vectorization"].items()
        ),
        compilers={k: v["minimum_version"] for k, v in data["compilers"].items()},
        architectures=tuple(data["architectures"]),
        build_system=data["build_system"]["type"],
        build_system_minimum=data["build_system"]["minimum_version"],
        internal_build_library=data["internal_build"]["library_name"],
        internal_build_flag=data["internal_build"]["build_flag"],
        raw=data,
        source=str(source),
    )


def load_spec(path: str | Path) -> SpecPoints:
    """Read and validate a specialization-points JSON file."""
    return spec_from_dict(load_json(path), path)
