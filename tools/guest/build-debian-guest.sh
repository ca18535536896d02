#!/usr/bin/env bash
# tools/guest/build-debian-guest.sh — builds askfirst's real working guest:
# a Debian 12 (bookworm) disk image made with mmdebstrap from Debian packages
# only, for `askfirst-vm --guest debian` (and, with its kernel given by hand,
# as a stand-in "user's cloud image" for `askfirst-vm --image`).
#
# What is in it: Debian's generic kernel (not the cloud flavour: that one is
# built without 9p, and askfirst-vm --share is virtio 9p), systemd (networkd + resolved, DHCP
# and router advertisements on the virtio NIC), cloud-init (NoCloud only),
# git, curl, python3, openssh-client, jq, less, procps, iproute2, sudo,
# nodejs (npm fetched on first use), awscli; a user
# `agent` with passwordless sudo, auto-logged-in on the serial console ttyS0;
# and the guest half of askfirst-vm (tools/guest/debian-customize.sh): a unit
# that installs the askfirst CA handed over by QEMU's fw_cfg, one that mounts
# the 9p share at /mnt/share, one that runs a --run script as `agent`.
#
# No bootloader: askfirst-vm boots the image with -kernel/-initrd, which this
# script extracts next to it. The ext4 file system is made with `mkfs.ext4 -d`
# from inside mmdebstrap's last hook, so ownership is right in both root and
# unshare mode, and no loop device or mount is needed.
#
# The apt mirror: the host's configured apt sources, Debian's own archives
# only (origin "Debian" in `apt-cache policy`); $ASKFIRST_DEBIAN_MIRROR
# (a URI such as http://deb.debian.org/debian) overrides them. Nothing comes
# from outside Debian's archive.
#
# Cached under $XDG_CACHE_HOME/askfirst/debian-guest/<hash of this script
# and the customize hook>/ (vmlinuz, initrd.img, disk.qcow2); rebuilt only
# when those change, or with --force.
#
# usage: build-debian-guest.sh [--print-dir] [--force]
# prints the cache folder on its last line of stdout; progress on stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
customize="$here/debian-customize.sh"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/askfirst/debian-guest"
script_hash=$(cat "$0" "$customize" "$here/install-stubs.sh" | sha256sum | cut -c1-16)
out="$cache_root/$script_hash"
# Room left free on the guest's root file system for the agent's work; the
# disk is a sparse qcow2, so unused space costs nothing on the host.
free_space_mib=3072

force=0
for arg in "$@"; do
  case "$arg" in
    --print-dir) echo "$out"; exit 0 ;;
    --force) force=1 ;;
    *) echo "build-debian-guest: unknown argument '$arg' (use --print-dir or --force)" >&2; exit 2 ;;
  esac
done

if [[ $force -eq 0 && -s "$out/vmlinuz" && -s "$out/initrd.img" && -s "$out/disk.qcow2" ]]; then
  echo "$out"
  exit 0
fi

need() { command -v "$1" >/dev/null || { echo "build-debian-guest: '$1' is missing: run tools/setup.sh" >&2; exit 1; }; }
for tool in mmdebstrap mkfs.ext4 qemu-img apt-cache; do need "$tool"; done

# The Debian archives among the host's apt sources, as one-line sources for
# bookworm: the main archive gives bookworm and bookworm-updates, the
# security archive bookworm-security (so a trixie host still builds bookworm).
debian_sources() {
  if [[ -n "${ASKFIRST_DEBIAN_MIRROR:-}" ]]; then
    echo "deb $ASKFIRST_DEBIAN_MIRROR bookworm main"
    echo "deb $ASKFIRST_DEBIAN_MIRROR bookworm-updates main"
    return
  fi
  apt-cache policy 2>/dev/null | awk '
    $1 ~ /^[0-9]+$/ && $2 ~ /^(https?|file):/ { uri = $2; next }
    /release / && uri != "" && /o=Debian,/ {
      if (/l=Debian-Security/) security[uri] = 1; else main[uri] = 1
      uri = ""; next }
    { uri = "" }
    END {
      for (u in main) { print "deb " u " bookworm main"; print "deb " u " bookworm-updates main" }
      for (u in security) print "deb " u " bookworm-security main"
    }' | sort -u
}
mapfile -t sources < <(debian_sources)
if [[ ${#sources[@]} -eq 0 ]]; then
  echo "build-debian-guest: the host's apt sources name no Debian archive (origin Debian in 'apt-cache policy';" \
       "run 'apt-get update', or set ASKFIRST_DEBIAN_MIRROR=http://deb.debian.org/debian)" >&2
  exit 1
fi

packages=(
  linux-image-amd64 initramfs-tools systemd systemd-sysv systemd-resolved udev dbus kmod
  cloud-init ca-certificates git curl python3 openssh-client jq less procps iproute2 sudo
  iputils-ping netcat-openbsd nodejs awscli
)
# nodejs (Debian's Node 18) for agents installed inside the guest, awscli
# (Debian's v2) for the cloud calls they make (issue 14). Not Debian's npm:
# counted with apt against an empty system (no recommends), the list above
# without nodejs/awscli is 195 packages / 149 MB to fetch; nodejs adds 10 /
# 21 MB, awscli 20 / 12 MB, but npm adds 349 packages (node-* modules, 14 MB):
# unpacking and configuring them one by one is what ran the build past 40
# minutes under load. /usr/local/bin/npm (debian-customize.sh) fetches npm
# itself from the npm registry, through askfirstd, on first use instead.

mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"   # the unshare-mode hook (a subordinate uid) writes the image here
started=$(date +%s)
echo "build-debian-guest: building Debian 12 with mmdebstrap from: ${sources[*]}" >&2

# The last customize hook makes the ext4 image from the finished tree (inside
# mmdebstrap's namespace, where the tree's owners are the guest's own) and
# copies the kernel and initramfs out. The tree is read through a plain
# (non-recursive) bind mount, which leaves out the /proc, /sys and /dev that
# mmdebstrap has mounted in it. --format=null: no tarball besides.
mmdebstrap --variant=apt --format=null --mode=auto \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --customize-hook="'$customize' \"\$1\"" \
  --customize-hook='
    set -e
    cp -L "$1"/boot/vmlinuz-*-amd64 "'"$work"'/vmlinuz"
    cp -L "$1"/boot/initrd.img-*-amd64 "'"$work"'/initrd.img"
    tree=$(mktemp -d)
    mount --bind "$1" "$tree"
    trap "umount \"$tree\" 2>/dev/null; rmdir \"$tree\"" EXIT
    used_mib=$(du -sm "$tree" | cut -f1)
    mkfs.ext4 -q -F -L askfirst-root -E root_owner=0:0 -d "$tree" "'"$work"'/disk.raw" \
      "$((used_mib + used_mib / 5 + '"$free_space_mib"'))M"
    ' \
  bookworm /dev/null "${sources[@]}" >&2

qemu-img convert -c -O qcow2 "$work/disk.raw" "$work/disk.qcow2"   # compressed: ~half the cache
rm -f "$work/disk.raw"
rm -rf "$out"
mkdir -p "$out"
mv "$work/vmlinuz" "$work/initrd.img" "$work/disk.qcow2" "$out/"
echo "build-debian-guest: built $out in $(( $(date +%s) - started )) s" \
     "($(du -sh "$out/disk.qcow2" | cut -f1) disk)" >&2
echo "$out"
