# A SeBS-Flow workflow run as one Snakemake rule (one DAG node), through `xaas flow run`.
#
# Use from a Snakefile:
#
#     configfile: "config.yaml"          # or --config flow_definition=... flow_input=... ...
#     from xaas_parsl.snakemake import rule_file
#     include: rule_file("flow.smk")
#
# Config keys (paths relative to Snakemake's working directory):
#   flow_definition     definition file, JSON or YAML                         (required)
#   flow_input          input payload, JSON or YAML                           (required)
#   flow_output         where the final payload is written as JSON            (required)
#   flow_functions      directory (or list) with <func_name>.py handler files (optional)
#   flow_packages       benchmark package name(s)                             (optional)
#   flow_site           site whose Parsl config runs the calls                (default: local)
#   flow_executor       Parsl executor label, or "none" for no Parsl          (default: compute)
#   flow_measurements   CSV of this run's measurement records, a 2nd output   (optional)
#   flow_workdir        Parsl run dir, default object store and measurements  (default: .xaas-flow)
#   flow_timeout        seconds per call attempt without its own timeout_s    (optional)
#
# The rule calls the CLI with the interpreter that runs Snakemake (so a virtual environment works
# without being activated) in its own process: Parsl's executors start and stop with the rule, not
# inside Snakemake. A run whose failure is not handled fails the rule (exit 1, the state and the
# request id in the log); Snakemake then removes the incomplete output.

import sys as _xaas_flow_sys

from xaas_parsl.snakemake import rule_args as _xaas_flow


rule xaas_flow_run:
    input:
        definition=config["flow_definition"],
        payload=config["flow_input"],
    output:
        **_xaas_flow.flow_outputs(config),
    params:
        python=_xaas_flow_sys.executable,
        args=_xaas_flow.flow_args(config),
    log:
        config.get("flow_log", config["flow_output"] + ".log"),
    shell:
        "{params.python:q} -m xaas_parsl.cli.main flow run {input.definition:q} "
        "--input {input.payload:q} --output {output.payload:q} {params.args} 2> {log:q}"
