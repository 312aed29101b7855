"""Reading and writing the JSON/YAML files every subpackage exchanges.

Loading validates against a JSON Schema when one is given, and every failure becomes an
``InputError`` naming the file and the first problem (with its JSON pointer), so users see one
clear line instead of a traceback. Writing is atomic (temporary file + rename), so an interrupted
run never leaves a half-written report that a later step would trust.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from xaas_parsl.errors import InputError


def read_text(path: str | Path) -> str:
    """Return a file's text, or raise ``InputError`` saying why it cannot be read."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", p) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", p) from None
    except PermissionError:
        raise InputError("permission denied", p) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", p) from None
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), p) from None


def load_json(path: str | Path) -> Any:
    """Parse a JSON file; syntax errors name the line and column."""
    text = read_text(path)
    if not text.strip():
        raise InputError("file is empty, expected JSON", path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path
        ) from None


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; syntax errors name the line."""
    text = read_text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"invalid YAML{where}: {problem}", path) from None
    if data is None:
        raise InputError("file is empty, expected YAML", path)
    return data


def load_data(path: str | Path) -> Any:
    """Load JSON or YAML, chosen by the file extension (JSON is also valid YAML)."""
    suffix = Path(path).suffix.lower()
    return load_yaml(path) if suffix in {".yaml", ".yml"} else load_json(path)


def validate(data: Any, schema: Mapping[str, Any], path: str | Path, what: str) -> None:
    """Validate ``data`` against ``schema``; the error names the JSON pointer and the problem."""
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        raise InputError(f"not a valid {what}: at {pointer}: {error.message}", path)


def dump_json(data: Any) -> str:
    """Canonical JSON text used for every file and stdout document we write."""
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def write_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically: readers see the old file or the new, never half."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def write_json(path: str | Path, data: Any) -> Path:
    """Atomically write ``data`` as JSON."""
    return write_atomic(path, dump_json(data))
