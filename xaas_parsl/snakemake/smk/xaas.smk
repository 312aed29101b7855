# XaaS deployment steps as Snakemake rules: every step is a file in and a file out, so a rerun
# skips what exists and a changed input (descriptor, spec points, policy) reruns what follows.
#
#   <results>/<site>/system.json                 xaas_discover_system   compute node
#   <results>/<site>/sources/<app>.ready         xaas_fetch_source      login (apps with `fetch`)
#   <results>/<site>/<app>/spec.json             xaas_spec_points       login
#   <results>/<site>/<app>/intersection.json     xaas_intersect         login
#   <results>/<site>/<app>/deployment.json       xaas_deploy_source     compute node  deploy=source
#   <results>/<site>/<app>/ir/bundle.json        xaas_ir_bundle         compute node  deploy=ir
#   <results>/<site>/<app>/deployment.json       xaas_deploy_ir         compute node  deploy=ir
#   <results>/<site>/<app>/container/image.json  xaas_container_build   compute node  deploy=container
#   <results>/<site>/<app>/deployment.json       xaas_container_deploy  compute node  deploy=container
#   <results>/<site>/<app>/tests.json            xaas_run_tests         compute node
#   <results>/<site>/<app>/export.json           xaas_export            compute node  deploy=container
#
# config["deploy"] (source|ir|container, default source) chooses the rule that makes
# deployment.json (a rule order: the three deployment rules have the same output); every rule
# runs one slice of the one deployment pipeline (xaas_parsl.deploy) through `xaas deploy ...`.
# xaas_export writes what the site's container tool imports (EDF + squashfs for the CSCS
# Container Engine on Alps, a docker-archive for Sarus on Ault, an archive + .def for Apptainer
# on Aurora); XAAS_RULES.targets(app) asks for it on those sites when deploy=container.
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
# it), deploy (source|ir|container), node_type, partition, results (default "results"), builds (default
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


workflow.ruleorder(*XAAS_RULES.ruleorder())


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


rule xaas_ir_bundle:
    """The app's LLVM-IR bundle: every matrix configuration compiled once, deduplicated."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        fetched=lambda wildcards: XAAS_RULES.fetched_marker(wildcards.app),
    output:
        f"{XAAS_OUT}/{{app}}/ir/bundle.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/ir_bundle.log",
    params:
        cli=XAAS_CLI,
        builds=XAAS_RULES.builds,
    wildcard_constraints:
        app=r"[^/]+",
    threads: XAAS_RULES.threads()
    resources:
        **XAAS_RULES.resources("deploy"),
    shell:
        "{params.cli} deploy ir-bundle {input.descriptor:q} --workdir {params.builds:q}"
        " -o {output:q} 2> {log:q}"


rule xaas_deploy_ir:
    """The chosen configuration lowered from the IR bundle (deployment "mode": "ir")."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        intersection=f"{XAAS_OUT}/{{app}}/intersection.json",
        bundle=f"{XAAS_OUT}/{{app}}/ir/bundle.json",
    output:
        f"{XAAS_OUT}/{{app}}/deployment.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/deploy_ir.log",
    params:
        cli=XAAS_CLI,
        builds=XAAS_RULES.builds,
    wildcard_constraints:
        app=r"[^/]+",
    threads: XAAS_RULES.threads()
    resources:
        **XAAS_RULES.resources("deploy"),
    shell:
        "{params.cli} deploy ir {input.descriptor:q} --intersection {input.intersection:q}"
        " --bundle {input.bundle:q} --workdir {params.builds:q} -o {output:q} 2> {log:q}"


rule xaas_container_build:
    """The app's IR container image (the choice and the portable configuration) in the
    node's engine; base images are bootstrapped once."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        intersection=f"{XAAS_OUT}/{{app}}/intersection.json",
        fetched=lambda wildcards: XAAS_RULES.fetched_marker(wildcards.app),
    output:
        f"{XAAS_OUT}/{{app}}/container/image.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/container_build.log",
    params:
        cli=XAAS_CLI,
        builds=XAAS_RULES.builds,
    wildcard_constraints:
        app=r"[^/]+",
    threads: XAAS_RULES.threads()
    resources:
        **XAAS_RULES.resources("deploy"),
    shell:
        "{params.cli} deploy container-image {input.descriptor:q}"
        " --intersection {input.intersection:q} --workdir {params.builds:q} -o {output:q}"
        " 2> {log:q}"


rule xaas_container_deploy:
    """The image deployed for the node: a lean runtime image (deployment "mode":
    "container"), its install tree copied under builds."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        intersection=f"{XAAS_OUT}/{{app}}/intersection.json",
        system=f"{XAAS_OUT}/system.json",
        image=f"{XAAS_OUT}/{{app}}/container/image.json",
    output:
        f"{XAAS_OUT}/{{app}}/deployment.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/container_deploy.log",
    params:
        cli=XAAS_CLI,
        builds=XAAS_RULES.builds,
    wildcard_constraints:
        app=r"[^/]+",
    threads: XAAS_RULES.threads()
    resources:
        **XAAS_RULES.resources("deploy"),
    shell:
        "{params.cli} deploy container {input.descriptor:q} --intersection {input.intersection:q}"
        " --system {input.system:q} --image {input.image:q} --workdir {params.builds:q}"
        " -o {output:q} 2> {log:q}"


rule xaas_export:
    """The deployed image in the site tool's format, with the commands to run there."""
    input:
        descriptor=lambda wildcards: XAAS_RULES.descriptor(wildcards.app),
        deployment=f"{XAAS_OUT}/{{app}}/deployment.json",
    output:
        f"{XAAS_OUT}/{{app}}/export.json",
    log:
        f"{XAAS_OUT}/logs/{{app}}/export.log",
    params:
        cli=XAAS_CLI,
        builds=XAAS_RULES.builds,
        site=XAAS_RULES.site_arg(),
        target=XAAS_RULES.export_target() or "none",
    wildcard_constraints:
        app=r"[^/]+",
    resources:
        **XAAS_RULES.resources("export"),
    shell:
        "{params.cli} deploy export {input.descriptor:q} --deployment {input.deployment:q}"
        " --site {params.site:q} --for {params.target:q} --workdir {params.builds:q}"
        " -o {output:q} 2> {log:q}"


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
