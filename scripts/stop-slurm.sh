#!/usr/bin/env bash
# Stop the cluster of scripts/start-slurm.sh: every slurmd, slurmctld, slurmdbd, its MariaDB and
# munged, the node namespaces and the bridge. --wipe also deletes the state (database,
# controller state, logs, SPANK records, generated configs): the next start is a fresh one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/slurm/common.sh
WIPE=0
[[ ${1:-} == --wipe ]] && WIPE=1
stop_compute
stop_pid "$STATE/slurmdbd.pid"
stop_pid "$RUN/mariadb.pid"
remove_namespaces
if ip link show "$BRIDGE" >/dev/null 2>&1; then
  iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
  ip link delete "$BRIDGE"
fi
if [[ -s /run/munge/munged.pid ]]; then stop_pid /run/munge/munged.pid; fi
if ((WIPE)); then
  rm -rf "$STATE" /var/spool/slurmd "$RUN"
  rm -f "$SLURM_ETC"/slurm.conf "$SLURM_ETC"/gres.conf "$SLURM_ETC"/nodes.txt "$SLURM_ETC"/slurmdbd.conf
fi
if ((WIPE)); then echo 'stop-slurm: stopped and wiped' >&2; else echo 'stop-slurm: stopped' >&2; fi
