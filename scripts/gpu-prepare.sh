#!/usr/bin/env bash
# Prepare what scripts/gpu-check.sh needs on a lent GPU machine (which has no package registry,
# another Python and takes at most 64 MiB of carried files): run HERE, on the build machine.
#
# Builds one IR bundle of heat2d with the opt-in CUDA configuration and a CPU one (they share
# host IR), deploys both into .gpu-carry/ (git-ignored), with the runtime libraries the node
# cannot be assumed to have (libcudart from the CUDA 12.4 wheel, libomp from LLVM 19), and the
# pure-Python modules the check imports (pynvml, packaging). Then carry it:
#   run(command="bash scripts/gpu-check.sh", carry=[".gpu-carry"])
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD
XAAS=".venv/bin/xaas"
PY=".venv/bin/python"
BUNDLE=${XAAS_GPU_BUNDLE:-/tmp/xaas-gpu-bundle}
CPU_CONFIG=${XAAS_GPU_CPU_CONFIG:-OPENMP+AVX2_256}
C=.gpu-carry
rm -rf "$C"
mkdir -p "$C/pylib" "$C/lib"
"$XAAS" ir build xaas_parsl/bundled_apps/heat2d/app.yaml --configs "OPENMP+CUDA,$CPU_CONFIG" \
  -o "$BUNDLE" --json > "$C/ir-build.json"
"$XAAS" ir deploy "$BUNDLE" --config OPENMP+CUDA --install-dir "$PWD/$C/cuda" --json \
  > "$C/deploy-cuda.json"
"$XAAS" ir deploy "$BUNDLE" --config "$CPU_CONFIG" --install-dir "$PWD/$C/cpu" --json \
  > "$C/deploy-cpu.json"
"$XAAS" ir gpu-targets "$C/cuda" > "$C/gpu-targets.txt"
# libomp of the toolchain that built both (the GPU node need not have LLVM 19)
cp -L "$("$PY" -c 'import subprocess,re;o=subprocess.run(["ldd",".gpu-carry/cpu/bin/heat2d"],capture_output=True,text=True).stdout;print(re.search(r"libomp\.so\S* => (\S+)",o).group(1))')" "$C/lib/"
"$PY" - "$C/pylib" <<'PYEOF'
import pathlib, shutil, sys
import packaging, pynvml
dest = pathlib.Path(sys.argv[1])
shutil.copy(pynvml.__file__, dest / "pynvml.py")
shutil.copytree(pathlib.Path(packaging.__file__).parent, dest / "packaging",
                ignore=shutil.ignore_patterns("__pycache__"))
PYEOF
size=$(du -sm "$C" | cut -f1)
echo "gpu-prepare: $C is ${size} MiB (limit 64); targets: $(tr '\n' ' ' < "$C/gpu-targets.txt")"
if (( size > 60 )); then echo "gpu-prepare: too large to carry" >&2; exit 1; fi
