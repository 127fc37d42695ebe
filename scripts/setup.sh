#!/usr/bin/env bash
# Installs what nmt needs to build, test and run, from Debian packages, and only
# what is missing. Idempotent; works as root or through sudo.
#   --bench  also what scripts/bench.sh needs: python3-sentencepiece for the
#            PyTorch peer, and linux-perf and valgrind for profiles.
#   --fuzz   also what scripts/fuzz.sh needs: clang and its libFuzzer runtime.
#   --cuda   Debian 13's CUDA LibTorch in place of the CPU one (contrib and
#            non-free: libtorch-cuda-dev 2.6, CUDA 12.4, NCCL), with a stand-in
#            for cuDNN unless nvidia-cudnn is installed already: Debian's
#            downloads cuDNN from NVIDIA (scripts/cudnn-standin.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
bench=false fuzz=false cuda=false
for arg in "$@"; do
  case "$arg" in
    --bench) bench=true ;;
    --fuzz) fuzz=true ;;
    --cuda) cuda=true ;;
    *) echo "setup: unknown option '$arg' (--bench, --fuzz, --cuda)" >&2; exit 2 ;;
  esac
done
# Once installed, the CUDA LibTorch stays: the CPU one would replace it.
if installed libtorch-cuda-dev; then cuda=true; fi
torch=(libtorch-dev libgloo-dev python3-torch)
if $cuda; then torch=(libtorch-cuda-dev libgloo-cuda-dev python3-torch-cuda nvidia-cuda-toolkit libnccl-dev); fi
packages=(
  "${torch[@]}"                            # LibTorch; Gloo's headers (c10d: data-parallel training); torchrun, which a test starts nmt under
  libopenblas0-pthread                     # OpenBLAS behind LibTorch's GEMMs (30x the reference BLAS)
  libsentencepiece-dev sentencepiece       # subword vocabulary
  libcli11-dev libspdlog-dev nlohmann-json3-dev
  libcairo2-dev fonts-dejavu-core          # attention heatmaps and training curves
  libgtest-dev cmake g++ ninja-build pkg-config
)
if $bench; then packages+=(python3-sentencepiece linux-perf valgrind); fi
if $fuzz; then packages+=(clang libclang-rt-14-dev); fi

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "setup: installing ${missing[*]:-nothing} needs root or sudo" >&2
    [ ${#missing[@]} -eq 0 ] || exit 1
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  if $cuda; then "${sudo[@]}" scripts/cudnn-standin.sh package; fi  # unless nvidia-cudnn is installed
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present" >&2
fi
# sid's SentencePiece headers include abseil's, which its -dev package does not pull in.
if grep -qsE '#include [<"]absl/' /usr/include/sentencepiece_processor.h && ! installed libabsl-dev; then
  echo "setup: installing libabsl-dev (included by SentencePiece's headers)" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends libabsl-dev >/dev/null
fi
if $cuda; then
  libraries=$(ldconfig -p)
  [[ $libraries == *"libcudnn.so.9 "* ]] || "${sudo[@]}" scripts/cudnn-standin.sh library
fi

# LibTorch calls the generic libblas.so.3; make sure OpenBLAS is the one behind it.
alt=libblas.so.3-$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
current=$(update-alternatives --query "$alt" 2>/dev/null | awk '/^Value:/ {print $2}')
case "$current" in
  *openblas*) ;;
  *)
    openblas=$(update-alternatives --list "$alt" 2>/dev/null | grep openblas | head -n 1 || true)
    if [ -n "$openblas" ]; then
      echo "setup: pointing $alt at $openblas (was ${current:-unset})" >&2
      "${sudo[@]}" update-alternatives --set "$alt" "$openblas" >/dev/null
    else
      echo "setup: warning: OpenBLAS is not registered for $alt; matrix products will be slow" >&2
    fi
    ;;
esac
