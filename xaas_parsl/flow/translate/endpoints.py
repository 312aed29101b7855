"""Where each function of a translated workflow lives on each provider, and back.

A definition names functions (``func_name``); a provider's workflow names endpoints (a Lambda ARN,
a Cloud Functions URL, a Durable activity). Three sources, in this order: a mapping file (YAML
``functions: {<name>: {aws: ARN, gcp: URL, azure: activity}}``, validated with jsonschema), an
endpoint base (``--endpoint-base URL`` → ``URL/<func_name>``, for ``xaas flow serve`` and
emulators), or placeholders that keep the function name recoverable
(``arn:aws:lambda:us-east-1:000000000000:function:<name>``,
``https://REGION-PROJECT.cloudfunctions.net/<name>``). The reverse lookup (endpoint → name) is
what lets ``--from asl|gcp`` give back a SeBS definition with the original names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_yaml, validate

Provider = Literal["aws", "gcp", "azure"]

AWS_PLACEHOLDER = "arn:aws:lambda:us-east-1:000000000000:function:{}"
GCP_PLACEHOLDER = "https://REGION-PROJECT.cloudfunctions.net/{}"

MAPPING_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["functions"],
    "additionalProperties": False,
    "properties": {
        "functions": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    "aws": {"type": "string", "pattern": r"^arn:aws[a-z-]*:lambda:"},
                    "gcp": {"type": "string", "pattern": r"^https?://"},
                    "azure": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
                },
            },
        },
    },
}

# arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
_LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$")


@dataclass(frozen=True)
class Endpoints:
    """The endpoint of every function per provider; ``source`` names the mapping file."""

    mapping: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    base: str | None = None
    source: str | None = None

    def _explicit(self, func_name: str, provider: Provider) -> str | None:
        if not self.mapping:
            return None
        entry = self.mapping.get(func_name)
        if entry is None:
            raise InputError(f"function {func_name!r} is not in the mapping file",
                             self.source)
        value = entry.get(provider)
        if value is None:
            raise InputError(f"function {func_name!r} has no {provider!r} endpoint in the "
                             "mapping file", self.source)
        return value

    def aws(self, func_name: str) -> str:
        """Lambda ARN (or ``base/<name>`` URL) for a Task's ``FunctionName``."""
        explicit = self._explicit(func_name, "aws")
        if explicit is not None:
            return explicit
        return f"{self.base}/{func_name}" if self.base else AWS_PLACEHOLDER.format(func_name)

    def gcp(self, func_name: str) -> str:
        """HTTPS URL a Cloud Workflows ``http.post`` calls."""
        explicit = self._explicit(func_name, "gcp")
        if explicit is not None:
            return explicit
        return f"{self.base}/{func_name}" if self.base else GCP_PLACEHOLDER.format(func_name)

    def azure(self, func_name: str) -> str:
        """Durable activity name (a Python identifier derived from the function name)."""
        explicit = self._explicit(func_name, "azure")
        if explicit is not None:
            return explicit
        return re.sub(r"\W", "_", func_name)

    def check(self, func_names: Iterable[str], provider: Provider) -> None:
        """Fail before emitting anything when the mapping lacks one of the functions."""
        for name in func_names:
            self._explicit(name, provider)

    def func_for(self, endpoint: str) -> str:
        """The function name behind an ARN or URL: the mapping first, then the endpoint's form.

        ``ValueError`` when the endpoint names no function (the parser adds state and line).
        """
        for name, entry in self.mapping.items():
            if endpoint in entry.values():
                return name
        if self.base and endpoint.startswith(self.base.rstrip("/") + "/"):
            return endpoint[len(self.base.rstrip("/")) + 1:]
        arn = _LAMBDA_ARN.match(endpoint)
        if arn:
            return arn.group(1)
        if re.match(r"^https?://", endpoint):
            tail = endpoint.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            if tail and "." not in tail and ":" not in tail:
                return tail
        raise ValueError(f"cannot tell which function {endpoint!r} is (not in the mapping, "
                         "not a Lambda ARN, not a URL ending in /<func_name>)")


def load_endpoints(mapping: str | Path | None = None,
                   endpoint_base: str | None = None) -> Endpoints:
    """Endpoints from ``--mapping FILE`` and/or ``--endpoint-base URL`` (placeholders if none)."""
    if endpoint_base is not None and not re.match(r"^https?://[^\s]+$", endpoint_base):
        raise InputError(f"--endpoint-base must be an http(s) URL, got {endpoint_base!r}")
    if mapping is None:
        return Endpoints(base=endpoint_base.rstrip("/") if endpoint_base else None)
    data = load_yaml(mapping)
    validate(data, MAPPING_SCHEMA, mapping, "function mapping")
    return Endpoints(data["functions"], endpoint_base.rstrip("/") if endpoint_base else None,
                     str(mapping))
