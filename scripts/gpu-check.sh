#!/usr/bin/env bash
# The real-GPU check, for a session that is lent a GPU machine (no package registry, another
# Python, < 4 min). Prepare on the build machine first (scripts/gpu-prepare.sh), then run it
# there with .gpu-carry carried:  run(command="bash scripts/gpu-check.sh", carry=[".gpu-carry"])
#
# 1. system discovery with pynvml on the real GPU (xaas_parsl.discovery.nvidia.probe_nvml)
#    and the compatibility verdict for the deployed CUDA runtime + fat binary on that node;
# 2. heat2d-test of the CUDA deployment built from the IR bundle, on the GPU;
# 3. heat2d kernel time on the GPU vs the CPU deployment (all cores), same grid and steps.
# Everything goes to $OUT (default ./gpu-check-out): raw outputs and gpu-check.json.
# Exit 2: nothing prepared; exit 3: no usable GPU (nvidia-smi missing or failing), refused
# before any measurement.
set -uo pipefail
cd "$(dirname "$0")/.."
C=.gpu-carry
OUT=${OUT:-$PWD/gpu-check-out}
N=${XAAS_GPU_N:-4096}
STEPS=${XAAS_GPU_STEPS:-200}
REPEATS=${XAAS_GPU_REPEATS:-3}
mkdir -p "$OUT"
if [[ ! -x "$C/cuda/bin/heat2d-test" ]]; then
  echo "gpu-check: $C/cuda missing: run scripts/gpu-prepare.sh here and carry .gpu-carry" >&2
  exit 2
fi
export LD_LIBRARY_PATH="$PWD/$C/lib:$PWD/$C/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
PY=$(command -v python3 || command -v python)
{ date -u +%FT%TZ; uname -a; "$PY" --version; nproc; } > "$OUT/host.txt" 2>&1
# The GPU boundary: without a working NVIDIA driver nothing below means anything, so refuse
# (exit 3) before measuring, and write no gpu-check.json that could pass for a result.
if ! command -v nvidia-smi > /dev/null; then
  echo "nvidia-smi: not found" > "$OUT/nvidia-smi.txt"
  smi=127
else
  timeout 30 nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
  smi=$?
fi
echo "nvidia-smi rc=$smi" >> "$OUT/nvidia-smi.txt"
if (( smi != 0 )); then
  echo "gpu-check: refused: no usable NVIDIA GPU here (nvidia-smi rc=$smi: $(head -1 \
    "$OUT/nvidia-smi.txt")); run it on a lent GPU machine. Nothing was measured." >&2
  exit 3
fi

# 1. discovery + verdict (pynvml and packaging are carried; the package is this checkout)
PYTHONPATH="$PWD/$C/pylib:$PWD" timeout 60 "$PY" - "$C" > "$OUT/discovery.json" \
  2> "$OUT/discovery.err" <<'PYEOF'
import importlib.util, json, sys
from dataclasses import asdict
from pathlib import Path
from xaas_parsl.discovery.nvidia import probe_nvml
carry = Path(sys.argv[1])
found = probe_nvml()
doc = {"nvml": found is not None}
if found is not None:
    doc.update(driver=found.driver_version, cuda_driver=found.cuda_driver_version,
               gpus=[asdict(g) for g in found.gpus], notes=list(found.notes))
    # by file: the intersection package's __init__ imports modules this Python lacks
    spec = importlib.util.spec_from_file_location(
        "cuda_compat", "xaas_parsl/intersection/cuda_compat.py")
    compat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compat)
    runtime = json.loads((carry / "cuda/share/xaas/cuda-runtime.json").read_text())["runtime"]
    targets = (carry / "gpu-targets.txt").read_text().split()
    verdict = compat.check_container(runtime, targets, list(found.gpus))
    doc["verdict"] = {"runtime": runtime, "targets": targets, "runs": verdict.runs,
                      "mode": verdict.mode, "reasons": verdict.reasons,
                      "warnings": verdict.warnings}
print(json.dumps(doc, indent=2))
PYEOF
echo "discovery rc=$?" >> "$OUT/discovery.err"

# 2. the CUDA deployment's own test, on the GPU
timeout 120 "$C/cuda/bin/heat2d-test" > "$OUT/heat2d-test-gpu.txt" 2>&1
echo "rc=$?" >> "$OUT/heat2d-test-gpu.txt"

# 3. GPU vs CPU kernel time
: > "$OUT/timings.txt"
for i in $(seq "$REPEATS"); do
  { echo "== gpu $i"; timeout 60 "$C/cuda/bin/heat2d" --n "$N" --steps "$STEPS" --gpu; } \
    >> "$OUT/timings.txt" 2>&1
  { echo "== cpu $i"; OMP_NUM_THREADS=$(nproc) timeout 120 "$C/cpu/bin/heat2d" --n "$N" \
      --steps "$STEPS"; } >> "$OUT/timings.txt" 2>&1
done
"$PY" - "$OUT" "$N" "$STEPS" "$C" <<'PYEOF'
import json, re, statistics, sys
from pathlib import Path
out, n, steps, carry = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
times = {"gpu": [], "cpu": []}
label = None
for line in (out / "timings.txt").read_text().splitlines():
    if line.startswith("== "):
        label = line.split()[1]
    elif (m := re.search(r"time\s*:\s*([0-9.]+) s", line)) and label:
        times[label].append(float(m.group(1)))
test = (out / "heat2d-test-gpu.txt").read_text()
discovery = json.loads((out / "discovery.json").read_text() or "{}")
med = {k: statistics.median(v) for k, v in times.items() if v}
doc = {"n": n, "steps": steps, "kernel_seconds": times, "median_seconds": med,
       "speedup_gpu_over_cpu": round(med["cpu"] / med["gpu"], 2) if len(med) == 2 else None,
       "heat2d_test_gpu_passed": "heat2d-test: PASS" in test and "gpu vs reference" in test,
       "discovery": discovery, "cpu_config": json.loads(
           (carry / "deploy-cpu.json").read_text())["config"],
       "host": (out / "host.txt").read_text().splitlines()}
(out / "gpu-check.json").write_text(json.dumps(doc, indent=2) + "\n")
print(json.dumps({k: doc[k] for k in ("median_seconds", "speedup_gpu_over_cpu",
                                      "heat2d_test_gpu_passed")}))
PYEOF
