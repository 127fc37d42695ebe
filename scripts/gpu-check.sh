#!/usr/bin/env bash
# The checks and figures that need a CUDA GPU, prepared as one script for the
# GPU machine (../shared/gpu/README.md), whose time is short. Each phase fits
# one 10-minute call there; figures go to $OUT/figures.jsonl (one JSON line
# each), logs to $OUT/logs/.
#   scripts/gpu-check.sh pack      here: bundle the dependencies into .gpu-deps
#                                  (scripts/bundle-deps.sh) and copy Multi30k into
#                                  data/multi30k (both git-ignored, both to carry:
#                                  the GPU machine has no ../shared; delete them after)
#   scripts/gpu-check.sh rehearse  here, as root: pack's bundle, then the build phase
#                                  in a Debian trixie root that has LibTorch 2.6 and
#                                  a compiler, CMake and ninja, but none of nmt's other
#                                  dependencies (not even pkg-config), as the GPU
#                                  machine has; every test runs there
#   scripts/gpu-check.sh build     there: configure and build build-gpu (timed)
#                                  from the bundle, say whether NCCL and Gloo were
#                                  found, run the precision tests (fp16 on CUDA
#                                  among them)                                 ~5 min
#   scripts/gpu-check.sh measure   there: transformer-multi30k for 2 minutes in
#                                  fp32 and in bf16 (target tokens/s, dev BLEU);
#                                  transformer-base sizes on random batches of 25k
#                                  target tokens for 1 minute in bf16, through
#                                  NCCL at world size 1 (tokens/s, MFU)        ~7 min
# Overrides, to try the script on a CPU: DEVICE (cuda), TRAIN_TIME (2m),
# BENCH_SECONDS (60), BASE_TOKENS (25000), GEMM_SIZE (8192), PRECISIONS ("fp32 bf16"),
# TESTS (the build phase's CTest regex).
set -euo pipefail
cd "$(dirname "$0")/.."
phase=${1:?usage: scripts/gpu-check.sh pack|rehearse|build|measure}
out=${OUT:-/tmp/nmt-gpu-check}
build=${BUILD_DIR:-build-gpu}
mkdir -p "$out/logs"

# One JSON line of figures: "key": value pairs as arguments (values are JSON).
figure() {
  local line="{\"phase\": \"$phase\"" k v
  while [ $# -gt 0 ]; do k=$1 v=$2; shift 2; line+=", \"$k\": $v"; done
  echo "$line}" | tee -a "$out/figures.jsonl"
}

case "$phase" in
pack)
  scripts/bundle-deps.sh .gpu-deps
  mkdir -p data/multi30k
  cp ../shared/data/multi30k/{train,val,test2016}.{en,fr} data/multi30k/
  du -sh .gpu-deps data/multi30k
  echo 'carry: [".gpu-deps", "data/multi30k"]'
  ;;

rehearse)
  scripts/bundle-deps.sh .gpu-deps
  scripts/debian-root.sh trixie-bare scripts/gpu-check.sh in-bare-root
  ;;

in-bare-root)
  # rehearse runs this inside its root (never on a host: it installs LibTorch), to
  # make the GPU machine's situation: LibTorch (pip's torch ships Gloo's headers;
  # Debian's are libgloo-dev), a compiler, CMake and ninja. Anything of nmt's
  # installed here would hide a gap in the bundle.
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libtorch-dev libgloo-dev libopenblas0-pthread g++ cmake ninja-build >/dev/null
  ours=(libsentencepiece-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libgtest-dev libcairo2-dev libcairo2
        fonts-dejavu-core pkgconf pkg-config)
  present=$({ dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${ours[@]}" 2>/dev/null || true; } |
    awk '$1 == "installed" {print $2}')
  [ -z "$present" ] || { echo "gpu-check: this root has $present installed; the rehearsal needs it without" >&2; exit 1; }
  echo "gpu-check: LibTorch $(dpkg-query -W -f='${Version}' libtorch-dev) and none of nmt's other dependencies" >&2
  rm -f "$build/CMakeCache.txt"  # every dependency found afresh, from the bundle
  OUT=$build/gpu-check TESTS=. exec scripts/gpu-check.sh build
  ;;

build)
  # shellcheck disable=SC1091
  source .gpu-deps/env.sh
  start=$SECONDS
  BUILD_DIR=$build NMT_WERROR=OFF scripts/build.sh >"$out/logs/build.log" 2>&1 || {
    tail -40 "$out/logs/build.log"
    exit 1
  }
  secs=$((SECONDS - start))
  found() { if grep -q "^$1:PATH=/" "$build/CMakeCache.txt"; then echo true; else echo false; fi; }
  figure build_s "$secs" cores "$(nproc)" nccl "$(found NMT_NCCL_INCLUDE_DIR)" gloo "$(found NMT_GLOO_INCLUDE_DIR)" \
    version "\"$("$build/nmt" --version 2>&1 | head -2 | paste -sd ' ')\"" \
    gpu "\"$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)\""
  # Mixed precision (fp16 on CUDA among them), the rank variables, and nmt train
  # in a process group of one (NCCL on the GPU).
  (cd "$build" && ctest -R "${TESTS:-Precision|RankInfo|AGroupOfOneRank}" --output-on-failure -j "$(nproc)") >"$out/logs/ctest.log" 2>&1 && rc=0 || rc=$?
  tail -5 "$out/logs/ctest.log"
  figure tests "\"$(grep -o '[0-9]*% tests passed.*' "$out/logs/ctest.log")\"" \
    tests_skipped "$(grep -c '(Skipped)$' "$out/logs/ctest.log" || true)"
  exit "$rc"
  ;;

