"""The policy that turns "what is possible" into one configuration.

Defaults implement docs/architecture.md (GROMACS's SIMD table, FMA-unit rule, SVE rule) and simple,
explainable library rules. Users override with *preferences* (soft: an ordered wish list, the
first available wins) and *pins* (hard: that exact entry or an error). Both are keyed by section:
``simd``, ``gpu_backend``, ``fft``, ``gpu_fft``, ``blas``, ``compiler``; MPI and OpenMP are
switched with ``use_mpi`` / ``use_openmp``.

A policy can be written as YAML/JSON (``xaas intersect --policy FILE``)::

    prefer: {gpu_backend: [HIP, CUDA], fft: [fftw3]}
    pin: {simd: AVX2_256}
    use_gpu: true        # false: CPU-only build; omitted: use a GPU when one is usable
    use_mpi: null        # true/false forces; null: MPI when the node has one
    fma_units: 1         # override the AVX-512 FMA unit count
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_data, validate

SECTIONS = ("simd", "gpu_backend", "fft", "gpu_fft", "blas", "compiler")

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "prefer": {
            "type": "object",
            "propertyNames": {"enum": list(SECTIONS)},
            "additionalProperties": {
                "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
        },
        "pin": {
            "type": "object",
            "propertyNames": {"enum": list(SECTIONS)},
            "additionalProperties": {"type": "string"},
        },
        "use_gpu": {"type": ["boolean", "null"]},
        "use_mpi": {"type": ["boolean", "null"]},
        "use_openmp": {"type": ["boolean", "null"]},
        "fma_units": {"type": ["integer", "null"], "minimum": 1, "maximum": 2},
    },
}


@dataclass(frozen=True)
class Policy:
    """How to choose among available entries; the empty policy is the default choice."""

    prefer: dict[str, tuple[str, ...]] = field(default_factory=dict)
    pin: dict[str, str] = field(default_factory=dict)
    use_gpu: bool | None = None
    use_mpi: bool | None = None
    use_openmp: bool | None = None
    fma_units: int | None = None

    def preferred(self, section: str) -> tuple[str, ...]:
        """The user's ordered wishes for a section (a pin counts as the only wish)."""
        if section in self.pin:
            return (self.pin[section],)
        return self.prefer.get(section, ())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form, recorded in reports so a choice can be reproduced."""
        return {
            "prefer": {k: list(v) for k, v in self.prefer.items()},
            "pin": dict(self.pin),
            "use_gpu": self.use_gpu,
            "use_mpi": self.use_mpi,
            "use_openmp": self.use_openmp,
            "fma_units": self.fma_units,
        }


def policy_from_dict(data: Any, source: str | Path = "<policy>") -> Policy:
    """Validate and build a policy from its YAML/JSON form."""
    if not isinstance(data, dict):
        raise InputError("a policy must be a mapping", source)
    validate(data, POLICY_SCHEMA, source, "policy")
    prefer = {
        k: (v,) if isinstance(v, str) else tuple(v) for k, v in data.get("prefer", {}).items()
    }
    return Policy(
        prefer=prefer,
        pin=dict(data.get("pin", {})),
        use_gpu=data.get("use_gpu"),
        use_mpi=data.get("use_mpi"),
        use_openmp=data.get("use_openmp"),
        fma_units=data.get("fma_units"),
    )


def load_policy(path: str | Path) -> Policy:
    """Read a policy file (YAML or JSON)."""
    return policy_from_dict(load_data(path), path)


def parse_assignments(items: tuple[str, ...], what: str) -> dict[str, tuple[str, ...]]:
    """Parse CLI ``SECTION=VALUE[,VALUE...]`` items (``--prefer``/``--pin``)."""
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        section, sep, value = item.partition("=")
        section = section.strip()
        if not sep or not value.strip():
            raise InputError(f"--{what} expects SECTION=VALUE, got {item!r}")
        if section not in SECTIONS:
            raise InputError(
                f"--{what}: unknown section {section!r} (one of {', '.join(SECTIONS)})"
            )
        out[section] = tuple(v.strip() for v in value.split(",") if v.strip())
    return out
