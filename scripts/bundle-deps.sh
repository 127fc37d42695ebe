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
common='^(libz|libbz2|liblzma|libzstd|libexpat|libpcre2-8)\.so'

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for p in "${dev_packages[@]}" "${data_packages[@]}"; do
  installed "$p" || { echo "bundle-deps: $p is not installed here: run scripts/setup.sh first" >&2; exit 2; }
done

arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
# The runtime closure, as this machine resolves it, and the packages that own it.
# dpkg names a file by the path its package gave it: /lib or /usr/lib.
owner() { { dpkg-query -S "$1" 2>/dev/null || dpkg-query -S "${1#/usr}"; } | head -1 | cut -d: -f1; }
files=("${programs[@]}")
for name in "${link_names[@]}"; do files+=("/usr/lib/$arch/lib$name.so"); done
declare -A owners=()
while read -r lib; do
  owners[$(owner "$lib")]=1
done < <(
  for file in "${files[@]}"; do
    realpath "$file"
    ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
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
# links); nmt links it shared, so the bundle's needs none of them.
sed -i '/^Requires.private:/d; /^Libs.private:/d' "$libdir/pkgconfig/cairo.pc"
# fontconfig, told where the bundle's fonts are, relative to this file.
mkdir -p "$out/fonts"
cat >"$out/fonts/fonts.conf" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir prefix="relative">../root/usr/share/fonts</dir>
  <cachedir prefix="xdg">fontconfig</cachedir>
</fontconfig>
XML
cat >"$out/env.sh" <<ENV
# Source from anywhere: points CMake, pkg-config, the compiler, the loader and
# fontconfig at the bundle (scripts/bundle-deps.sh).
_deps="\$(cd "\$(dirname "\${BASH_SOURCE[0]}")" && pwd)"
_lib="\$_deps/root/usr/lib/$arch"
_torch="\$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true)"
[ -d "\$_torch" ] || _torch=
export CMAKE_PREFIX_PATH="\${_torch:+\$_torch:}\$_deps/root/usr:\$_lib/cmake:\$_deps/root/usr/share/cmake\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}"
export PKG_CONFIG="\$_deps/root/usr/bin/pkgconf"
export PKG_CONFIG_PATH="\$_lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="\$_deps/root"
export CPATH="\$_deps/root/usr/include\${CPATH:+:\$CPATH}"
_fallback=
for _f in "\$_deps"/fallback/*.so.*; do
  [ -L "\$_f" ] || continue  # the names programs ask for
  /sbin/ldconfig -p 2>/dev/null | grep -q " \${_f##*/} " || _fallback=":\$_deps/fallback"
done
export LD_LIBRARY_PATH="\$_lib\$_fallback\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export FONTCONFIG_FILE="\$_deps/fonts/fonts.conf"
unset _deps _lib _torch _fallback _f
ENV
echo "bundle-deps: $(du -sh "$out" | cut -f1) in $out, from ${#dev_packages[@]} -dev packages and $((${#owners[@]})) runtime ones" >&2
