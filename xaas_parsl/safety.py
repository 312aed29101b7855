"""Allow-list validators for every input-derived string that names a file, lands in generated
code or text, or reaches a shell or a batch script.

Bundles, app descriptors, workflow definitions, site settings and network peers come from other
people, so none of their strings is trusted. Each *kind* of string has exactly one validator
here, written as what is allowed (a character set, a length, a form), never as a list of bad
payloads seen: a payload nobody thought of fails the same way. Callers validate at the boundary
where the string starts to mean something (before a path is joined, code is rendered or a
provider is built), and every failure is an ``InputError`` naming the file, so the CLI prints
``xaas: error: <file>: <problem>`` and exits 1 before anything was written.

The audit of where each validator is called is ``docs/security.md``.
"""

from __future__ import annotations

import keyword
import re
from pathlib import Path, PurePosixPath
from typing import Final, Literal

from xaas_parsl.errors import InputError

Where = str | Path | None

# -- paths -----------------------------------------------------------------------------------


def inside(root: str | Path, relative: str, what: str, where: Where = None, *,
           follow_last: bool = True) -> Path:
    """``root / relative``, refused unless it stays inside ``root``.

    ``relative`` must be a non-empty relative POSIX path without ``..`` components or NUL.
    With ``follow_last`` (files we read or replace) the whole path is resolved, symlinks
    followed, and must stay under the resolved root, so a symlink planted in the tree (``out
    -> /etc``) cannot redirect a write. Without it (archive members, which may *be* symlinks)
    no existing parent directory may be a symlink, and the last component is taken as is.
    """
    if not isinstance(relative, str) or not relative or "\0" in relative:
        raise InputError(f"{what} {relative!r} is not a relative path", where)
    pure = PurePosixPath(relative)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise InputError(f"{what} {relative!r} leaves its root (absolute or '..')", where)
    base = Path(root).resolve()
    if not follow_last:
        current = base
        for part in pure.parts[:-1]:
            current = current / part
            if current.is_symlink():
                raise InputError(f"{what} {relative!r} passes through the symlink "
                                 f"{current.relative_to(base)}", where)
        return base / pure
    target = (base / pure).resolve()
    if target == base or not target.is_relative_to(base):
        raise InputError(f"{what} {relative!r} resolves outside {base}", where)
    return base / pure


def path_component(name: str, what: str, where: Where = None) -> str:
    """One file-name component: no separator, not ``.``/``..``, no NUL (whiteout targets)."""
    if not name or name in {".", ".."} or "/" in name or "\0" in name:
        raise InputError(f"{what} {name!r} is not a single file name", where)
    return name


# -- configuration names ---------------------------------------------------------------------

#: Matrix values and configuration names: letters, digits and ``_ . + -``, starting with a
#: letter, digit or ``_``; they become directory and file names (``builds/<NAME>/``,
#: ``configs/<NAME>.json``), so ``/``, ``..`` and leading dots are impossible by construction.
CONFIG_NAME: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")


def config_name(name: object, where: Where = None, what: str = "configuration name") -> str:
    """A configuration (or matrix value) name, checked against ``CONFIG_NAME``."""
    if not isinstance(name, str) or not CONFIG_NAME.fullmatch(name):
        raise InputError(f"{what} {name!r} is not allowed (letters, digits and _ . + -, "
                         "at most 128, not starting with . + -)", where)
    return name


def bundle_digest(digest: object, where: Where = None) -> str:
    """A store key: exactly 64 lowercase hex digits (``store/<sha256>.bc``)."""
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InputError(f"IR hash {digest!r} is not a SHA-256 hex digest", where)
    return digest


# -- workflow names per target dialect -------------------------------------------------------

#: A workflow function: a module file ``<name>.py``, an import path segment, a URL path segment.
FUNC_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
#: Names the dialects take as *identifiers* (not quoted strings): Python defs in Durable apps,
#: GCP subworkflow and step-name fragments, environment variable keys.
IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: ASL's limit for state names, the strictest of the targets that take names as strings.
STATE_NAME_MAX: Final = 80

Dialect = Literal["sebs", "asl", "gcp", "durable", "cncf"]


