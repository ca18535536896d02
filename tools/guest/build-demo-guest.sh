#!/usr/bin/env bash
# tools/guest/build-demo-guest.sh — builds askfirst's tiny demo guest from
# Debian packages: the Debian cloud kernel plus an initramfs holding busybox,
# curl, git and openssl. It boots to a network in seconds under TCG.
#
# Nothing is downloaded but Debian packages (apt-get download of the kernel;
# busybox, curl, git and openssl are copied from the host's installed Debian
# packages, with the shared libraries they link). The result is cached under
# $XDG_CACHE_HOME/askfirst/demo-guest/ and rebuilt when this script changes.
#
# At launch, askfirst-vm appends a second, small cpio to this initramfs with
# the askfirst CA (/askfirst/ca.pem) and the script to run (/askfirst/run):
# the kernel unpacks concatenated cpio archives in order, so the CA reaches
# the guest at boot with no guest configuration.
#
# usage: build-demo-guest.sh [--print-dir] [--force]
set -euo pipefail

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/askfirst/demo-guest"
script_hash=$(cat "$0" "$(dirname "$0")/demo-init.sh" | sha256sum | cut -c1-16)
out="$cache_root/$script_hash"
force=0
for arg in "$@"; do
  case "$arg" in
    --print-dir) echo "$out"; exit 0 ;;
    --force) force=1 ;;
    *) echo "build-demo-guest: unknown argument '$arg' (use --print-dir or --force)" >&2; exit 2 ;;
  esac
done

if [[ $force -eq 0 && -s "$out/vmlinuz" && -s "$out/initrd.cpio.gz" ]]; then
  echo "$out"
  exit 0
fi

need() { command -v "$1" >/dev/null || { echo "build-demo-guest: '$1' is missing: run tools/setup.sh" >&2; exit 1; }; }
for tool in apt-get dpkg-deb cpio gzip busybox curl git openssl ldd; do need "$tool"; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache_root"

# 1. The kernel: Debian's cloud kernel (small, virtio drivers as modules).
kernel_package=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
[[ -n "$kernel_package" ]] || { echo "build-demo-guest: no linux-image-cloud-amd64 in apt's lists: run 'apt-get update'" >&2; exit 1; }
(cd "$work" && apt-get download -q "$kernel_package" >/dev/null 2>&1) || {
  echo "build-demo-guest: could not download $kernel_package from the Debian archive" >&2; exit 1; }
dpkg-deb -x "$work"/"$kernel_package"_*.deb "$work/kernel"
kernel_version=${kernel_package#linux-image-}
/usr/sbin/depmod -b "$work/kernel" "$kernel_version"

# 2. The initramfs root.
root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,lib/modules,usr/bin,usr/lib/git-core,etc/ssl/certs,askfirst}
cp /bin/busybox "$root/bin/busybox"

# Modules the demo needs, in dependency order (from modules.dep).
modules_dir="$work/kernel/lib/modules/$kernel_version"
module_list=()
add_module() {  # $1: path relative to the modules dir
  local module="$1" dep
  for dep in $(awk -v m="$module:" '$1 == m { for (i = 2; i <= NF; i++) print $i }' "$modules_dir/modules.dep"); do
    add_module "$dep"
  done
  [[ " ${module_list[*]} " == *" $module "* ]] || module_list+=("$module")
}
for wanted in kernel/drivers/virtio/virtio_pci.ko kernel/drivers/net/virtio_net.ko \
              kernel/drivers/char/hw_random/virtio-rng.ko kernel/drivers/block/virtio_blk.ko; do
  add_module "$wanted"
done
: > "$root/lib/modules/load-order"
for module in "${module_list[@]}"; do
  cp "$modules_dir/$module" "$root/lib/modules/"
  basename "$module" >> "$root/lib/modules/load-order"
done

# Programs from the host's Debian packages, with every shared library they link.
copy_with_libraries() {  # $1: program path, $2: destination inside the root
  local program="$1" destination="$2" library
  mkdir -p "$root/$(dirname "$destination")"
  cp -L "$program" "$root/$destination"
  for library in $(ldd "$program" | awk '/=>/ { print $3 } /^\s*\/lib/ { print $1 }'); do
    [[ -e "$root$library" ]] && continue
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
  done
}
copy_with_libraries "$(command -v curl)" /usr/bin/curl
copy_with_libraries "$(command -v openssl)" /usr/bin/openssl
copy_with_libraries "$(command -v git)" /usr/bin/git
copy_with_libraries /usr/lib/git-core/git-remote-http /usr/lib/git-core/git-remote-http
ln -s git-remote-http "$root/usr/lib/git-core/git-remote-https"
# The dynamic loader, at the path the programs name.
loader=$(ldd "$(command -v curl)" | awk '/ld-linux/ { print $1 }')
mkdir -p "$root$(dirname "$loader")" && cp -L "$loader" "$root$loader"
[[ -e "$root/lib64" ]] || ln -s lib/x86_64-linux-gnu "$root/lib64" 2>/dev/null || true

cp "$(dirname "$0")/demo-init.sh" "$root/init"
chmod 0755 "$root/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"

# 3. Pack it.
tmp_out="$out.tmp.$$"
mkdir -p "$tmp_out"
cp "$work/kernel/boot/vmlinuz-$kernel_version" "$tmp_out/vmlinuz"
(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -9 > "$tmp_out/initrd.cpio.gz"
echo "$kernel_version" > "$tmp_out/kernel-version"
rm -rf "$out" && mv "$tmp_out" "$out"
echo "$out"
