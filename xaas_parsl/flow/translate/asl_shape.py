"""The JSON shape of the ASL fields the parser reads, as a JSON Schema (draft 2020-12).

Checked before ``asl_parse`` interprets anything, so a field of the wrong type (``Choices`` as a
string, ``Retry`` as an object, ...) is reported as one line naming the state and the field
instead of surfacing as a Python exception deep in the parser. It describes types only: which
constructs are *supported* is the parser's business, and what is valid ASL at all is for
``statelint``/``asl-validator``.
"""

from __future__ import annotations

from typing import Any

import jsonschema

_STR = {"type": "string"}
_PATH = {"type": ["string", "null"]}

ASL_SHAPE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$ref": "#/$defs/machine",
    "$defs": {
        "machine": {
            "type": "object",
            "required": ["StartAt", "States"],
            "properties": {
                "StartAt": _STR, "Comment": _STR, "QueryLanguage": _STR,
                "States": {"type": "object", "minProperties": 1,
                           "additionalProperties": {"$ref": "#/$defs/state"}},
            },
        },
        "state": {
            "type": "object",
            "required": ["Type"],
            "properties": {
                "Type": _STR, "Comment": _STR, "Next": _STR, "End": {"type": "boolean"},
                "Resource": _STR, "InputPath": _PATH, "OutputPath": _PATH, "ResultPath": _PATH,
                "Parameters": {"type": "object",
                               "properties": {"FunctionName": _STR}},
                "ItemSelector": {"$ref": "#/$defs/selector"},
                "ResultSelector": {"$ref": "#/$defs/selector"},
                "TimeoutSeconds": {"type": "number", "exclusiveMinimum": 0},
                "Retry": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "ErrorEquals": {"type": "array", "items": _STR},
                        "MaxAttempts": {"type": "integer", "minimum": 0},
                        "IntervalSeconds": {"type": "number", "exclusiveMinimum": 0},
                        "BackoffRate": {"type": "number", "minimum": 1}}}},
                "Catch": {"type": "array", "items": {
                    "type": "object", "required": ["Next"],
                    "properties": {"ErrorEquals": {"type": "array", "items": _STR},
                                   "Next": _STR, "ResultPath": _PATH}}},
                "ItemsPath": _STR,
                "MaxConcurrency": {"type": "integer", "minimum": 0},
                "ItemProcessor": {"$ref": "#/$defs/processor"},
                "Iterator": {"$ref": "#/$defs/processor"},
                "Branches": {"type": "array", "items": {"$ref": "#/$defs/machine"}},
                "Choices": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
                "Default": _STR,
            },
        },
        "selector": {"type": "object", "patternProperties": {r"\.\$$": _STR}},
        "processor": {
            "allOf": [{"$ref": "#/$defs/machine"}],
            "properties": {"ProcessorConfig": {"type": "object",
                                               "properties": {"Mode": _STR}}},
        },
        "rule": {
            "type": "object",
            "properties": {
                "Variable": _STR, "Next": _STR,
                "And": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
                "Or": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
                "Not": {"$ref": "#/$defs/rule"},
            },
        },
    },
}


def shape_error(machine: Any) -> tuple[str, str] | None:
    """``(state name or '<top level>', message)`` for the first shape error, else ``None``."""
    validator = jsonschema.Draft202012Validator(ASL_SHAPE)
    error = jsonschema.exceptions.best_match(validator.iter_errors(machine))
    if error is None:
        return None
    path = list(error.absolute_path)
    state = "<top level>"
    for i, part in enumerate(path[:-1]):
        if part == "States" and isinstance(path[i + 1], str):
            state = path[i + 1]
    field = "/".join(str(p) for p in path) or "/"
    return state, f"malformed ASL at {field}: {error.message}"
