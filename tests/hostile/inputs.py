"""Hostile file contents: each is valid-looking enough to reach a parser and wrong enough that
a loader without budgets crashes, hangs or accepts it."""

from __future__ import annotations

DEPTH = 100_000

ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]"
       for i in range(8)]
    + ["root: [*i, *i, *i, *i, *i, *i, *i, *i, *i]", ""]).encode()

CONTENTS: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"  \n\t\n",
    "binary": bytes(range(256)),
    "not-utf8": b'{"name": "\xff\xfe"}',
    "truncated-json": b'{"root": "a", "states": {"a": {',
    "deep-json-arrays": b"[" * DEPTH + b"]" * DEPTH,
    "deep-json-objects": b'{"a":' * DEPTH + b"1" + b"}" * DEPTH,
    "deep-yaml-block": "".join(f"{' ' * i}k:\n" for i in range(1200)).encode() + b" " * 1200
    + b"v\n",
    "yaml-alias-bomb": ALIAS_BOMB,
    "yaml-self-alias": b"&a [*a]\n",
    "json-long-integer": b'{"n": ' + b"9" * 10_000 + b"}",
    "json-nan": b'{"n": NaN, "m": Infinity}',
    "wrong-type-list": b"[1, 2, 3]",
    "wrong-type-string": b'"just a string"',
    "wrong-type-null": b"null",
    "duplicate-keys": b'{"a": 1, "a": 2}',
    "yaml-python-tag": b"!!python/object/apply:os.system ['true']\n",
    "huge-repeat": b'{"root": "r", "states": {"r": {"type": "repeat", "func_name": "inc", '
                   b'"count": 1000000000000}}}',
}
