# Shared by start-slurm.sh and stop-slurm.sh (sourced): where things live and how to wait.
STATE=${XAAS_SLURM_STATE:-/var/lib/xaas-slurm}   # database, controller state, logs, SPANK records
RUN=/run/xaas-slurm                              # MariaDB pid
SLURM_ETC=/etc/slurm                             # where the Slurm commands read slurm.conf
NETWORK=10.231.20.0/24                           # private: only this machine and the nodes
CONTROL_ADDR=10.231.20.1
BRIDGE=xslurm0
NS_PREFIX=xslurm-
# The MariaDB clients (slurmdbd included) read the socket path from /etc/mysql's [client]
# group, so the private server listens on that default path.
MYSQL_SOCKET=/run/mysqld/mysqld.sock

alive() {  # alive PIDFILE: the process named in PIDFILE runs
  [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null
}

wait_for() {  # wait_for SECONDS WHAT CMD...: run CMD until it succeeds, at most SECONDS
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= limit)); then
      echo "slurm: $what not ready after ${limit}s (logs: $STATE/log)" >&2
      return 1
    fi
    sleep 0.2
  done
}

node_names() {
  [[ -f $SLURM_ETC/nodes.txt ]] && awk '{print $1}' "$SLURM_ETC/nodes.txt"
}

all_slurmd_alive() {
  local name any=1
  for name in $(node_names); do
    alive "/run/slurmd-$name.pid" || return 1
    any=0
  done
  return $any
}

stop_pid() {  # stop_pid PIDFILE: TERM, wait up to 10 s, then KILL
  local pid
  [[ -s $1 ]] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

stop_compute() {  # every node's slurmd (and its job steps), then the controller
  local name pidfile
  for pidfile in /run/slurmd-*.pid; do
    [[ -e $pidfile ]] && stop_pid "$pidfile"
  done
  # Job steps that outlived their slurmd (a step's slurmstepd is not a child of slurmd).
  for name in $(node_names); do
    ip netns pids "$NS_PREFIX$name" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
  done
  stop_pid "$STATE/slurmctld.pid"
  rm -f "$STATE/running"
}

remove_namespaces() {
  local ns link
  for ns in $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX" || true); do
    ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
    ip netns delete "$ns"
  done
  for link in $(ip -o link show type veth | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^xsv[0-9]' || true); do
    ip link delete "$link" 2>/dev/null || true
  done
}
