"""Render the Slurm configuration of an emulated site from its ``site.yaml``.

Used by ``scripts/start-slurm.sh``: the partitions (with their time and node limits), the node
names (the site's own node lists where ``site.yaml`` has them, e.g. Ault's ``ault[23-24]``, so
that the generated ``--nodelist`` options are accepted), the CPU count, features and count-only
GRES ``gpu:N`` of each node type come from the site facts, the same facts the Parsl config and the
Snakemake profiles are generated from. Everything else is this machine's (see docs/slurm.md).

Writes ``slurm.conf``, ``gres.conf`` and ``nodes.txt`` (``NAME ADDRESS`` per line) into the
output directory.
"""

from __future__ import annotations

import argparse
import ipaddress
import re
from pathlib import Path

from xaas_parsl.sites.facts import NodeType, SiteFacts, load_site

#: Nodes of a site whose ``site.yaml`` lists no node names (Alps): enough for two blocks and
#: for a two-node step (``debug`` allows 2 nodes), Alps-style ``nid`` names.
DEFAULT_NODES = ("nid001001", "nid001002")
FEATURE = re.compile(r"[A-Za-z0-9_.-]+")


def node_names(site: SiteFacts) -> list[tuple[NodeType, str]]:
    """Every emulated node with its node type, in a stable order."""
    named = [(node, host) for node in site.node_types.values() for host in node.hosts]
    if named:
        return named
    node = site.node_type()
    return [(node, host) for host in DEFAULT_NODES]


def features(node: NodeType) -> str:
    """Slurm node features: the node type (when the site has several), architecture, GPU vendor."""
    words = [node.name if node.name != "default" else "", node.architecture,
             node.gpu_vendor or ""]
    return ",".join(w for w in words if w and FEATURE.fullmatch(w))


def slurm_conf(site: SiteFacts, nodes: list[tuple[NodeType, str, str]], *, control_host: str,
               control_addr: str, state: Path, plugin_dir: Path) -> str:
    """The ``slurm.conf`` text (timers tightened so tests see state changes within seconds)."""
    lines = [
        f"# Emulated site {site.name} (scripts/start-slurm.sh; generated, do not edit)",
        f"ClusterName={site.name}",
        f"SlurmctldHost={control_host}({control_addr})",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CryptoType=crypto/munge",
        f"StateSaveLocation={state}/ctld",
        "SlurmdSpoolDir=/var/spool/slurmd/%n",
        "SlurmdPidFile=/run/slurmd-%n.pid",
        f"SlurmctldPidFile={state}/slurmctld.pid",
        f"SlurmctldLogFile={state}/log/slurmctld.log",
        f"SlurmdLogFile={state}/log/slurmd-%n.log",
        f"PlugStackConfig={plugin_dir}/plugstack.conf",
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "MpiDefault=none",
        "SwitchType=switch/none",
        "SchedulerType=sched/backfill",
        "SchedulerParameters=bf_interval=1,sched_interval=2,batch_sched_delay=0",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SlurmdParameters=config_overrides",  # the site's node shape, not this machine's
        "ReturnToService=2",
        "GresTypes=gpu",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/slurmdbd",
        f"AccountingStorageHost={control_addr}",
        "AccountingStorageEnforce=associations",
        "AccountingStorageTRES=gres/gpu",
        "JobCompType=jobcomp/none",
        # Tight timers: cancelled/timed-out jobs go within seconds, a lost srun within 15 s.
        "MessageTimeout=5",
        "KillWait=2",
        "OverTimeLimit=0",
        "InactiveLimit=15",
        "MinJobAge=30",
        "SlurmctldTimeout=10",
        "SlurmdTimeout=30",
        "TCPTimeout=5",
        "UnkillableStepTimeout=30",
    ]
    for node, name, addr in nodes:
        gres = f" Gres=gpu:{node.gpus}" if node.gpus else ""
        feats = features(node)
        lines.append(f"NodeName={name} NodeAddr={addr} CPUs={node.cores} RealMemory=1000"
                     f"{gres}" + (f" Features={feats}" if feats else "") + " State=UNKNOWN")
    every = ",".join(name for _, name, _ in nodes)
    for part, limits in site.partitions.items():
        default = "YES" if part == site.default_partition else "NO"
        line = (f"PartitionName={part} Nodes={every} Default={default} "
                f"MaxTime={limits.max_walltime or 'INFINITE'} State=UP")
        if limits.max_nodes:
            line += f" MaxNodes={limits.max_nodes}"
        if limits.min_nodes:
            line += f" MinNodes={limits.min_nodes}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def gres_conf(nodes: list[tuple[NodeType, str, str]], state: Path) -> str:
    """GPUs that are only counted: Slurm 22.05's gres/gpu drops GPUs without device files, so
    each is a link to /dev/null (``<state>/gpu/nvidiaN``, made by start-slurm.sh). Nothing is
    constrained (TaskPlugin=task/none); jobs see the indices in CUDA_VISIBLE_DEVICES only."""
    lines = ["AutoDetect=off"]
    lines += [f"NodeName={name} Name=gpu File={state}/gpu/nvidia[0-{node.gpus - 1}]"
              if node.gpus > 1 else f"NodeName={name} Name=gpu File={state}/gpu/nvidia0"
              for node, name, _ in nodes if node.gpus]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--plugin-dir", type=Path, required=True)
    parser.add_argument("--control-host", required=True)
    parser.add_argument("--network", type=ipaddress.IPv4Network, required=True)
    args = parser.parse_args()
    site = load_site(args.site)
    if site.scheduler != "slurm":
        raise SystemExit(f"start-slurm: site {site.name} is scheduled by {site.scheduler}, "
                         "not Slurm")
    hosts = list(args.network.hosts())
    control = str(hosts[0])
    nodes = [(node, name, str(hosts[10 + i])) for i, (node, name) in
             enumerate(node_names(site))]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "slurm.conf").write_text(slurm_conf(
        site, nodes, control_host=args.control_host, control_addr=control, state=args.state,
        plugin_dir=args.plugin_dir))
    (args.out / "gres.conf").write_text(gres_conf(nodes, args.state))
    (args.out / "nodes.txt").write_text("".join(f"{name} {addr}\n" for _, name, addr in nodes))


if __name__ == "__main__":
    main()
