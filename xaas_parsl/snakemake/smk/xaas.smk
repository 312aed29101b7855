# XaaS deployment steps as Snakemake rules: every step is a file in and a file out, so a rerun
# skips what exists and a changed input (descriptor, spec points, policy) reruns what follows.
#
#   <results>/<site>/system.json                 xaas_discover_system   compute node
#   <results>/<site>/sources/<app>.ready         xaas_fetch_source      login (apps with `fetch`)
#   <results>/<site>/<app>/spec.json             xaas_spec_points       login
#   <results>/<site>/<app>/intersection.json     xaas_intersect         login
#   <results>/<site>/<app>/deployment.json       xaas_deploy_source     compute node
#   <results>/<site>/<app>/tests.json            xaas_run_tests         compute node
#
# (<site> is the site name, or <site>-<node type> for a non-default node type.)
#
# Use it from a workflow with
#     from xaas_parsl.snakemake import rule_file
#     include: rule_file("xaas.smk")
#     rule all:
#         input: XAAS_RULES.result("heat2d")
# or as a module (rule names stay; call check_submission(workflow, XAAS_RULES.site) from your
# own onstart, since Snakemake runs only the main Snakefile's onstart):
#     module xaas:
#         snakefile: rule_file("xaas.smk")
#         config: config
#     use rule * from xaas
#
# Config keys (all optional): site (alps|ault|aurora|local or a site.yaml path; the profiles set
# it), node_type, partition, results (default "results"), builds (default
# <results>/<site>/builds; must be on a file system the compute nodes share), app, apps
# ({name: {descriptor: path, fetch: xaas_parsl.sources project}}), policy, pin, prefer, gpu, mpi.
#
# Compute steps take their resources from xaas_parsl/site_configs/<site>/site.yaml (nodes, the node type's
# GPUs and cores, runtime capped by the partition's limit); scheduler options the profiles add
# (partition, account, uenv, qsub flags) are in xaas_parsl/site_configs/<site>/snakemake/. Every step calls
# the `xaas` CLI with this Snakemake's own interpreter, so a batch job finds the same install.

import shlex
import sys
from pathlib import Path

from xaas_parsl.snakemake.rules import SOURCES_MODULE, XaasRules, check_submission

XAAS_RULES = XaasRules.from_config(config, Path(workflow.main_snakefile).parent)
XAAS_CLI = f"{shlex.quote(sys.executable)} -m xaas_parsl.cli.main"
XAAS_OUT = XAAS_RULES.results


localrules: xaas_fetch_source, xaas_spec_points, xaas_intersect


onstart:
    check_submission(workflow, XAAS_RULES.site)


rule xaas_discover_system:
    """What the compute node offers (native format: lossless, e.g. FMA units, SVE length)."""
    output:
        f"{XAAS_OUT}/system.json",
    log:
        f"{XAAS_OUT}/logs/discover_system.log",
    params:
        cli=XAAS_CLI,
    threads: XAAS_RULES.threads()
    resources:
        **XAAS_RULES.resources("discover"),
    shell:
        "{params.cli} system discover --format native -o {output:q} 2> {log:q}"


rule xaas_fetch_source:
    """A real application's source, from a package registry into the sources cache (cached)."""
    output:
        touch(f"{XAAS_OUT}/sources/{{app}}.ready"),
    log:
        f"{XAAS_OUT}/logs/{{app}}/fetch_source.log",
    params:
        python=sys.executable,
        module=SOURCES_MODULE,
        project=lambda wildcards: XAAS_RULES.app(wildcards.app).fetch,
    wildcard_constraints:
        app=r"[^/]+",
    shell:
        "{params.python:q} -m {params.module} fetch {params.project:q} > {log:q} 2>&1"


rule xaas_spec_points:
    """The app's specialization points, validated (from its descriptor)."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        spec=lambda wildcards: XAAS_RULES.spec_file(wildcards.app),
        fetched=lambda wildcards: XAAS_RULES.fetched_marker(wildcards.app),
    output:
        f"{XAAS_OUT}/{{app}}/spec.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/spec_points.log",
    params:
        cli=XAAS_CLI,
    wildcard_constraints:
        app=r"[^/]+",
    shell:
        "{params.cli} spec points {input.descriptor:q} -o {output:q} 2> {log:q}"


rule xaas_intersect:
    """App ∩ node, and the chosen configuration with its CMake arguments."""
    input:
        spec=f"{XAAS_OUT}/{{app}}/spec.json",
        system=f"{XAAS_OUT}/system.json",
    output:
        f"{XAAS_OUT}/{{app}}/intersection.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/intersect.log",
    params:
        cli=XAAS_CLI,
        policy=XAAS_RULES.intersect_args(),
    wildcard_constraints:
        app=r"[^/]+",
    shell:
        "{params.cli} intersect --spec {input.spec:q} --system {input.system:q} {params.policy}"
        " -o {output:q} 2> {log:q}"


rule xaas_deploy_source:
    """Build and install the chosen configuration from source on a compute node."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        intersection=f"{XAAS_OUT}/{{app}}/intersection.json",
        fetched=lambda wildcards: XAAS_RULES.fetched_marker(wildcards.app),
    output:
        f"{XAAS_OUT}/{{app}}/deployment.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/deploy_source.log",
    params:
        cli=XAAS_CLI,
        builds=XAAS_RULES.builds,
    wildcard_constraints:
        app=r"[^/]+",
    threads: XAAS_RULES.threads()
    resources:
        **XAAS_RULES.resources("deploy"),
    shell:
        "{params.cli} deploy source {input.descriptor:q} --intersection {input.intersection:q}"
        " --workdir {params.builds:q} -o {output:q} 2> {log:q}"


# --- IR and container deployments: not written yet ---------------------------------------
# IR bundles and containers do not exist in xaas-parsl yet. When they do, they go here, with the
# same file-in/file-out shape and the CLI doing the work:
#   rule xaas_ir_bundle:       descriptor              -> <results>/<site>/<app>/ir/bundle.json
#                              (all configurations compiled to LLVM IR once, deduplicated)
#   rule xaas_deploy_ir:       bundle + intersection   -> <results>/<site>/<app>/deployment.json
#                              (IR lowered for the chosen CPU features; deployment "mode": "ir")
#   rule xaas_container:       deployment              -> image + runtime inputs (Alps: EDF .toml
#                              for `--environment`, passed through slurm_extra; Ault: Sarus;
#                              Aurora: Apptainer .def)
# with config["deploy"] (source|ir|container) choosing which rule makes deployment.json
# (ruleorder), so xaas_run_tests below stays as it is.
# -------------------------------------------------------------------------------------------


rule xaas_run_tests:
    """The app's own tests against the deployment, on a compute node (fails if one fails)."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        deployment=f"{XAAS_OUT}/{{app}}/deployment.json",
    output:
        f"{XAAS_OUT}/{{app}}/tests.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/run_tests.log",
    params:
        cli=XAAS_CLI,
    wildcard_constraints:
        app=r"[^/]+",
    threads: XAAS_RULES.threads()
    resources:
        **XAAS_RULES.resources("tests"),
    shell:
        "{params.cli} run-tests {input.descriptor:q} --deployment {input.deployment:q}"
        " -o {output:q} 2> {log:q}"
