"""A number → itself; a negative number raises (for loops that stop at the first failure)."""

from __future__ import annotations


def handler(payload: float) -> float:
    if payload < 0:
        raise ValueError(f"negative: {payload}")
    return payload
