#!/usr/bin/env bash
# Set up a fresh Debian 12 machine for xaas-parsl: system packages (as root), then the project
# virtual environment .venv with the package installed in editable mode plus the dev tools.
# Idempotent: a second run installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  python3-venv python3-dev cmake ninja-build g++ make pkg-config
  clang-19 llvm-19 lld-19 libomp-19-dev
  libfftw3-dev libmpich-dev mpich
  rabbitmq-server redis-server
  podman squashfs-tools
  docker.io debootstrap
  slurmctld slurmd slurmdbd slurm-client munge mariadb-server libslurm-dev iproute2
  crossbuild-essential-arm64 libc6-dev-arm64-cross libstdc++-12-dev-arm64-cross
  libgomp1-arm64-cross qemu-user-static mmdebstrap arch-test
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing system packages; run once as root:" >&2
    echo "  sudo apt-get install -y ${APT_PACKAGES[*]}" >&2
    exit 1
  fi
fi

# The arm64 LLVM OpenMP runtime in the aarch64 cross sysroot (aarch64 IR bundles, OpenMP builds).
# qemu-aarch64 registered with binfmt_misc (no systemd here): arm64 images and containers.
if [[ $(id -u) -eq 0 ]]; then
  ./scripts/arm64-openmp.sh
  ./scripts/binfmt-qemu.sh || echo "setup: binfmt_misc not available; arm64 images cannot be built" >&2
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,cuda]' 2>&1 \
  | grep -v -E "^WARNING: Location '.*' is ignored" || true
.venv/bin/python -c "import xaas_parsl" # fail loudly if the install did not work
./scripts/start-dockerd.sh  # a Docker engine for the container tests (vfs; idempotent)
# Base images (toolchain, runtime) from the Debian mirror with debootstrap, cached by content:
# the main job's container path and the container tests need them; a second run does nothing.
if docker version >/dev/null 2>&1; then
  .venv/bin/xaas images bootstrap \
    || echo "setup: base images not built; the main job will run natively and say so" >&2
fi

# A Slurm cluster in a box emulating Alps (docs/slurm.md) for tests/slurm: idempotent, ~15 s.
if [[ $(id -u) -eq 0 ]]; then
  ./scripts/start-slurm.sh --site alps
else
  echo "setup: not root; start the Slurm cluster with: sudo scripts/start-slurm.sh" >&2
fi

# ASL checkers and emulator for the flow translation tests (tools/asl: asl-validator,
# aws-local-stepfunctions), pinned by its package-lock.json.
if command -v npm >/dev/null 2>&1; then
  (cd tools/asl && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "setup: npm not found; the ASL emulator tests of tests/flow/translate will be skipped" >&2
fi
echo "setup: ready (.venv/bin/xaas)" >&2
