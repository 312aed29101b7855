"""Globus Compute endpoint templates, generated from a site's facts.

A multi-user Globus Compute endpoint renders ``user_config_template.yaml.j2`` (Jinja) with the
options a user sends along with a task (``user_endpoint_config``), after validating them against
``user_config_schema.json``. Both files live in ``site_configs/<site>/globus/`` and are *written
from* ``site.yaml`` by ``python -m xaas_parsl.sites.globus write-templates``: the facts
(partitions, node shape, GPUs, launcher, software setup) are baked in, so a change to
``site.yaml`` is one edit followed by a regeneration, and a test fails while the committed files
are stale. The choices mirror :mod:`xaas_parsl.sites.parsl_config`, so a step behaves the same
whether it reaches the node through our Parsl config or through an endpoint.

Rendering rules that shape the template text (they come from the endpoint's renderer):

* every string option arrives JSON-quoted (``"normal"``), which is a valid YAML scalar, so it is
  inserted as is; where a string must be *embedded* in a larger one (``#SBATCH --uenv=...``,
  ``worker_init``), the template strips the quotes with ``[1:-1]`` (as the endpoint's own default
  template does) and writes the result inside a YAML double-quoted string, whose escapes are a
  superset of JSON's;
* a missing option is a hard error (``StrictUndefined``), so optional ones use ``default``.
"""

from __future__ import annotations

import json
from typing import Any

from xaas_parsl.sites.facts import NodeType, SiteFacts
from xaas_parsl.sites.parsl_config import worker_init as site_worker_init

TEMPLATE_NAME = "user_config_template.yaml.j2"
SCHEMA_NAME = "user_config_schema.json"
DEFAULT_WALLTIME = "00:30:00"

# Option values that end up inside shell lines or batch directives are limited to characters
# that need no quoting there; free-form shell goes through ``worker_init`` on purpose only.
_SAFE_WORD = r"^[A-Za-z0-9_.:/+-]+$"
_WALLTIME = r"^\d{1,3}:[0-5]\d:[0-5]\d$"


def partition_key(site: SiteFacts) -> str:
    """The option name users know from the scheduler: ``queue`` on PBS Pro, else ``partition``."""
    return "queue" if site.scheduler == "pbspro" else "partition"


def accelerators(site: SiteFacts, node: NodeType) -> list[str]:
    """Device ids bound one per worker (empty when the site does not bind GPUs)."""
    return node.accelerators if site.gpu_binding != "none" else []


def _yaml_inner(text: str) -> str:
    """``text`` as the inside of a YAML double-quoted string (JSON escapes are valid YAML)."""
    return json.dumps(text)[1:-1]


