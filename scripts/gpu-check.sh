#!/usr/bin/env bash
# Verifies the `cuda` backend on a GPU machine, in one call, from the bundle that
# scripts/gpu-bundle.sh builds here (.gpu/bundle.tar.xz: a static-stdlib `vgg`, the Debian
# libraries it links, a Fashion-MNIST subset). The GPU machine needs NVIDIA's driver,
# cuBLAS, cuDNN 9 and NVRTC (system-wide or in PyTorch's pip wheels) and, for step 4, PyTorch.
#
#   1. every op of `cuda` against `cpu` (vgg check-backend), fp32 (tolerance 1e-4 of the
#      largest reference magnitude) and TF32 (1e-2);
#   1b. bf16 (check-bf16): every op of `cuda --precision bf16` against `reference` in bf16 (the
#      oracle of docs/precision.md), quick shapes, op tolerance 1e-2 (one bf16 step: cuDNN's and
#      cuBLAS's float32 sums may round a value to the neighbouring bf16), end to end 0.5; prints
#      how many outputs were bit for bit and `check-bf16: PASS` or `FAIL`;
#   2. the main job (VGG-A with BatchNorm, Fashion-MNIST, batch 128, seed 1) for 300 steps on
#      the GPU: its metrics.csv, to set beside the same run on the CPU;
#   2b. bf16 (train-bf16): the same job in bf16 on 6400 images (50 steps): `train-bf16: PASS` when
#      it exits 0 with a finite training loss and validation top-1 above 0.2 (chance is 0.1);
#   3. vgg bench --backend cuda: VGG-16 and VGG-11 training (batch 128) and VGG-16 inference
#      (batch 256) at 224 px, fp32 and TF32;
#   4. bench/torch_vgg_gpu.py: PyTorch on the same workloads and GPU (fp32, TF32, bf16).
#
# Usage: bash scripts/gpu-check.sh [STEP…] (steps: check check-bf16 train train-bf16 bench layers torch
# check-tf32; default all). TORCH_MODES (default fp32,tf32,bf16) picks PyTorch's precisions.
# Results go to $OUT (or ./gpu-check-out): gpu-check.log, check-*.jsonl, train-metrics.csv,
# bench.jsonl, torch.jsonl; a summary table ends the log.
set -u
out=${OUT:-$PWD/gpu-check-out}
mkdir -p "$out"
log="$out/gpu-check.log"
steps=${*:-check check-bf16 train train-bf16 bench layers torch check-tf32}
say() { echo "== $*" | tee -a "$log"; }

bundle=/tmp/vgg-gpu
rm -rf "$bundle" && mkdir -p "$bundle"
tar -C "$bundle" -xJf .gpu/bundle.tar.xz || { echo "no bundle: run scripts/gpu-bundle.sh first"; exit 1; }
vgg=$bundle/vgg
export LD_LIBRARY_PATH="$bundle/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# NVIDIA's libraries: the system's, else those of PyTorch's wheels.
if ! ldconfig -p | grep -q 'libcudnn.so.9'; then
    wheels=$(python3 -c 'import nvidia, glob, os; print(":".join(sorted(glob.glob(os.path.join(nvidia.__path__[0], "*", "lib")))))' 2>/dev/null)
    export VGG_CUDA_LIBRARY_PATH="$wheels"
    export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$wheels"
fi
{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1
    ldconfig -p | grep -E 'libcuda\.so\.1|libcudnn\.so\.9|libcublas\.so\.1|libnvrtc\.so\.1' | head -8
    echo "VGG_CUDA_LIBRARY_PATH=${VGG_CUDA_LIBRARY_PATH:-}"
    nproc
} >>"$log" 2>&1
cat "$log"

deadline=${GPU_CHECK_SECONDS:-420}   # the whole script's budget: later steps get what is left
run() { # name timeout command…
    local name=$1 limit=$2; shift 2
    local left=$((deadline - SECONDS))
    if [ "$left" -lt 15 ]; then say "$name: skipped (the script's $deadline s are spent)"; return 0; fi
    [ "$limit" -gt "$left" ] && limit=$left
    say "$name: $*"
    local t0=$SECONDS
    timeout "$limit" "$@" >>"$log" 2>&1
    local rc=$?
    say "$name: exit $rc after $((SECONDS - t0)) s"
    tail -n 4 "$log"
    return 0
}

failures() { # the summary and every failing check of a check-backend JSON file, briefly
    python3 - "$1" <<'PY' 2>&1 | tee -a "$log"
import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("{"): continue
    r = json.loads(line)
    if "summary" in r: print(r["summary"], f"({r.get('wall_seconds', 0):.1f} s)")
    elif not r.get("passed", True):
        bad = [f"{o['name']}: {o.get('max_rel_err')}" for o in r.get("outputs", []) if not o.get("passed", True)]
        print("FAIL", r.get("check"), r.get("shape"), r.get("error", ""), "; ".join(bad)[:300])
PY
}

for step in $steps; do
    case $step in
    check)
        run check-fp32 150 bash -c "'$vgg' check-backend --backend cuda --against cpu --json > '$out/check-fp32.jsonl'"
        failures "$out/check-fp32.jsonl"
        ;;
    check-bf16)
        run check-bf16 90 bash -c "'$vgg' check-backend --backend cuda --precision bf16 --against reference --quick --tolerance 1e-2 --network-tolerance 0.5 --json > '$out/check-bf16.jsonl'"
        failures "$out/check-bf16.jsonl"
        python3 - "$out/check-bf16.jsonl" <<'PY' 2>&1 | tee -a "$log"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