def func_name(name: object, where: Where = None) -> str:
    """A workflow function name (it picks a file and a module to import, so no path parts)."""
    if not isinstance(name, str) or not FUNC_NAME.fullmatch(name):
        raise InputError(f"function name {name!r} is not allowed (a Python identifier of at "
                         "most 64 ASCII letters, digits and _)", where)
    return name


def state_name(name: object, dialect: Dialect = "sebs", where: Where = None) -> str:
    """A state name: 1..80 printable characters (no control, format or line-separator
    characters), as every target stores it as a quoted string (JSON, YAML, a Python literal);
    the emitters quote it with ``json.dumps``/``repr``/the YAML dumper, never paste it bare."""
    if not isinstance(name, str) or not 0 < len(name) <= STATE_NAME_MAX \
            or not name.isprintable() or name != name.strip():
        raise InputError(f"state name {name!r} is not allowed in {dialect} (1 to "
                         f"{STATE_NAME_MAX} printable characters, no surrounding space)", where)
    return name


def identifier(name: object, what: str, where: Where = None) -> str:
    """An identifier of the generated language (ASCII, not a Python keyword)."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name) or keyword.iskeyword(name):
        raise InputError(f"{what} {name!r} is not an identifier ([A-Za-z_][A-Za-z0-9_]*)",
                         where)
    return name


def doc_text(text: str) -> str:
    """``text`` safe inside a generated triple-quoted docstring or ``#`` comment: backslashes,
    control characters, newlines and non-ASCII become Python escapes, double quotes ``\\"``,
    so the text can neither end the docstring nor start a new line."""
    return str(text).encode("unicode_escape").decode("ascii").replace('"', '\\"')


# -- scheduler settings ----------------------------------------------------------------------

#: Each site setting with the form its scheduler accepts. Slurm and PBS Pro names (accounts,
#: partitions, queues, QOS, reservations) are letters, digits and ``_ . -``; uenv images are
#: ``name/version:tag[@system]``; views a comma list of ``[image:]view``; modules
#: ``name[/version]``; PBS filesystems ``a:b:c``. No setting admits space, quotes, ``;``, ``$``,
#: backticks or a newline, so none can end a batch-script line or start a shell command.
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
SETTINGS: Final[dict[str, re.Pattern[str]]] = {
    "account": re.compile(_NAME),
    "partition": re.compile(_NAME),
    "queue": re.compile(_NAME),
    "qos": re.compile(_NAME),
    "reservation": re.compile(_NAME),
    "node_type": re.compile(_NAME),
    "site": re.compile(_NAME),
    "uenv": re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*(/[A-Za-z0-9_.+-]+)?(:[A-Za-z0-9_.+-]+)?"
                       r"(@[A-Za-z0-9_.-]+)?"),
    "view": re.compile(r"[A-Za-z0-9_.+-]+(:[A-Za-z0-9_.+-]+)?(,[A-Za-z0-9_.+-]+"
                       r"(:[A-Za-z0-9_.+-]+)?)*"),
    "module": re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*(/[A-Za-z0-9_.+-]+)*"),
    "filesystems": re.compile(r"[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*"),
    "walltime": re.compile(r"\d{1,3}:[0-5]\d:[0-5]\d"),
    "nodelist": re.compile(r"[A-Za-z0-9_.,\[\]-]+"),
    "env_key": IDENTIFIER,
    "label_key": re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}"),
}

Setting = Literal["account", "partition", "queue", "qos", "reservation", "node_type", "site",
                  "uenv", "view", "module", "filesystems", "walltime", "nodelist", "env_key",
                  "label_key"]


def setting(kind: Setting, value: object, where: Where = None) -> str:
    """A scheduler/site setting, checked against its form in ``SETTINGS``."""
    if not isinstance(value, str) or len(value) > 256 or not SETTINGS[kind].fullmatch(value):
        raise InputError(f"{kind.replace('_', ' ')} {value!r} is not a valid scheduler "
                         f"setting (allowed: {SETTINGS[kind].pattern})", where)
    return value


def optional_setting(kind: Setting, value: str | None, where: Where = None) -> str | None:
    """``setting`` for a value that may be absent."""
    return None if value is None else setting(kind, value, where)
