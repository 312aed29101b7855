"""Reading Cloud Workflows YAML for ``gcp_parse``: line-numbered data, expressions, paths.

Kept apart from the parser's grammar so each stays small: this module knows YAML and the
``${...}`` expression syntax, ``gcp_parse`` knows which step shapes mean which state.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from xaas_parsl.budget import MAX_DEPTH, MAX_NODES, BudgetError
from xaas_parsl.errors import InputError

_EXPR = re.compile(r"^\$\{(.*)\}$", re.S)
_SEGMENT = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*("(?:[^"\\]|\\.)*"|\d+)\s*\]')
TYPED = re.compile(r"^get_type\((?P<left>.+?)\) (?:==|in) .+? and (?P=left) "
                    r"(?P<op><=|>=|==|!=|<|>) (?P<val>.+)$", re.S)
PLAIN = re.compile(r"^(?P<left>[A-Za-z_]\S*?)\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<val>.+)$", re.S)


class Reject(Exception):
    def __init__(self, step: str, line: int | None, problem: str) -> None:
        where = f" (line {line})" if line else ""
        super().__init__(f"step {step!r}{where}: {problem}")


def expr_code(value: Any) -> str | None:
    """The code of ``${...}``, or None for a literal."""
    if isinstance(value, str):
        match = _EXPR.match(value.strip())
        if match:
            return match.group(1).strip()
    return None


def model_path(code: str, root: str) -> str | None:
    """``root["a"].b[0]`` → ``"a.b.0"``; None when ``code`` is not a path under ``root``."""
    if not code.startswith(root):
        return None
    rest, parts = code[len(root):], []
    while rest:
        match = _SEGMENT.match(rest)
        if not match:
            return None
        parts.append(match.group(1) or (json.loads(match.group(2))
                                        if match.group(2).startswith('"') else match.group(2)))
        rest = rest[match.end():]
    return ".".join(str(p) for p in parts) if parts else None


class Composer:
    """YAML → plain data, remembering each mapping's line (PyYAML nodes carry marks)."""

    def __init__(self) -> None:
        self.lines: dict[int, int] = {}
        self.nodes = 0
        self.scalars = yaml.SafeLoader("")  # one constructor for every scalar (not one each)

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        """Aliases are expanded (each use becomes its own object), within the budgets: at most
        ``MAX_NODES`` values and ``MAX_DEPTH`` levels, so an alias bomb or a self-referential
        anchor is one ``BudgetError``."""
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise BudgetError(f"more than {MAX_NODES} values (YAML aliases expanded): exceeds "
                              "the budget")
        if depth > MAX_DEPTH:
            raise BudgetError(f"nested deeper than {MAX_DEPTH} levels: exceeds the budget")
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, depth + 1)
                if key in out:
                    raise InputError(f"duplicate key {key!r} at line "
                                     f"{key_node.start_mark.line + 1}")
                out[key] = self.build(value_node, depth + 1)
            self.lines[id(out)] = node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, depth + 1) for v in node.value]
        try:
            return self.scalars.construct_object(node)
        except ValueError as exc:  # an integer of more than 4300 digits
            raise BudgetError(f"number too long: {exc}".split(";")[0]) from None


def retry_policy(name: str, spec: Any, line: int | None) -> dict[str, Any]:
    """A step's ``retry`` (``max_retries``, ``backoff``) as the model's retry policy."""
    if not isinstance(spec, dict) or "max_retries" not in spec:
        raise Reject(name, line, "retry needs max_retries")
    backoff = spec.get("backoff") or {}
    out: dict[str, Any] = {"max_attempts": int(spec["max_retries"]) + 1}
    if "initial_delay" in backoff:  # seconds (Cloud Workflows) = interval_s
        out["interval_s"] = float(backoff["initial_delay"])
    if "multiplier" in backoff:
        out["backoff_rate"] = float(backoff["multiplier"])
    return out


def switch_case(name: str, cond: Any, line: int | None, payload: str) -> tuple[str, str, Any]:
    """A switch ``condition`` (``${payload.a.b <op> <literal>}``) as (path, op, value)."""
    code = expr_code(cond) or ""
    match = TYPED.match(code) or PLAIN.match(code)
    path = model_path(match.group("left").strip(), payload) if match else None
    if match is None or path is None:
        raise Reject(name, line, f"unsupported switch condition {cond!r} (use "
                      f"${{{payload}.a.b <op> <literal>}})")
    try:
        val = json.loads(match.group("val").strip())
    except json.JSONDecodeError:
        raise Reject(name, line, f"switch value {match.group('val')!r} is not a "
                      "literal (quote strings)") from None
    if isinstance(val, bool) or not isinstance(val, int | float | str):
        raise Reject(name, line, "switch values are numbers or strings")
    return path, match.group("op"), val
