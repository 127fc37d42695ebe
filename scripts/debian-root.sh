#!/usr/bin/env bash
# Runs a command in a Debian root of another release, to build and test nmt
# against that release's LibTorch without a container engine:
#   scripts/debian-root.sh trixie scripts/test.sh    # LibTorch 2.6, gcc 14
#   scripts/debian-root.sh sid scripts/demo.sh       # LibTorch 2.14, gcc 16
#   scripts/debian-root.sh trixie-cuda bash          # a shell in the root of the CUDA
#                                                    # LibTorch 2.6 (scripts/setup.sh --cuda)
#   scripts/debian-root.sh trixie-bare ...           # a third, with LibTorch but none of nmt's other
#                                                    # dependencies (scripts/gpu-check.sh rehearse)
# A root is made once with debootstrap (minbase; main, contrib and non-free) and
# cached on the machine in $NMT_ROOTS/NAME (default ~/.cache/nmt/roots), so every
# clone shares it; inside it the scripts install their own packages, as a user
# of that release would. The checkout is mounted at its own path (what the
# command writes there, models/ included, is the checkout's), and ../shared
# read-only beside it where it exists, in a private mount namespace that ends
# with the command. Builds go to build-NAME/ unless BUILD_DIR says otherwise.
# Needs root (debootstrap, mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: scripts/debian-root.sh trixie|trixie-cuda|trixie-bare|sid [COMMAND [ARG...]]"
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
name=$1
shift
[ $# -gt 0 ] || set -- bash
case "$name" in trixie | trixie-cuda | trixie-bare | sid) ;; *)
  echo "debian-root: unknown root '$name' (trixie, trixie-cuda, trixie-bare or sid)" >&2
  exit 2
  ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "debian-root: debootstrap and the mounts need root" >&2
  exit 2
fi
roots=${NMT_ROOTS:-$HOME/.cache/nmt/roots}
root=$roots/$name
release=${name%%-*}  # trixie-cuda, trixie-bare: more trixie roots, each with its own packages
project=$PWD
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$roots"

# One maker at a time; a root is renamed into place only once it is complete,
# so one without apt-get is the remains of an interrupted removal.
exec 9>"$roots/.$name.lock"
flock 9
if [ ! -x "$root/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || {
    echo "debian-root: installing debootstrap on this host" >&2
    apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null
  }
  rm -rf --one-file-system "$root" "$root".tmp.*
  tmp=$root.tmp.$$
  echo "debian-root: making the $name root in $root (debootstrap, about a minute)" >&2
  debootstrap --variant=minbase --components=main,contrib,non-free "$release" "$tmp" "$mirror" >"$roots/$name.debootstrap.log" 2>&1 ||
    { tail -5 "$roots/$name.debootstrap.log" >&2; rm -rf --one-file-system "$tmp"; exit 1; }
  echo "deb $mirror $release main contrib non-free non-free-firmware" >"$tmp/etc/apt/sources.list"
  {
    # Two runs in one root (two clones): the second apt waits for the first.
    echo 'DPkg::Lock::Timeout "1200";'
    # sid's Release files can outlive their Valid-Until on a mirror that is not refreshed daily.
    [ "$release" != sid ] || echo 'Acquire::Check-Valid-Until "false";'
  } >"$tmp/etc/apt/apt.conf.d/99nmt"
  mv "$tmp" "$root"
fi
cmp -s /etc/resolv.conf "$root/etc/resolv.conf" || cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
exec 9>&-

shared=$(cd .. && pwd)/shared
quoted=$(printf '%q ' "$@")
# pivot_root, not chroot: the kernel refuses user namespaces (unshare -r, which
# the robustness suite mounts its small disks with) to a chrooted process.
exec unshare --mount --propagation private bash -c '
  set -e
  root=$1 project=$2 shared=$3 cmd=$4
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  mkdir -p "$root$project"
  mount --bind "$project" "$root$project"
  if [ -d "$shared" ]; then
    mkdir -p "$root$shared"
    mount --bind "$shared" "$root$shared"
    mount -o remount,bind,ro "$root$shared"
  fi
  mkdir -p "$root/.host"
  cd "$root"
  pivot_root . .host
  umount -l /.host
  exec /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 BUILD_DIR="${BUILD_DIR:-build-$(basename "$root")}" ${JOBS:+JOBS=$JOBS} \
    ${NMT_WERROR:+NMT_WERROR=$NMT_WERROR} ${MULTI30K:+MULTI30K=$MULTI30K} \
    bash -c "cd \"\$0\" && exec $cmd" "$project"
' debian-root "$root" "$project" "$shared" "$quoted"