measure)
  # shellcheck disable=SC1091
  source .gpu-deps/env.sh
  nmt=$PWD/$build/nmt
  device=${DEVICE:-cuda}
  work=$(mktemp -d)
  # transformer-multi30k, as users train it, for TRAIN_TIME in each precision.
  for precision in ${PRECISIONS:-fp32 bf16}; do
    dir=$work/multi30k-$precision
    MULTI30K=data/multi30k "$nmt" train -c configs/transformer-multi30k.json --device "$device" \
      --set model_dir="$dir" --set training.max_time="${TRAIN_TIME:-2m}" --set training.precision="$precision" \
      2>"$out/logs/multi30k-$precision.log" || { tail -5 "$out/logs/multi30k-$precision.log"; exit 1; }
    cp "$dir/metrics.jsonl" "$out/logs/multi30k-$precision.metrics.jsonl"
    /usr/bin/env python3 - "$dir/metrics.jsonl" "$precision" >>"$out/figures.jsonl" <<'EOF'
import json, statistics, sys
events = [json.loads(l) for l in open(sys.argv[1])]
train = [e for e in events if e["event"] == "train"]
valid = [e for e in events if e["event"] == "valid"]
end = [e for e in events if e["event"] == "end"][-1]
print(json.dumps({"phase": "measure", "run": "transformer-multi30k", "precision": sys.argv[2],
                  "updates": end["step"], "elapsed_s": round(end["elapsed_s"], 1),
                  "tgt_tok_per_s_median": round(statistics.median(e["tgt_tok_per_s"] for e in train)) if train else None,
                  "dev_bleu_best": max((e["bleu"] for e in valid), default=None),
                  "dev_bleu_last": valid[-1]["bleu"] if valid else None}))
EOF
    tail -1 "$out/figures.jsonl"
  done
  # transformer-base sizes on random batches of BASE_TOKENS target tokens (31 pieces a
  # sentence, about WMT14's mean), through the process group at world size 1, as
  # `torchrun --nproc_per_node 1` would start it.
  WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=29517 \
    "$nmt" -q bench train -c configs/transformer-base-wmt14.json --device "$device" --synthetic-len 31 \
    --set training.precision=bf16 --set training.batch_tokens="${BASE_TOKENS:-25000}" --set model_dir="$work/base" \
    --warmup 5 --steps 100000 --seconds "${BENCH_SECONDS:-60}" --gemm-size "${GEMM_SIZE:-8192}" >"$work/base.json" 2>"$out/logs/base.log" ||
    { tail -5 "$out/logs/base.log"; exit 1; }
  # MFU against the GPU's dense bf16 peak from its data sheet, beside the bench's
  # own against a bf16 GEMM measured in the same process.
  /usr/bin/env python3 - "$work/base.json" >>"$out/figures.jsonl" <<'EOF'
import json, subprocess, sys
r = json.loads(open(sys.argv[1]).read())
try:
    gpu = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                         capture_output=True, text=True).stdout.strip().splitlines()[0]
except (OSError, IndexError):
    gpu = "none"
# Dense bf16 tensor-core peaks, TFLOP/s (NVIDIA's data sheets, without sparsity).
peaks = {"H200": 989.4, "H100 80GB HBM3": 989.4, "H100 PCIe": 756.0, "H100 NVL": 835.0, "A100": 312.0}
peak = next((v for k, v in peaks.items() if k in gpu), None)
print(json.dumps({"phase": "measure", "run": "transformer-base synthetic", "gpu": gpu,
                  "backend": r["backend"], "world_size": r["world_size"], "precision": r["precision"],
                  "batch_tokens": r["batch_tokens"], "steps": r["steps"],
                  "tgt_tok_per_s": round(r["train_tgt_tokens_per_s"]), "achieved_tflops": r["achieved_gflops"] / 1e3,
                  "gemm_tflops_measured": r["gemm_gflops"] / 1e3, "mfu_vs_measured_gemm": r["mfu"],
                  "peak_tflops_datasheet": peak,
                  "mfu_vs_datasheet": r["achieved_gflops"] / 1e3 / peak if peak else None,
                  "collective_share": r["collective_share"], "params": r["params"]}))
EOF
  tail -1 "$out/figures.jsonl"
  cp "$work/base.json" "$out/logs/base.bench.json"
  ;;
*)
  echo "scripts/gpu-check.sh: unknown phase '$phase' (pack, rehearse, build or measure)" >&2
  exit 2
  ;;
esac
