"""Where each function of a translated workflow lives on each provider, and back.

A definition names functions (``func_name``); a provider's workflow names endpoints. Each target
asks for what it really calls, under its own name:

* :meth:`Endpoints.lambda_arn` (ASL ``FunctionName``): the mapping's ``aws``;
* :meth:`Endpoints.cloud_function_url` (Cloud Workflows ``http.post``): ``gcp``, else ``http``;
* :meth:`Endpoints.http_url` (CNCF ``http`` calls): ``http``, else ``gcp`` (a Cloud Functions URL
  is an HTTP endpoint too);
* :meth:`Endpoints.activity` (Durable activity name): ``azure``, else derived from the name;
* :meth:`Endpoints.durable_url` (where a Durable activity posts): ``http``, else ``gcp``, else the
  base, else ``None``: the app reads ``XAAS_FLOW_ENDPOINT_BASE`` at run time, so a mapping with
  only ``azure:`` entries is enough for ``--to durable``.

Three sources, in this order: a mapping file (YAML ``functions: {<name>: {aws: ARN, gcp: URL, http:
URL, azure: activity}}``, validated with jsonschema), an endpoint base (``--endpoint-base URL`` →
``URL/<func_name>``, for ``xaas flow serve`` and emulators), or placeholders that keep the function
name recoverable (``arn:aws:lambda:us-east-1:000000000000:function:<name>``,
``https://REGION-PROJECT.cloudfunctions.net/<name>``). The reverse lookup (endpoint → name) is what
lets ``--from asl|gcp`` give back a SeBS definition with the original names.
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
#: A key of a mapping entry: one per provider, and ``http`` for a plain HTTP endpoint.
Key = Literal["aws", "gcp", "http", "azure"]

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
                    "http": {"type": "string", "pattern": r"^https?://"},
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

    def lookup(self, func_name: str, keys: tuple[Key, ...], required: bool = True) -> str | None:
        """The first of ``keys`` the mapping gives for ``func_name`` (None without a mapping).

        With a mapping, a function missing from it is an error; so is one without any of
        ``keys`` when ``required`` (else None: the caller has a fallback).
        """
        if not self.mapping:
            return None
        entry = self.mapping.get(func_name)
        if entry is None:
            raise InputError(f"function {func_name!r} is not in the mapping file",
                             self.source)
        for key in keys:
            if entry.get(key) is not None:
                return entry[key]
        if required:
            raise InputError(f"function {func_name!r} has no {' or '.join(map(repr, keys))} "
                             "endpoint in the mapping file", self.source)
        return None

    def _url(self, func_name: str, keys: tuple[Key, ...], placeholder: str) -> str:
        explicit = self.lookup(func_name, keys)
        if explicit is not None:
            return explicit
        return f"{self.base}/{func_name}" if self.base else placeholder.format(func_name)

    def lambda_arn(self, func_name: str) -> str:
        """Lambda ARN (or ``base/<name>`` URL) for a Task's ``FunctionName``."""
        return self._url(func_name, ("aws",), AWS_PLACEHOLDER)

    def cloud_function_url(self, func_name: str) -> str:
        """HTTPS URL a Cloud Workflows ``http.post`` calls."""
        return self._url(func_name, ("gcp", "http"), GCP_PLACEHOLDER)

    def http_url(self, func_name: str) -> str:
        """The function's plain HTTP endpoint (CNCF Serverless Workflow calls)."""
        return self._url(func_name, ("http", "gcp"), GCP_PLACEHOLDER)

    def activity(self, func_name: str) -> str:
        """Durable activity name (a Python identifier derived from the function name)."""
        explicit = self.lookup(func_name, ("azure",), required=False)
        return explicit if explicit is not None else re.sub(r"\W", "_", func_name)

    def durable_url(self, func_name: str) -> str | None:
        """Where a Durable activity posts: mapped, else ``base/<name>``, else None (the app's
        ``XAAS_FLOW_ENDPOINT_BASE`` setting at run time)."""
        explicit = self.lookup(func_name, ("http", "gcp"), required=False)
        if explicit is not None:
            return explicit
        return f"{self.base}/{func_name}" if self.base else None

    # The mapping file's provider keys, kept as names for callers written against them.
    aws = lambda_arn
    gcp = cloud_function_url
    azure = activity

    def check(self, func_names: Iterable[str], keys: tuple[Key, ...],
              required: bool = True) -> None:
        """Fail before emitting anything when the mapping lacks one of the functions."""
        for name in func_names:
            self.lookup(name, keys, required)

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
