"""A definition using every state type (switch, repeat, failure, loop, map with a two-state body,
parallel with a map-rooted branch), runnable with the flow tests' stub functions
(``tests/flow/functions``), and inputs that take each switch path."""

from __future__ import annotations

from typing import Any

EVERYTHING: dict[str, Any] = {"root": "pick", "states": {
    "pick": {"type": "switch", "cases": [
        {"var": "kind.name", "op": "==", "val": "a", "next": "chain"},
        {"var": "n", "op": "<", "val": 3, "next": "each"}], "default": "fan"},
    "chain": {"type": "repeat", "func_name": "inc", "count": 3, "next": "risky"},
    "risky": {"type": "task", "func_name": "fail", "failure": "undo"},
    "undo": {"type": "task", "func_name": "echo"},
    "each": {"type": "loop", "func_name": "echo", "array": "xs", "next": "fan"},
    "fan": {"type": "parallel", "parallel_functions": [
        {"root": "m", "states": {"m": {"type": "map", "array": "xs", "root": "a", "states": {
            "a": {"type": "task", "func_name": "inc", "next": "b"},
            "b": {"type": "task", "func_name": "double"}}}}},
        {"root": "t", "states": {"t": {"type": "task", "func_name": "echo", "next": "u"},
                                 "u": {"type": "task", "func_name": "inc"}}}]},
}}

EVERYTHING_INPUTS: tuple[tuple[str, Any], ...] = (
    ("string-case", {"kind": {"name": "a"}, "n": 5, "xs": [1, 2, 3]}),
    ("number-case", {"kind": {"name": "b"}, "n": 1, "xs": [1, 2]}),
    ("kinds-differ", {"kind": {"name": "b"}, "n": "1", "xs": [4]}),
    ("case-sensitive", {"kind": {"name": "A"}, "n": 7, "xs": []}),
)
