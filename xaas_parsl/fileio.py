"""Reading and writing the JSON/YAML files every subpackage exchanges.

Loading validates against a JSON Schema when one is given, and every failure becomes an
``InputError`` naming the file and the first problem (with its JSON pointer), so users see one
clear line instead of a traceback. Writing is atomic (temporary file + rename), so an interrupted
run never leaves a half-written report that a later step would trust.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from xaas_parsl.budget import MAX_BYTES, check_size, parse_json, parse_yaml
from xaas_parsl.errors import InputError


def read_text(path: str | Path, limit: int = MAX_BYTES) -> str:
    """Return a file's text, or raise ``InputError`` saying why it cannot be read; at most
    ``limit`` bytes are read (a FIFO or ``/dev/zero`` ends in a ``BudgetError``, not a hang
    filling memory)."""
    p = Path(path)
    try:
        with p.open("rb") as handle:
            data = handle.read(limit + 1)
        check_size(len(data), p, limit)
        return data.decode("utf-8")
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
        return parse_json(text, path)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path
        ) from None


def load_yaml(path: str | Path) -> Any:
    """Parse a YAML file; syntax errors name the line."""
    text = read_text(path)
    try:
        data = parse_yaml(text, path)
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
    return json.dumps(finite(data), indent=2, sort_keys=False, allow_nan=False) + "\n"


def finite(data: Any) -> Any:
    """``data`` with NaN/infinite floats as ``null``: ``NaN`` is not JSON, and readers of our
    files (jq, JSON Schema validators, browsers) reject it."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, Mapping):
        return {k: finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [finite(v) for v in data]
    return data


def write_error(exc: OSError, path: str | Path) -> InputError:
    """The one-line error for an output that cannot be written (read-only, a directory, ...)."""
    reason = exc.strerror or str(exc)
    where = exc.filename if exc.filename and str(exc.filename) != str(path) else None
    return InputError(f"cannot write: {reason}" + (f" ({where})" if where else ""), path)


def output_dir(path: str | Path) -> Path:
    """Create the output directory ``path`` (with parents); an existing file, a read-only
    parent or ``/proc`` becomes one ``InputError`` before anything is written."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError("cannot write: exists and is not a directory", p)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(exc, p) from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise InputError("cannot write: permission denied", p)
    return p


def check_output(path: str | Path, directory: bool = False) -> Path:
    """Fail early (before any work) when ``path`` cannot become an output file (or, with
    ``directory``, an output directory): an existing directory/file of the wrong kind, or a
    nearest existing ancestor that is not a writable directory. Creates nothing."""
    p = Path(path)
    if p.exists():
        if directory and not p.is_dir():
            raise InputError("cannot write: exists and is not a directory", p)
        if not directory and p.is_dir():
            raise InputError("cannot write: is a directory", p)
    parent = p if directory else p.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"cannot write: {parent} is not a directory", p)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write: {parent} is not writable", p)
    try:  # access() says yes to root on /proc and /sys: only creating a file tells
        fd, probe = tempfile.mkstemp(prefix=".xaas-probe.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise write_error(exc, p) from None
    os.close(fd)
    os.unlink(probe)
    return p


def write_atomic(path: str | Path, text: str | bytes) -> Path:
    """Write ``text`` to ``path`` atomically: readers see the old file or the new, never half.

    The text goes to a temporary file beside ``path`` that is renamed over it, so a failure
    (disk full, a signal) leaves the old file untouched; every ``OSError`` (read-only,
    a directory, ``/proc/...``) becomes one ``InputError`` naming ``path``."""
    p = Path(path)
    if p.is_dir():
        raise InputError("cannot write: is a directory", p)
    output_dir(p.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise write_error(exc, p) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        os.replace(tmp, p)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise write_error(exc, p) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def write_json(path: str | Path, data: Any) -> Path:
    """Atomically write ``data`` as JSON."""
    return write_atomic(path, dump_json(data))