summary = [r for r in rows if "summary" in r]
ops = [o for r in rows if "check" in r and not r["check"].startswith("network") for o in r.get("outputs", [])]
exact = sum(1 for o in ops if o.get("max_rel_err") == 0)
worst = max((o["max_rel_err"] for o in ops if isinstance(o.get("max_rel_err"), (int, float))), default=float("nan"))
print(f"check-bf16: {len(ops)} op outputs, {exact} bit for bit, largest relative difference {worst:.2e}")
ok = bool(summary) and summary[-1].get("failed") == 0
print("check-bf16:", "PASS" if ok else "FAIL" + ("" if summary else " (no summary: the run did not finish)"))
PY
        ;;
    train-bf16)
        rm -rf /tmp/vgg-run-bf16
        run train-bf16 90 "$vgg" train --data "$bundle/data" --arch A --batch-norm --init kaiming --epochs 1 --batch-size 128 \
            --limit-train 6400 --limit-test 1000 --seed 1 --backend cuda --precision bf16 --out /tmp/vgg-run-bf16
        cp /tmp/vgg-run-bf16/metrics.csv "$out/train-bf16-metrics.csv" 2>/dev/null
        python3 - "$out/train-bf16-metrics.csv" <<'PY' 2>&1 | tee -a "$log"
import csv, math, sys
try:
    rows = list(csv.DictReader(open(sys.argv[1])))
except FileNotFoundError:
    rows = []
if not rows:
    print("train-bf16: FAIL (no metrics.csv row: the run did not finish an epoch)")
else:
    r = rows[-1]
    loss, top1 = float(r["train_loss"]), float(r["val_top1"])
    ok = math.isfinite(loss) and top1 > 0.2
    print(f"train-bf16: train loss {loss:.3f}, val top-1 {top1:.3f}, {r['images_per_s']} img/s:", "PASS" if ok else "FAIL")
PY
        ;;
    check-tf32)
        run check-tf32 90 bash -c "'$vgg' check-backend --backend cuda --precision tf32 --against cpu --tolerance 1e-2 --json > '$out/check-tf32.jsonl'"
        failures "$out/check-tf32.jsonl"
        ;;
    train)
        rm -rf /tmp/vgg-run
        run train 120 "$vgg" train --data "$bundle/data" --arch A --batch-norm --init kaiming --epochs 1 --batch-size 128 \
            --seed 1 --backend cuda --out /tmp/vgg-run
        cp /tmp/vgg-run/metrics.csv "$out/train-metrics.csv" 2>/dev/null
        ;;
    bench)
        : >"$out/bench.jsonl"
        for precision in fp32 tf32; do
            for workload in "D 128 --skip-inference" "A 128 --skip-inference" "D 256 --skip-training"; do
                set -- $workload
                arch=$1 batch=$2 skip=$3
                run "bench VGG-$arch $precision batch $batch $skip" 75 bash -c \
                    "'$vgg' bench --backend cuda --precision $precision --arch $arch --input 3x224x224 --classes 1000 --batch-size $batch $skip --no-layers --warmup 3 --iterations 10 --json | tee /tmp/bench.out; tail -n 1 /tmp/bench.out >> '$out/bench.jsonl'"
            done
        done
        ;;
    layers)
        # Where the time goes: VGG-16 training per layer (the table waits for the GPU after every layer).
        run "bench VGG-D tf32 per layer" 75 "$vgg" bench --backend cuda --precision tf32 --arch D --input 3x224x224 \
            --classes 1000 --batch-size 128 --skip-inference --warmup 2 --iterations 5
        ;;
    torch)
        run torch 200 bash -c "PYTHONUNBUFFERED=1 python3 bench/torch_vgg_gpu.py --iterations 10 --modes ${TORCH_MODES:-fp32,tf32,bf16} > '$out/torch.jsonl'"
        cat "$out/torch.jsonl" | tee -a "$log"
        ;;
    esac
done

say summary
python3 - "$out" <<'PY' 2>&1 | tee -a "$log"
import json, os, sys
out = sys.argv[1]
def lines(name):
    try:
        return [json.loads(l) for l in open(os.path.join(out, name)) if l.strip().startswith("{")]
    except FileNotFoundError:
        return []
for name in ("check-fp32.jsonl", "check-bf16.jsonl", "check-tf32.jsonl"):
    rows = lines(name)
    if rows: print(name, rows[-1])
torch = {(r["name"], r["mode"]): r for r in lines("torch.jsonl") if "name" in r}
print(f"{'workload':<14}{'mode':<6}{'vgg img/s':>10}{'torch img/s':>12}{'ratio':>7}{'vgg MiB':>9}{'torch MiB':>10}")
for r in lines("bench.jsonl"):
    arch = "vgg16" if r.get("arch", "").startswith("VGG-D") else "vgg11"
    train = "train_img_s" in r
    key = (arch + ("-train" if train else "-infer"), r.get("precision", "?"))
    ours = r.get("train_img_s") or r.get("infer_img_s") or 0
    t = torch.get(key, {})
    ratio = ours / t["img_s"] if t.get("img_s") else float("nan")
    print(f"{key[0]:<14}{key[1]:<6}{ours:>10.1f}{t.get('img_s', float('nan')):>12.1f}{ratio:>7.2f}{r.get('peak_gpu_mib', 0):>9.0f}{t.get('peak_mib', float('nan')):>10.0f}")
PY
