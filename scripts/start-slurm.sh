#!/usr/bin/env bash
# A Slurm cluster in a box, emulating one site (docs/slurm.md): Debian 12's slurmctld, slurmdbd
# (with a private MariaDB) and munge on this machine, and one slurmd per compute node, each in a
# network + UTS namespace of its own (own hostname, own address on a private bridge that links
# only this machine and these namespaces). The file system is shared, as on a cluster.
#
#   scripts/start-slurm.sh [--site alps|ault] [--account NAME]
#
# Idempotent (as root): a cluster already running the same site and account is left alone; a
# different site or account restarts the controller and the nodes into it (the database stays).
# The partitions, node names, CPU counts, features and count-only GPUs come from the site's
# site.yaml (scripts/slurm/site_conf.py); the site's own sbatch/srun options (--uenv, --view,
# --environment) are accepted by a small SPANK plugin built here, which records what it got.
# scripts/stop-slurm.sh [--wipe] stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

SITE=alps
ACCOUNT=xaas-test
while (($#)); do
  case $1 in
    --site) SITE=${2:?--site needs a value}; shift 2 ;;
    --account) ACCOUNT=${2:?--account needs a value}; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "start-slurm: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $SITE =~ ^[a-z0-9_-]+$ ]] || { echo "start-slurm: bad site name $SITE" >&2; exit 2; }
[[ $ACCOUNT =~ ^[A-Za-z0-9_-]{1,64}$ ]] || { echo "start-slurm: bad account $ACCOUNT" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "start-slurm: run as root (it creates network namespaces)" >&2; exit 1; }

source "$REPO/scripts/slurm/common.sh"
mkdir -p "$STATE/log" "$STATE/spank" "$RUN" /var/spool/slurmd
chmod 1777 "$STATE/spank"
PY=${PYTHON:-$REPO/.venv/bin/python}
[[ -x $PY ]] || PY=python3

# --- configuration of the site (rendered to a scratch dir, compared with what runs) ---------
NEW=$(mktemp -d)
trap 'rm -rf "$NEW"' EXIT
PYTHONPATH=$REPO${PYTHONPATH:+:$PYTHONPATH} "$PY" "$REPO/scripts/slurm/site_conf.py" \
  --site "$SITE" --out "$NEW" --state "$STATE" --plugin-dir "$STATE" \
  --control-host "$(hostname)" --network "$NETWORK"
WANT="$SITE $ACCOUNT $(cat "$NEW"/slurm.conf "$NEW"/gres.conf "$REPO/scripts/slurm/spank_xaas_site.c" | sha256sum | cut -c1-16)"

nodes_ready() {  # every node answers and none is down/drained
  local up
  up=$(sinfo -h -N -o '%N %t' 2>/dev/null | awk '$2 ~ /^(idle|mix|alloc|comp)$/ {print $1}' | sort -u | wc -l)
  [[ $up -eq $(wc -l <"$SLURM_ETC/nodes.txt") ]]
}

if [[ -f $STATE/running && $(cat "$STATE/running") == "$WANT" ]] && alive "$STATE/slurmctld.pid" \
   && all_slurmd_alive && nodes_ready; then
  echo "start-slurm: site $SITE (account $ACCOUNT) already running" >&2
  exit 0
fi

# --- munge (authentication between all daemons and commands) ------------------------------
[[ -s /etc/munge/munge.key ]] || { mungekey --create --keyfile=/etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 600 /etc/munge/munge.key; }
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged --force
  wait_for 10 "munged" sh -c 'munge -n | unmunge >/dev/null'
fi

# --- MariaDB (private data directory, no TCP, the default socket) + slurmdbd ---------------
if ! alive "$RUN/mariadb.pid" && mariadb -uroot -e 'select 1' >/dev/null 2>&1; then
  # A MariaDB already answers on the default socket (e.g. the package's own, started by its
  # postinst where services may start): use it rather than fight over the socket.
  echo "start-slurm: using the MariaDB already running on $MYSQL_SOCKET" >&2
elif ! alive "$RUN/mariadb.pid"; then
  if [[ ! -d $STATE/mysql/mysql ]]; then
    rm -rf "$STATE/mysql"
    mariadb-install-db --user=mysql --datadir="$STATE/mysql" --skip-test-db \
      --auth-root-authentication-method=socket >"$STATE/log/mariadb-install.log" 2>&1
  fi
  chown -R mysql:mysql "$STATE/mysql"
  mkdir -p "$RUN" "${MYSQL_SOCKET%/*}"; chown mysql:mysql "$RUN" "${MYSQL_SOCKET%/*}"
  mariadbd --user=mysql --datadir="$STATE/mysql" --socket="$MYSQL_SOCKET" --skip-networking \
    --pid-file="$RUN/mariadb.pid" --log-error="$STATE/log/mariadb.log" \
    --innodb-buffer-pool-size=32M --performance-schema=OFF >/dev/null 2>&1 &
  wait_for 30 "mariadbd" mariadb -uroot -e 'select 1'
