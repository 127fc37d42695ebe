#!/usr/bin/env bash
# Compiles the code only CUDA builds see (the NCCL process group in
# src/train/distributed.cpp) on this CPU-only machine, so that a change to it is
# caught before a GPU is lent: every source with a CUDA-only branch is compiled
# (-fsyntax-only, warnings as errors) with USE_CUDA and USE_C10D_NCCL against
# Debian's LibTorch headers and the real CUDA and NCCL headers, once with Gloo
# and once without (pip's CUDA PyTorch may ship no Gloo headers).
#   scripts/check-cuda.sh
# The headers come from Debian's non-free nvidia-cuda-dev (bookworm: CUDA 11.8)
# and contrib libnccl-dev (trixie: NCCL 2.22; bookworm has none), fetched once
# through a private apt configuration (nothing is installed; about 900 MB
# downloaded, 14 MB kept) into $NMT_CUDA_HEADERS (default ~/.cache/nmt/cuda-headers).
# What it cannot show: linking, LibTorch 2's c10d API, or a run on a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${NMT_CUDA_HEADERS:-$HOME/.cache/nmt/cuda-headers}
cuda_pkg=nvidia-cuda-dev/bookworm nccl_pkg=libnccl-dev/trixie

if [ ! -s "$cache/usr/include/nccl.h" ] || [ ! -s "$cache/usr/include/cuda_runtime_api.h" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/debs"
  cat >"$tmp/sources.list" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm non-free
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie contrib
EOF
  apt=(-o Dir::Etc::sourcelist="$tmp/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::lists="$tmp/lists"
       -o Dir::Cache="$tmp/cache" -o APT::Sandbox::User=root)
  echo "check-cuda: fetching $cuda_pkg and $nccl_pkg (headers only are kept)" >&2
  apt-get "${apt[@]}" update >/dev/null
  (cd "$tmp/debs" && apt-get "${apt[@]}" download "$cuda_pkg" "$nccl_pkg" >/dev/null)
  rm -rf "$cache" && mkdir -p "$cache"
  for deb in "$tmp"/debs/*.deb; do dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$cache" --wildcards './usr/include/*'; done
  # Generated when LibTorch is built with CUDA; Debian's CPU build ships no copy.
  mkdir -p "$cache/generated/c10/cuda/impl"
  echo '#define C10_CUDA_BUILD_SHARED_LIBS' >"$cache/generated/c10/cuda/impl/cuda_cmake_macros.h"
fi

[ -f build/compile_commands.json ] || scripts/build.sh nmt >/dev/null
mapfile -t sources < <(grep -l 'USE_C10D_NCCL\|USE_CUDA' -r src --include='*.cpp')
/usr/bin/python3 - "$cache" "${sources[@]}" <<'EOF'
import json, shlex, subprocess, sys
cache, sources = sys.argv[1], sys.argv[2:]
commands = {c["file"]: c for c in json.load(open("build/compile_commands.json"))}
failed = 0
for src in sources:
    entry = next((c for f, c in commands.items() if f.endswith("/" + src)), None)
    if entry is None:
        sys.exit(f"check-cuda: {src} is not in build/compile_commands.json")
    args = shlex.split(entry["command"])
    # The same flags, less the output, the precompiled header and the object file.
    base, skip = [], 0
    for a in args:
        if skip:
            skip -= 1
        elif a in ("-o", "-include", "-c"):
            skip = 1 if a != "-c" else 0
        elif a != "-Winvalid-pch" and a != entry["file"]:
            base.append(a)
    extra = ["-fsyntax-only", "-DUSE_CUDA", "-DNMT_HAVE_C10D", "-DUSE_C10D_NCCL",
             "-isystem", f"{cache}/generated", "-idirafter", f"{cache}/usr/include", entry["file"]]
    for variant, drop in (("with Gloo", ()), ("without Gloo", ("-DUSE_C10D_GLOO",))):
        cmd = [a for a in base if a not in drop] + extra
        r = subprocess.run(cmd, cwd=entry["directory"], stderr=subprocess.PIPE, text=True)
        status = "ok" if r.returncode == 0 else "FAILED"
        print(f"check-cuda: {src} ({variant}, CUDA + NCCL): {status}")
        if r.returncode:
            failed += 1
            sys.stderr.write(r.stderr[-4000:])
sys.exit(1 if failed else 0)
EOF
