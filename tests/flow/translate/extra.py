"""Definitions beyond the nine, for the constructs the nine do not use (switch, loop, repeat,
retry, common_params with dotted keys, result paths, multi-state map bodies, nested parallels,
names reused across scopes), run with the functions of ``tests/flow/functions``.

Each entry is ``(case name, definition, input)``; a definition appears with several inputs where
the path through it differs (switch branches, empty map, a failing loop element).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FUNCTIONS = Path(__file__).resolve().parents[1] / "functions"

SWITCH: dict[str, Any] = {"root": "sw", "states": {
    "sw": {"type": "switch", "cases": [
        {"var": "a.b", "op": ">=", "val": 10, "next": "big"},
        {"var": "name", "op": "!=", "val": "x", "next": "notx"},
        {"var": "name", "op": "<", "val": "y", "next": "low"}],
        "default": "small"},
    "big": {"type": "task", "func_name": "inc"},
    "notx": {"type": "task", "func_name": "inc", "next": "big"},
    "low": {"type": "task", "func_name": "inc", "next": "notx"},
    "small": {"type": "task", "func_name": "echo"}}}

LOOP: dict[str, Any] = {"root": "l", "states": {
    "l": {"type": "loop", "func_name": "positive", "array": "xs", "next": "after"},
    "after": {"type": "task", "func_name": "inc"}}}

REPEAT: dict[str, Any] = {"root": "r", "states": {
    "r": {"type": "repeat", "func_name": "inc", "count": 3, "next": "r2"},
    "r2": {"type": "repeat", "func_name": "inc", "count": 1}}}

# "m" is the top-level map, its body's root and a parallel branch root: SeBS's ASL generator
# produced duplicate state names here; the body has two states (SeBS dropped their ResultPath).
NESTED: dict[str, Any] = {"root": "m", "states": {
    "m": {"type": "map", "array": "items", "result": "out.items", "common_params": "cfg.k,tag",
          "root": "m", "next": "p", "states": {
              "m": {"type": "task", "func_name": "echo", "next": "second"},
              "second": {"type": "task", "func_name": "echo"}}},
    "p": {"type": "parallel", "parallel_functions": [
        {"root": "m2", "states": {"m2": {
            "type": "map", "array": "items", "root": "d",
            "states": {"d": {"type": "task", "func_name": "double"}}}}},
        {"root": "m", "states": {"m": {"type": "task", "func_name": "inc", "next": "inner"},
                                 "inner": {"type": "parallel", "parallel_functions": [
                                     {"root": "x", "states": {"x": {"type": "task",
                                                                    "func_name": "inc"}}},
                                     {"root": "y", "states": {"y": {"type": "task",
                                                                    "func_name": "echo"}}}]}}}]}}}

FAIL_IN_MAP: dict[str, Any] = {"root": "m", "states": {
    "m": {"type": "map", "array": "xs", "root": "p",
          "states": {"p": {"type": "task", "func_name": "positive"}}}}}

RETRY: dict[str, Any] = {"root": "f", "states": {
    "f": {"type": "task", "func_name": "flaky", "timeout_s": 30,
          "retry": {"max_attempts": 3, "interval_s": 1, "backoff_rate": 1.5}}}}

EXTRA: tuple[tuple[str, dict[str, Any], Any], ...] = (
    ("switch-big", SWITCH, {"a": {"b": 12}, "name": "x", "n": 0}),
    ("switch-notx", SWITCH, {"a": {"b": 3.5}, "name": "z", "n": 0}),
    ("switch-low", SWITCH, {"a": {"b": 1}, "name": "x", "n": 0}),
    ("switch-types", SWITCH, {"a": {"b": "12"}, "name": 5, "n": 0}),
    ("switch-float", SWITCH, {"a": {"b": 10.0}, "name": "x", "n": 0}),
    ("loop", LOOP, {"xs": [1, 2, 3], "n": 0}),
    ("loop-fails", LOOP, {"xs": [1, -2, 3], "n": 0}),
    ("repeat", REPEAT, {"n": 0}),
    ("nested", NESTED, {"items": [1, 2], "cfg": {"k": "v"}, "tag": "t", "n": 0}),
    ("nested-empty", NESTED, {"items": [], "cfg": {"k": "v"}, "tag": "t", "n": 5}),
    ("map-fails", FAIL_IN_MAP, {"xs": [1, -1, 2]}),
)
