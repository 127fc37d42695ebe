#!/usr/bin/env bash
# Installs what nmt needs to build, test and run, from Debian packages, and only
# what is missing. Idempotent; works as root or through sudo.
#   --bench  also what scripts/bench.sh needs: the PyTorch peer's python3-torch
#            and python3-sentencepiece, and linux-perf and valgrind for profiles.
#   --fuzz   also what scripts/fuzz.sh needs: clang and its libFuzzer runtime.
set -euo pipefail

packages=(
  libtorch-dev libopenblas0-pthread        # LibTorch; OpenBLAS behind its GEMMs (30x the reference BLAS)
  libgloo-dev                              # headers of the Gloo collectives behind LibTorch's c10d (data-parallel training)
  libsentencepiece-dev sentencepiece       # subword vocabulary
  libcli11-dev libspdlog-dev nlohmann-json3-dev
  libcairo2-dev fonts-dejavu-core          # attention heatmaps and training curves
  libgtest-dev cmake g++ ninja-build pkg-config
)
case "${1:-}" in
  --bench) packages+=(python3-torch python3-sentencepiece linux-perf valgrind) ;;
  --fuzz) packages+=(clang libclang-rt-14-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

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
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all packages present" >&2
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
