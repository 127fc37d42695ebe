#!/usr/bin/env bash
# An offline bundle of everything nmt builds and runs against except LibTorch,
# for a machine with no network and no Debian packages (an air-gapped cluster,
# the GPU machine): SentencePiece, CLI11, spdlog and fmt, nlohmann/json,
# GoogleTest, cairo and the DejaVu fonts its pictures are drawn in, and every
# shared library these load, and pkgconf to find them with, taken from this
# machine's Debian archive.
#   scripts/bundle-deps.sh [DIR]          here, from a machine where scripts/setup.sh
#                                         has run (default DIR: .gpu-deps, git-ignored)
#   source DIR/env.sh                     there, before configuring: then
#   scripts/build.sh                      (or cmake, with a LibTorch of its own)
# env.sh finds LibTorch through a torch Python module where one is importable
# (pip's torch), else leaves it to CMAKE_PREFIX_PATH or the system. The C and
# C++ runtimes are the target's own; so are zlib, bzip2, xz, zstd, expat and
# PCRE2 where it has them (the bundle's copies, in fallback/, are used only
# where it does not).
set -euo pipefail
out=${1:-.gpu-deps}
# What nmt compiles against: headers, CMake and pkg-config files, link names.
dev_packages=(libsentencepiece-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libgtest-dev libcairo2-dev)
data_packages=(fonts-dejavu-core)
# The libraries nmt links and the programs its build runs; the bundle carries
# them and what they load.
link_names=(sentencepiece sentencepiece_train spdlog fmt cairo)
programs=(/usr/bin/pkgconf)
# Libraries every target has: never bundled.
runtime='^(ld-linux.*|libc|libm|libdl|libpthread|librt|libresolv|libgcc_s|libstdc\+\+)\.so'
# Libraries nearly every target has: bundled, but used only where missing.
common='^(libz|libbz2|liblzma|libzstd|libexpatw?|libpcre2-8)\.so'

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in "${dev_packages[@]}" "${data_packages[@]}"; do
  installed "$p" || { echo "bundle-deps: $p is not installed here: run scripts/setup.sh first" >&2; exit 2; }
done

arch=$(gcc -print-multiarch)
# The runtime closure, as this machine resolves it, and the packages that own it.
# dpkg names a file by the path its package gave it: /lib or /usr/lib.
owner() { { dpkg-query -S "$1" 2>/dev/null || dpkg-query -S "${1#/usr}"; } | head -1 | cut -d: -f1; }
files=("${programs[@]}")
for name in "${link_names[@]}"; do files+=("/usr/lib/$arch/lib$name.so"); done
declare -A owners=()
while read -r lib; do
  package=$(owner "$lib")
  [ -n "$package" ] || { echo "bundle-deps: no installed package owns $lib" >&2; exit 1; }
  owners[$package]=1
done < <(
  for file in "${files[@]}"; do
    realpath "$file"
    env -u LD_LIBRARY_PATH ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
  done | while read -r lib; do
    [[ $(basename "$lib") =~ $runtime ]] || realpath "$lib"
  done | sort -u
)

