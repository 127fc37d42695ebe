#!/usr/bin/env bash
# A stand-in for cuDNN, for building and testing Debian's CUDA LibTorch
# (libtorch-cuda-dev) where NVIDIA's servers cannot be reached: Debian's
# nvidia-cudnn package is an installer that downloads cuDNN from NVIDIA, and
# libtorch_cuda.so needs libcudnn.so.9. scripts/setup.sh --cuda uses it unless
# nvidia-cudnn is already installed (install the real one first where NVIDIA
# can be reached):
#   scripts/cudnn-standin.sh package   # an empty nvidia-cudnn, so that apt can
#                                      # install libtorch-cuda-dev
#   scripts/cudnn-standin.sh library   # a libcudnn.so.9 of the cudnn* functions
#                                      # LibTorch imports, in a directory of its own
# Every function of the stand-in library stops the program with a line naming
# itself: nmt links and runs on the CPU, and no GPU run can mistake it for cuDNN
# (LibTorch calls cuDNN only for tensors on a GPU). Its directory is searched
# after the system's, so a real libcudnn.so.9 installed later wins, and the
# package's version sorts below Debian's, so apt offers the real installer as
# an upgrade. To remove it: rm -r "$dir" "$conf"; ldconfig (the paths below).
set -euo pipefail
version=9.0.0.312~a.nmt.standin  # above libtorch-cuda's ">= 9.0.0.312~", below Debian's 9.0.0.312~cuda12
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
dir=/usr/lib/$multiarch/nmt-cudnn-standin
conf=/etc/ld.so.conf.d/zz-nmt-cudnn-standin.conf  # after the system's own directories
marker=nmt_cudnn_standin                          # a symbol only the stand-in exports
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case "${1:-}" in
package)
  if dpkg-query -W -f='${Status}' nvidia-cudnn 2>/dev/null | grep -q "install ok installed"; then
    echo "cudnn-standin: nvidia-cudnn is installed already; nothing to stand in for" >&2
    exit 0
  fi
  mkdir -p "$tmp/pkg/DEBIAN"
  cat >"$tmp/pkg/DEBIAN/control" <<EOF
Package: nvidia-cudnn
Version: $version
Architecture: $(dpkg --print-architecture)
Maintainer: nmt <nmt@localhost>
Description: stand-in for NVIDIA's cuDNN installer (nmt's scripts/cudnn-standin.sh)
 Installs nothing; $dir/libcudnn.so.9 stops any program that calls it.
EOF
  dpkg-deb --build "$tmp/pkg" "$tmp/nvidia-cudnn.deb" >/dev/null
  dpkg -i "$tmp/nvidia-cudnn.deb" >/dev/null
  echo "cudnn-standin: installed an empty nvidia-cudnn $version" >&2
  ;;
library)
  if [ -e "$dir/libcudnn.so.9" ] && ! nm -D "$dir/libcudnn.so.9" | grep -q " $marker\$"; then
    echo "cudnn-standin: $dir/libcudnn.so.9 is not the stand-in; left alone" >&2
    exit 1
  fi
  lib=/usr/lib/$multiarch
  mapfile -t imported < <(for f in "$lib"/libtorch_cuda.so.* "$lib"/libtorch_python.so.*; do
    [ -L "$f" ] || nm -D --undefined-only "$f" | awk '$2 ~ /^cudnn/ {sub(/@.*/, "", $2); print $2}'
  done | sort -u)
  [ ${#imported[@]} -gt 0 ] || { echo "cudnn-standin: LibTorch imports no cudnn* function" >&2; exit 1; }
  {
    echo '#include <stdio.h>'
    echo '#include <stdlib.h>'
    echo "int $marker = 1;"
    echo 'static void stop(const char* name) {'
    echo '  fprintf(stderr, "%s: this is the stand-in libcudnn.so.9 of nmt'"'"'s scripts/cudnn-standin.sh, not cuDNN\n", name);'
    echo '  abort();'
    echo '}'
    for f in "${imported[@]}"; do echo "int $f(void) { stop(\"$f\"); return 1; }"; done
  } >"$tmp/standin.c"
  # NVIDIA's library versions its symbols with its soname, and LibTorch asks for that version.
  echo "libcudnn.so.9 { global: cudnn*; $marker; local: *; };" >"$tmp/version.map"
  mkdir -p "$dir"
  gcc -shared -fPIC -O1 -Wl,-soname,libcudnn.so.9 -Wl,--version-script,"$tmp/version.map" \
    -o "$tmp/libcudnn.so.9" "$tmp/standin.c"
  cp "$tmp/libcudnn.so.9" "$dir/.libcudnn.so.9.tmp.$$" && mv "$dir/.libcudnn.so.9.tmp.$$" "$dir/libcudnn.so.9"
  echo "$dir" >"$conf"
  ldconfig
  echo "cudnn-standin: $dir/libcudnn.so.9 stands in for the ${#imported[@]} cudnn* functions LibTorch imports" >&2
  ;;
*)
  echo "usage: scripts/cudnn-standin.sh package|library" >&2
  exit 2
  ;;
esac
