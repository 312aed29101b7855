"""Budgets every loader and evaluator of untrusted input keeps: size, depth, count and time.

Input files are untrusted (bundles, app descriptors, workflow definitions, site settings), and
the cheap attacks are the old ones: a file of gigabytes, JSON nested 100,000 deep (Python's
parsers and every recursive walk after them die of ``RecursionError``), a 400-byte YAML "alias
bomb" whose anchors expand to billions of nodes when walked (PyYAML shares the aliased objects,
so loading is fast and the first walk hangs), a ``repeat`` count of 10^12, a matrix of 2^24
configurations, a ``NaN`` timeout that disables every deadline. Each of these ends here in one
``BudgetError`` (an ``InputError``: one ``xaas: error: <file>: <problem>`` line, exit 1) before
any work is done.

The limits are far above anything real (the largest reference workflow has ~40 states; site
files are a few KiB) and are module constants, so tests and users can see them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml

from xaas_parsl.errors import InputError

MAX_BYTES = 32 * 1024 * 1024
"""Largest input file read as text."""
MAX_DEPTH = 200
"""Deepest nesting of objects/arrays in a JSON/YAML document."""
MAX_NODES = 500_000
"""Most values in one document, counted with aliases expanded (this is what bounds a YAML
alias bomb: the walk stops at the budget, it never expands the whole tree)."""
MAX_COUNT = 10_000
"""Largest repetition count in a workflow (``repeat``): each is one function call."""
MAX_CONFIGS = 4096
"""Most configurations a build matrix may expand to."""


class BudgetError(InputError):
    """An input exceeds one of the budgets above."""


def check_size(size: int, source: str | Path, limit: int = MAX_BYTES) -> None:
    """``BudgetError`` when an input of ``size`` bytes is larger than ``limit``."""
    if size > limit:
        raise BudgetError(f"input of {size} bytes exceeds the budget of {limit} bytes", source)


def check_tree(data: Any, source: str | Path, max_depth: int = MAX_DEPTH,
               max_nodes: int = MAX_NODES) -> None:
    """Walk ``data`` iteratively (no recursion) and stop at the first budget exceeded.

    Shared (aliased) sub-trees count once per place they appear, as every later walk sees
    them; a self-referential YAML anchor is caught by the depth budget."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise BudgetError(f"more than {max_nodes} values (YAML aliases expanded): exceeds "
                              "the budget", source)
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        if depth >= max_depth:
            raise BudgetError(f"nested deeper than {max_depth} levels: exceeds the budget",
                              source)
        stack.extend((child, depth + 1) for child in children)


def parse_json(text: str, source: str | Path, **kwargs: Any) -> Any:
    """``json.loads`` within the budgets (keyword arguments go to ``json.loads``); syntax
    errors stay ``json.JSONDecodeError`` for the caller to word."""
    check_size(len(text), source)

    def no_constant(name: str) -> Any:
        raise InputError(f"{name} is not JSON (Python's parser accepts it, nothing else does)",
                         source)

    kwargs.setdefault("parse_constant", no_constant)
    try:
        data = json.loads(text, **kwargs)
    except RecursionError:
        raise BudgetError(f"nested deeper than {MAX_DEPTH} levels: exceeds the budget",
                          source) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4300 digits
        raise BudgetError(f"number too long: {exc}".split(";")[0], source) from None
    check_tree(data, source)
    return data


def check_yaml_text(text: str, source: str | Path) -> None:
    """Size and flow-nesting budgets of YAML text, checked before PyYAML sees it: its scanner
    takes seconds over 100,000 nested ``[`` before its recursive composer fails. Counting
    brackets outside quotes over-counts only brackets inside plain scalars, which real files
    do not nest hundreds deep."""
    check_size(len(text), source)
    depth = deepest = 0
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise BudgetError(f"nested deeper than {MAX_DEPTH} levels: exceeds the budget", source)


def parse_yaml(text: str, source: str | Path,
               loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """``yaml.load`` with a safe loader within the budgets (alias expansion bounded by
    :data:`MAX_NODES`); syntax errors stay ``yaml.YAMLError``."""
    check_yaml_text(text, source)
    try:
        data = yaml.load(text, Loader=loader)  # a SafeLoader (subclass): no Python objects
    except RecursionError:
        raise BudgetError(f"nested deeper than {MAX_DEPTH} levels: exceeds the budget",
                          source) from None
    except yaml.YAMLError:
        raise
    except ValueError as exc:  # an integer of more than 4300 digits
        raise BudgetError(f"number too long: {exc}".split(";")[0], source) from None
    check_tree(data, source)
    return data


def check_count(count: int, what: str, source: str | Path, limit: int = MAX_COUNT) -> int:
    """``count`` when it is within ``limit``, else ``BudgetError`` naming ``what``."""
    if count > limit:
        raise BudgetError(f"{what} {count} exceeds the budget of {limit}", source)
    return count


def finite_seconds(value: float, what: str, source: str | Path | None = None) -> float:
    """``value`` when it is a finite, non-negative number of seconds: ``nan`` compares false
    with everything, so ``timeout=nan`` would silently disable a deadline."""
    if not math.isfinite(value) or value < 0:
        raise BudgetError(f"{what} must be a finite number of seconds >= 0, not {value}",
                          source)
    return value

