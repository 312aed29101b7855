"""Reading ASL for ``asl_parse``: the fields each state type may have, JSONPath → model path,
the metadata ``asl_emit`` leaves in ``Comment``, duplicate keys and line numbers.

Kept apart from the parser's grammar so each stays small (as ``gcp_syntax`` is for
``gcp_parse``): this module knows ASL's syntax, ``asl_parse`` which state shapes mean which state.
"""

from __future__ import annotations

import json
import re
from typing import Any

from xaas_parsl.flow.translate.asl_emit import META

TASK_KEYS = {"Type", "Comment", "Resource", "Parameters", "OutputPath", "ResultSelector",
              "ResultPath", "InputPath", "Next", "End", "Catch", "Retry", "TimeoutSeconds"}
MAP_KEYS = {"Type", "Comment", "ItemsPath", "ItemProcessor", "Iterator", "ItemSelector",
             "Parameters", "ResultPath", "MaxConcurrency", "Next", "End", "InputPath",
             "OutputPath"}
PARALLEL_KEYS = {"Type", "Comment", "Branches", "ResultSelector", "Next", "End"}
CHOICE_KEYS = {"Type", "Comment", "Choices", "Default"}
OPS = {"Equals": "==", "LessThan": "<", "LessThanEquals": "<=", "GreaterThan": ">",
        "GreaterThanEquals": ">="}
_PATH_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")


class Reject(Exception):
    """A construct outside the subset: (state, message); the parser adds file and line."""

    def __init__(self, state: str, message: str) -> None:
        super().__init__(state, message)
        self.state = state
        self.message = message


def model_path(jsonpath: Any, state: str, what: str) -> str:
    """``$.a.b`` / ``$['a-b'][0]`` → dotted ``a.b`` / ``a-b.0``."""
    if not isinstance(jsonpath, str) or not jsonpath.startswith("$") or jsonpath == "$":
        raise Reject(state, f"{what} {jsonpath!r} must be a JSONPath below '$'")
    segments: list[str] = []
    pos = 1
    while pos < len(jsonpath):
        found = _PATH_SEGMENT.match(jsonpath, pos)
        if found is None:
            raise Reject(state, f"{what} {jsonpath!r} is not a plain JSONPath (only .name, "
                                 "[index] and ['name'] segments)")
        name, index, quoted = found.groups()
        segment = name if name is not None else index if index is not None else \
            re.sub(r"\\(.)", r"\1", quoted)
        if "." in segment:
            raise Reject(state, f"{what} {jsonpath!r}: a key containing '.' cannot be a "
                                 "SeBS path")
        segments.append(segment)
        pos = found.end()
    return ".".join(segments)


def meta_of(state: dict[str, Any]) -> dict[str, Any]:
    comment = state.get("Comment")
    if isinstance(comment, str) and comment.startswith(META):
        try:
            data = json.loads(comment[len(META):])
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}
    return {}


def line_of(text: str, name: str) -> int | None:
    """Line of the first ``"name": {`` in the text (state names are unique in ASL)."""
    found = re.search(re.escape(json.dumps(name)) + r"\s*:\s*\{", text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise Reject(key, f"duplicate key {key!r}")
    return dict(pairs)