def _jinja_str(text: str) -> str:
    """A Jinja string literal whose value is ``text`` JSON-quoted (like a sanitised option)."""
    return "'" + json.dumps(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _node_table(site: SiteFacts) -> str:
    """Jinja that picks the node type (one ``set`` when the site has only one)."""
    rows = {}
    for name, node in sorted(site.node_types.items()):
        rows[name] = {
            "gpus": node.gpus,
            "accelerators": accelerators(site, node),
            "hosts": node.hosts,
            "cores": node.cores,
        }
    if len(rows) == 1:
        return "{%- set _node = " + json.dumps(next(iter(rows.values()))) + " %}\n"
    table = ",\n    ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in rows.items())
    return (
        "{%- set _node_types = {\n    " + table + "\n  } %}\n"
        "{%- set _node = _node_types[node_type[1:-1] if node_type is defined else "
        + json.dumps(site.default_node_type) + "] %}\n"
    )


def _header(site: SiteFacts) -> str:
    options = ", ".join(sorted(schema_dict(site)["properties"]))
    required = ", ".join(schema_dict(site).get("required", [])) or "none"
    return (
        "{#-\n"
        f"  Globus Compute user endpoint template for site '{site.name}':\n"
        f"    {site.description}\n"
        f"  GENERATED from site_configs/{site.name}/site.yaml by\n"
        "    python -m xaas_parsl.sites.globus write-templates\n"
        "  Edit site.yaml (or the generator), not this file: a test compares the two.\n"
        f"  User options (user_endpoint_config), checked by {SCHEMA_NAME}:\n"
        f"    {options}\n"
        f"  Required: {required}\n"
        "-#}\n"
    )


def _engine_block(site: SiteFacts) -> list[str]:
    lines = [
        "engine:",
        "  type: GlobusComputeEngine",
        "  {%- if workers_per_node is defined %}",
        "  max_workers_per_node: {{ workers_per_node }}",
        "  {%- elif _node.accelerators %}",
        "  max_workers_per_node: {{ _node.accelerators | length }}",
        "  {%- endif %}",
        "  available_accelerators: {{ _node.accelerators | tojson }}",
        '  cpu_affinity: "none"',
    ]
    if site.scheduler == "local":
        # A laptop or workstation: nothing outside the machine needs to reach the interchange.
        lines.append('  address: "127.0.0.1"')
    return lines


def _provider_block(site: SiteFacts) -> list[str]:
    key = partition_key(site)
    init = site_worker_init(site)  # the Parsl config's lines: modules, site.yaml's own
    worker_init = _yaml_inner(init + "\n" if init else "")
    user_init = '{{ worker_init[1:-1] if worker_init is defined else "" }}'
    common_tail = [f'    worker_init: "{worker_init}{user_init}"']
    if site.scheduler == "local":
        return [
            "  provider:",
            "    type: LocalProvider",
            "    init_blocks: 1",
            "    min_blocks: 0",
            "    max_blocks: {{ max_blocks | default(1) }}",
            *common_tail,
            *_launcher_block(site),
        ]
    default_where = site.default_partition or sorted(site.partitions)[0]
    account = ["    account: {{ account }}"] if site.account_required else [
        "    {%- if account is defined %}", "    account: {{ account }}", "    {%- endif %}"]
    lines = [
        "  provider:",
        "    type: " + ("SlurmProvider" if site.scheduler == "slurm" else "PBSProProvider"),
        *account,
        f"    {key}: {{{{ {key} | default({_jinja_str(default_where)}) }}}}",
        "    nodes_per_block: {{ nodes | default(1) }}",
        f"    walltime: {{{{ walltime | default({_jinja_str(DEFAULT_WALLTIME)}) }}}}",
        "    init_blocks: 0",
        "    min_blocks: 0",
        "    max_blocks: {{ max_blocks | default(1) }}",
    ]
    if site.scheduler == "slurm":
        lines += [
            "    {%- if _node.gpus %}",
            "    gpus_per_node: {{ _node.gpus }}",
            "    {%- endif %}",
            "    exclusive: true",
            '    scheduler_options: "' + _slurm_options(site) + '"',
        ]
    else:
        lines += [
            "    cpus_per_node: {{ _node.cores }}",
            '    select_options: ""',
            '    scheduler_options: "{%- if _filesystems %}#PBS -l filesystems={{ _filesystems }}'
            '\\n{%- endif %}"',
        ]
    lines += common_tail
    lines += _launcher_block(site)
    return lines


def _slurm_options(site: SiteFacts) -> str:
    parts = []
    if site.uenv:
        parts.append("#SBATCH --uenv={{ _uenv }}\\n")
        if site.uenv_view:
            parts.append("#SBATCH --view={{ _uenv_view }}\\n")
    # Slurm's --nodelist requires every listed node: take as many hosts as nodes requested.
    parts.append("{%- if _node.hosts %}#SBATCH --nodelist="
                 "{{ _node.hosts[:(nodes | default(1) | int)] | join(',') }}\\n{%- endif %}")
    return "".join(parts)


def _launcher_block(site: SiteFacts) -> list[str]:
    if site.launcher == "srun":
        return ["    launcher:", "      type: SrunLauncher"]
    if site.launcher == "mpiexec":
        # One manager per node; its workers bind to GPU tiles through available_accelerators.
        return ["    launcher:", "      type: MpiExecLauncher", '      bind_cmd: "--cpu-bind"',
                '      overrides: "--ppn 1"']
    return ["    launcher:", "      type: SimpleLauncher"]


def _string_defaults(site: SiteFacts) -> str:
    """``set`` lines giving unquoted values of the options embedded in larger strings."""
    lines = []
    if site.uenv:
        lines.append(("_uenv", "uenv", site.uenv))
        if site.uenv_view:
            lines.append(("_uenv_view", "uenv_view", site.uenv_view))
    if site.scheduler == "pbspro":
        lines.append(("_filesystems", "filesystems", site.filesystems or ""))
    return "".join(
        f"{{%- set {var} = {opt}[1:-1] if {opt} is defined else {json.dumps(default)} %}}\n"
        for var, opt, default in lines
    )


def template_text(site: SiteFacts) -> str:
    """The ``user_config_template.yaml.j2`` for ``site``."""
    body = [
        "idle_heartbeats_soft: 10",
        "idle_heartbeats_hard: 5760",
        "endpoint_setup: {{ endpoint_setup | default('null') }}",
        "",
        *_engine_block(site),
        *_provider_block(site),
    ]
    return _header(site) + _node_table(site) + _string_defaults(site) + "\n".join(body) + "\n"


def _partition_rules(site: SiteFacts) -> list[dict[str, Any]]:
    """``if``/``then`` clauses holding each partition/queue to its node-count limits."""
    key = partition_key(site)
    rules = []
    for name, limits in sorted(site.partitions.items()):
        nodes: dict[str, Any] = {}
        if limits.max_nodes is not None:
            nodes["maximum"] = limits.max_nodes
        if limits.min_nodes is not None and limits.min_nodes > 1:
            nodes["minimum"] = limits.min_nodes
        if not nodes:
            continue
        condition: dict[str, Any] = {"properties": {key: {"const": name}}}
        if name != site.default_partition:
            condition["required"] = [key]
        then: dict[str, Any] = {"properties": {"nodes": nodes}}
        if "minimum" in nodes:
            then["required"] = ["nodes"]
        rules.append({"if": condition, "then": then})
    return rules


def schema_dict(site: SiteFacts) -> dict[str, Any]:
    """The JSON Schema (``user_config_schema.json``) of the user options for ``site``."""
    props: dict[str, Any] = {}
    if site.scheduler != "local":
        props["account"] = {"type": "string", "minLength": 1, "pattern": _SAFE_WORD,
                            "description": "project/allocation charged for the jobs"}
        key = partition_key(site)
        props[key] = {"enum": sorted(site.partitions), "default": site.default_partition,
                      "description": f"{site.scheduler} {key}"}
        props["nodes"] = {"type": "integer", "minimum": 1, "default": 1,
                          "description": "nodes per block (batch job)"}
        props["walltime"] = {"type": "string", "pattern": _WALLTIME, "default": DEFAULT_WALLTIME,
                             "description": "HH:MM:SS per block"}
    if len(site.node_types) > 1:
        props["node_type"] = {"enum": sorted(site.node_types), "default": site.default_node_type}
    if site.uenv:
        props["uenv"] = {"type": "string", "pattern": _SAFE_WORD, "default": site.uenv}
        if site.uenv_view:
            props["uenv_view"] = {"type": "string", "pattern": _SAFE_WORD,
                                  "default": site.uenv_view}
    if site.scheduler == "pbspro":
        props["filesystems"] = {"type": "string", "pattern": r"^[A-Za-z0-9_]+(:[A-Za-z0-9_]+)*$",
                                "default": site.filesystems or ""}
    props["max_blocks"] = {"type": "integer", "minimum": 1, "default": 1}
    props["workers_per_node"] = {"type": "integer", "minimum": 1}
    props["worker_init"] = {"type": "string",
                            "description": "shell lines run before the workers start"}
    props["endpoint_setup"] = {"type": "string"}
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"xaas-parsl user endpoint options for {site.name}",
        "type": "object",
        "properties": props,
        "additionalProperties": False,
    }
    if site.account_required:
        schema["required"] = ["account"]
    if rules := _partition_rules(site):
        schema["allOf"] = rules
    return schema


def schema_text(site: SiteFacts) -> str:
    """``schema_dict`` as the file's text."""
    return json.dumps(schema_dict(site), indent=2) + "\n"
