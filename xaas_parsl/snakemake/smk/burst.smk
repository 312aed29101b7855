# A burst flare run as one Snakemake rule (one DAG node), through `xaas burst flare`.
#
# Use from a Snakefile:
#
#     configfile: "config.yaml"          # or --config burst_function=... burst_output=... ...
#     from xaas_parsl.snakemake import rule_file
#     include: rule_file("burst.smk")
#
# Config keys (paths relative to Snakemake's working directory):
#   burst_function     module:function each worker runs as fn(ctx, input_paths)    (required)
#   burst_size         number of workers N                                          (required)
#   burst_output       JSON file: the workers' return values in rank order          (required)
#   burst_inputs       file or list of files every worker can read                  (optional)
#   burst_granularity  workers per pack process                                     (default: 1)
#   burst_transport    zmq, or a redis://host:port/db URL                           (default: zmq)
#   burst_timeout      seconds any collective may wait                              (default: 60)
#   burst_workers      process (CPU-bound Python in parallel) or thread (I/O waits)  (default: process)
#   burst_summary      JSON start summary (time to all started, spread), 2nd output (optional)
#
# The function's module must be importable by the interpreter running Snakemake (installed, on
# PYTHONPATH, or a .py file in the working directory). The rule runs the CLI with that
# interpreter in its own process, which forks one process per pack; a failing worker fails the
# rule (exit 1, `xaas: error: ... rank R failed: ...` in the log) and, as the output is written
# atomically, leaves no output behind.

import sys as _xaas_burst_sys

from xaas_parsl.snakemake import rule_args as _xaas_burst


rule xaas_burst_flare:
    input:
        _xaas_burst.burst_inputs(config),
    output:
        **_xaas_burst.burst_outputs(config),
    params:
        python=_xaas_burst_sys.executable,
        args=_xaas_burst.burst_args(config),
    log:
        config.get("burst_log", config["burst_output"] + ".log"),
    shell:
        "{params.python:q} -m xaas_parsl.cli.main burst flare {params.args} "
        "--output {output.results:q} > {log:q} 2>&1"
