"""The registered dialects: each wraps its module's emit/parse function behind ``base``'s
interface (the modules keep their functions, which tests and other callers use directly).

Targets and the endpoint each one calls (``endpoints.py``): ``sebs`` (names only), ``asl``
(Lambda ARNs), ``gcp`` (Cloud Functions URLs), ``cncf`` (HTTP URLs), ``durable`` (activity names,
posting to HTTP URLs or to the app's ``XAAS_FLOW_ENDPOINT_BASE``). Sources: ``sebs``, ``asl``,
``gcp``.
"""

from __future__ import annotations

import json
from pathlib import Path

from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import parse_text, workflow_from_data
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.translate.base import (
    Emitted,
    Emitter,
    Parser,
    register_emitter,
    register_parser,
)
from xaas_parsl.flow.translate.endpoints import Endpoints

#: The payload limit the ASL emitter warns about (Step Functions' state data quota).
ASL_DATA_LIMIT = ("Step Functions limits state data (the payload) to 256 KiB; larger payloads "
                  "fail with States.DataLimitExceeded")


@register_emitter
class SebsEmitter(Emitter):
    """SeBS-Flow JSON (the definition format itself: functions by name only)."""

    dialect = "sebs"

    def emit(self, workflow: Workflow, endpoints: Endpoints) -> Emitted:
        from xaas_parsl.flow.translate.sebs_emit import emit_sebs

        return Emitted({"definition.json": json.dumps(emit_sebs(workflow), indent=2) + "\n"})


@register_emitter
class AslEmitter(Emitter):
    """AWS Step Functions ASL calling Lambda functions by ARN."""

    dialect = "asl"
    endpoint_keys = ("aws",)

    def emit(self, workflow: Workflow, endpoints: Endpoints) -> Emitted:
        from xaas_parsl.flow.translate.asl_emit import emit_asl_data

        machine, warnings = emit_asl_data(workflow, endpoints.lambda_arn)
        return Emitted({"statemachine.asl.json": json.dumps(machine, indent=2) + "\n"},
                       [*warnings, ASL_DATA_LIMIT])


@register_emitter
class GcpEmitter(Emitter):
    """Google Cloud Workflows YAML posting to Cloud Functions URLs."""

    dialect = "gcp"
    endpoint_keys = ("gcp", "http")

    def emit(self, workflow: Workflow, endpoints: Endpoints) -> Emitted:
        from xaas_parsl.flow.translate.gcp_emit import emit_gcp

        warnings: list[str] = []
        text = emit_gcp(workflow, endpoints.cloud_function_url, warnings=warnings)
        return Emitted({"workflow.yaml": text}, warnings)


@register_emitter
class CncfEmitter(Emitter):
    """CNCF Serverless Workflow 1.0 YAML calling the functions' HTTP endpoints."""

    dialect = "cncf"
    endpoint_keys = ("http", "gcp")

    def emit(self, workflow: Workflow, endpoints: Endpoints) -> Emitted:
        from xaas_parsl.flow.translate.cncf import emit_cncf

        warnings: list[str] = []
        text = emit_cncf(workflow, endpoints.http_url, warnings=warnings)
        return Emitted({"workflow.sw.yaml": text}, warnings)


@register_emitter
class DurableEmitter(Emitter):
    """An Azure Durable Functions app: one activity per function, posting to its HTTP URL
    (mapped or ``--endpoint-base``), else to the app setting ``XAAS_FLOW_ENDPOINT_BASE``."""

    dialect = "durable"
    endpoint_keys = ("azure", "http", "gcp")
    endpoint_required = False
    directory = True

    def emit(self, workflow: Workflow, endpoints: Endpoints) -> Emitted:
        from xaas_parsl.flow.translate.durable import HOST_JSON, REQUIREMENTS, emit_durable_app

        urls = {f: endpoints.durable_url(f) for f in workflow.func_names()}

        def url_for(func_name: str) -> str:
            return urls[func_name] or ""      # "": not mapped, the app setting at run time

        text, warnings = emit_durable_app(workflow, endpoints.activity,
                                          url_for if any(urls.values()) else None)
        return Emitted({"function_app.py": text,
                        "host.json": json.dumps(HOST_JSON, indent=2) + "\n",
                        "requirements.txt": REQUIREMENTS}, warnings)


@register_parser
class SebsParser(Parser):
    """SeBS-Flow JSON, or YAML for a ``.yaml``/``.yml`` file."""

    dialect = "sebs"

    def parse(self, text: str) -> Workflow:
        yaml_syntax = self.source.suffix.lower() in {".yaml", ".yml"}
        return workflow_from_data(parse_text(text, self.source, yaml_syntax=yaml_syntax),
                                  self.source)


@register_parser
class AslParser(Parser):
    """ASL (JSONPath mode): what the ASL emitter writes and hand-written forms of the same."""

    dialect = "asl"

    def parse(self, text: str) -> Workflow:
        from xaas_parsl.flow.translate.asl_parse import parse_asl

        return parse_asl(text, str(self.source), self.endpoints.func_for, self.warnings)


@register_parser
class GcpParser(Parser):
    """Cloud Workflows YAML: what the GCP emitter writes and hand-written forms of the same."""

    dialect = "gcp"

    def parse(self, text: str) -> Workflow:
        from xaas_parsl.flow.translate.gcp_parse import parse_gcp

        def func_for_url(url: str) -> str:
            try:
                return self.endpoints.func_for(url)
            except ValueError as exc:
                raise InputError(str(exc), self.source) from None

        return parse_gcp(text, str(self.source), func_for_url, warnings=self.warnings)


def write_files(emitted: Emitted, out_dir: Path) -> list[Path]:
    """Write a directory target's files into ``out_dir`` (each atomically)."""
    from xaas_parsl.fileio import write_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    return [write_atomic(out_dir / name, text) for name, text in emitted.files.items()]