rm -rf "$out"
mkdir -p "$out/debs"
( cd "$out/debs" && apt-get download -o APT::Sandbox::User=root "${dev_packages[@]}" "${data_packages[@]}" "${!owners[@]}" >/dev/null )
for d in "$out"/debs/*.deb; do dpkg -x "$d" "$out/root"; done
rm -rf "$out/debs" "$out/root/usr/share/doc" "$out/root/usr/share/man" "$out/root/usr/share/lintian"
libdir=$out/root/usr/lib/$arch
# Some packages put their libraries in /lib; one directory holds them all.
if [ -d "$out/root/lib/$arch" ]; then cp -a "$out/root/lib/$arch/." "$libdir/" && rm -rf "$out/root/lib"; fi
# Of libcairo2-dev, what nmt uses: cairo itself, shared.
rm -f "$libdir"/libcairo*.a "$libdir"/libcairo-{gobject,script-interpreter}.so "$libdir"/pkgconfig/cairo-*.pc
mkdir -p "$out/fallback"
for f in "$libdir"/*.so*; do
  if [[ $(basename "$f") =~ $common ]]; then mv "$f" "$out/fallback/"; fi
done
# cairo.pc requires the .pc files of cairo's own dependencies (for static
# links); nmt links it shared, so the bundle's needs none of them. Every .pc
# file finds the bundle relative to itself, wherever it is moved.
sed -i '/^Requires.private:/d; /^Libs.private:/d' "$libdir/pkgconfig/cairo.pc"
sed -i 's|^prefix=/usr$|prefix=${pcfiledir}/../../..|' "$libdir"/pkgconfig/*.pc
# fontconfig, told where the bundle's fonts are, relative to this file; its cache
# goes to the user's cache directory, or into the bundle where that is not writable.
mkdir -p "$out/fonts"
cat >"$out/fonts/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir prefix="relative">../root/usr/share/fonts</dir>
  <cachedir prefix="xdg">fontconfig</cachedir>
  <cachedir prefix="relative">cache</cachedir>
</fontconfig>
XML
# The newest glibc symbol the bundle's libraries and programs ask for: the oldest
# system it runs on.
glibc=$(for f in "$libdir"/*.so.* "$out"/root/usr/bin/*; do objdump -T "$f"; done | grep -o 'GLIBC_[0-9.]*' |
  sort -uV | tail -1)
glibc=${glibc#GLIBC_}
sed -e "s|@ARCH@|$arch|; s|@GLIBC@|$glibc|" >"$out/env.sh" <<'ENV'
# Source from bash or zsh, from anywhere: points CMake, pkg-config, the compiler,
# the loader and fontconfig at this bundle (nmt's scripts/bundle-deps.sh). A
# LibTorch in CMAKE_PREFIX_PATH is used; without one, that of the torch Python imports.
_nmt_bundle() {
  local deps arch=@ARCH@ glibc=@GLIBC@ have torch
  deps="$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]:-$1}")" >/dev/null && pwd)"
  local lib=$deps/root/usr/lib/$arch
  if [ ! -d "$lib" ]; then
    echo "env.sh: no bundle beside this file ($deps): source it from bash or zsh" >&2; return 1
  fi
  if [ "$(uname -m)" != "${arch%%-*}" ]; then
    echo "env.sh: this bundle is for ${arch%%-*} and this machine is $(uname -m)" >&2; return 1
  fi
  have=$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2 || true)
  if [ -z "$have" ] || ! printf '%s
' "$glibc" "$have" | sort -V -C; then
    echo "env.sh: the bundle's libraries need glibc $glibc or later (and GCC 12's libstdc++); this machine has ${have:-no glibc}" >&2
    return 1
  fi
  if [ -z "${CMAKE_PREFIX_PATH:-}" ]; then
    torch=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path, int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null || true)
    if [ "${torch##* }" = 0 ]; then
      echo "env.sh: the torch Python imports is built with the old C++ ABI (pip's wheels before 2.7) and the bundle's"         "libraries with the new one: set CMAKE_PREFIX_PATH to a LibTorch built with the cxx11 ABI" >&2
      return 1
    fi
    torch=${torch% *}
    [ -d "$torch" ] && export CMAKE_PREFIX_PATH=$torch
  fi
  export CMAKE_PREFIX_PATH="${CMAKE_PREFIX_PATH:+$CMAKE_PREFIX_PATH:}$deps/root/usr:$lib/cmake:$deps/root/usr/share/cmake"
  export PKG_CONFIG="$deps/root/usr/bin/pkgconf"
  export PKG_CONFIG_PATH="$lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export CPATH="$deps/root/usr/include${CPATH:+:$CPATH}"
  # The few libraries nearly every system has come from the system where it has them.
  local cache f fallback=
  cache=$(/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true)
  for f in "$deps"/fallback/*.so.*; do
    [ -L "$f" ] || continue  # the names programs ask for
    case "$cache" in *"${f##*/} ("*) ;; *) fallback=":$deps/fallback" ;; esac
  done
  export LD_LIBRARY_PATH="$lib$fallback${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export FONTCONFIG_FILE="$deps/fonts/fonts.conf"
}
_nmt_bundle "$0"
_nmt_bundle_status=$?
unset -f _nmt_bundle
return "$_nmt_bundle_status" 2>/dev/null || exit "$_nmt_bundle_status"
ENV
echo "bundle-deps: $(du -sh "$out" | cut -f1) in $out, from ${#dev_packages[@]} -dev packages and ${#owners[@]} runtime ones; needs glibc $glibc" >&2