fi
mariadb -uroot -e "create database if not exists slurm_acct_db"

install -m 600 /dev/stdin "$SLURM_ETC/slurmdbd.conf" <<EOF
# scripts/start-slurm.sh (generated)
AuthType=auth/munge
DbdHost=localhost
DbdAddr=$CONTROL_ADDR
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=root
StorageLoc=slurm_acct_db
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
MessageTimeout=5
EOF

# --- network: a bridge with this machine's address, one namespace per node ------------------
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
ip addr replace "$CONTROL_ADDR/${NETWORK#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
# When br_netfilter is loaded (Docker loads it), bridged node-to-node traffic meets the FORWARD
# chain, whose policy Docker sets to DROP: let traffic within this bridge through.
if command -v iptables >/dev/null && ! iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; then
  iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT || true
fi

# slurm.conf and friends go where the Slurm commands look for them (/etc/slurm).
stop_compute  # slurmd of every node, then the controller (common.sh)
remove_namespaces
cp "$NEW/slurm.conf" "$NEW/gres.conf" "$NEW/nodes.txt" "$SLURM_ETC/"
cat >"$STATE/plugstack.conf" <<EOF
required $STATE/spank_xaas_site.so record=$STATE/spank/records.jsonl
EOF
mkdir -p "$STATE/gpu"  # count-only GPUs: links to /dev/null (site_conf.py gres_conf)
for g in $(seq 0 15); do ln -sfn /dev/null "$STATE/gpu/nvidia$g"; done
gcc -O2 -Wall -shared -fPIC -o "$STATE/spank_xaas_site.so.new" "$REPO/scripts/slurm/spank_xaas_site.c"
mv "$STATE/spank_xaas_site.so.new" "$STATE/spank_xaas_site.so"

if ! alive "$STATE/slurmdbd.pid"; then
  slurmdbd
  wait_for 30 "slurmdbd" sacctmgr -n show cluster
fi

# --- accounting: the cluster, the account, root's association (enforced) -------------------
sacctmgr -i add cluster "$SITE" >/dev/null 2>&1 || true
sacctmgr -i add account "$ACCOUNT" cluster="$SITE" description=xaas-emulated organization=xaas >/dev/null 2>&1 || true
for user in root ${SUDO_USER:-}; do
  sacctmgr -i add user "$user" account="$ACCOUNT" cluster="$SITE" >/dev/null 2>&1 || true
  sacctmgr -i modify user where name="$user" cluster="$SITE" set defaultaccount="$ACCOUNT" >/dev/null 2>&1 || true
done
sacctmgr -n -P show assoc where cluster="$SITE" account="$ACCOUNT" user=root format=user | grep -qx root \
  || { echo "start-slurm: the association root/$ACCOUNT on $SITE was not created" >&2; exit 1; }

# --- controller (fresh state: jobs do not survive a restart into another site) --------------
# Job ids continue after the highest one in the database, so `sacct -j ID` names one job.
rm -rf "$STATE/ctld"; mkdir -p "$STATE/ctld"
last=0
for table in $(mariadb -uroot -N -e "show tables from slurm_acct_db like '%\_job\_table'"); do
  n=$(mariadb -uroot -N -e "select coalesce(max(id_job), 0) from slurm_acct_db.\`$table\`")
  if ((n > last)); then last=$n; fi
done
echo "FirstJobId=$((last + 1))" >>"$SLURM_ETC/slurm.conf"
slurmctld
wait_for 30 "slurmctld" scontrol ping

# --- compute nodes ---------------------------------------------------------------------------
i=0
while read -r name addr; do
  ns=$NS_PREFIX$name
  ip netns add "$ns"
  ip link add "xsv$i" type veth peer name eth0 netns "$ns"
  ip link set "xsv$i" master "$BRIDGE" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$addr/${NETWORK#*/}" dev eth0
  ip -n "$ns" link set eth0 up
  mkdir -p "/var/spool/slurmd/$name"
  # Enter only the network namespace: `ip netns exec` would remount /sys (slurmd then fails to
  # find the cgroup file system); a private UTS namespace gives the node its own hostname.
  nsenter --net="/var/run/netns/$ns" unshare --uts sh -c "hostname $name && exec slurmd -N $name"
  i=$((i + 1))
done <"$SLURM_ETC/nodes.txt"
if ! wait_for 60 "all nodes idle" nodes_ready; then
  sinfo -N >&2; exit 1
fi
echo "$WANT" >"$STATE/running"
echo "start-slurm: site $SITE running: $(sinfo -h -N -o '%N' | sort -u | paste -sd' '), account $ACCOUNT" >&2
