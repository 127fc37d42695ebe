#!/usr/bin/env bash
# small_disk.sh DIR FREE_KB COMMAND...
# Runs COMMAND with DIR on a file system of its own that holds DIR's files and
# has FREE_KB kilobytes free (a tmpfs in a private mount namespace), so that
# writes fail with a real ENOSPC; then copies what DIR holds at the end to
# DIR.after, for the caller to compare. Exits with COMMAND's status, or 77
# where this machine cannot mount one.
set -u
dir=$1 free_kb=$2
shift 2
if [ "${NMT_SMALL_DISK:-}" != 1 ]; then
  unshare -rm true 2>/dev/null || exit 77
  NMT_SMALL_DISK=1 exec unshare -rm "$0" "$dir" "$free_kb" "$@"
fi
used_kb=$(du -sk "$dir" | cut -f1)
cp -a "$dir" "$dir.before"
mount -t tmpfs -o size=$((used_kb + free_kb + 256))k nmt-small-disk "$dir" 2>/dev/null || exit 77
cp -a "$dir.before/." "$dir/" && rm -rf "$dir.before"
fill_kb=$(($(df -k --output=avail "$dir" | tail -n 1) - free_kb))
[ "$fill_kb" -le 0 ] || head -c "${fill_kb}K" /dev/zero >"$dir/.fill"
"$@"
rc=$?
rm -f "$dir/.fill"
mkdir "$dir.after" && cp -a "$dir/." "$dir.after/"
exit $rc
