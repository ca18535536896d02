#!/bin/sh
# tools/guest/debian-customize.sh — mmdebstrap customize hook for the Debian
# guest (build-debian-guest.sh); $1 is the guest's root tree. Writes the
# guest half of askfirst-vm:
#   - networking: systemd-networkd, DHCP + router advertisements on the
#     virtio NIC, systemd-resolved for DNS (askfirstd answers both);
#   - askfirst-ca.service: the askfirst CA that askfirst-vm hands over with
#     `-fw_cfg name=opt/askfirst/ca.pem,file=...` is read from
#     /sys/firmware/qemu_fw_cfg and added to the system store (as
#     update-ca-certificates would add it); off with `askfirst.ca=off` on the kernel
#     command line, so a test can prove the NoCloud path alone;
#   - askfirst-share.service: mounts the 9p share (tag askfirst-share) at
#     /mnt/share when askfirst-vm was given --share, and at the folder's
#     path on the host too, which askfirst-vm hands over as fw_cfg
#     opt/askfirst/share-path (so paths in the agent's work, its logs and
#     its answers are the host's);
#   - askfirst-stubs.service: installs the credential stubs askfirst-vm
#     hands over as fw_cfg opt/askfirst/stubs.tar for `agent` (files in its
#     home, variables for every login) with tools/guest/install-stubs.sh,
#     before any login or --run script (issue 13);
#   - npm on first use: Debian's nodejs is in the image but Debian's npm is
#     not (it pulls ~350 packages: measured, see build-debian-guest.sh);
#     /usr/local/bin/npm and npx fetch npm itself from the npm registry,
#     through askfirstd like any other request, checked against the
#     registry's sha512 integrity, into the user's ~/.local (global
#     installs go to ~/.local too, on PATH);
#   - askfirst-run.service: runs the script handed over as
#     opt/askfirst/run as the `agent` user, output on the console, then
#     powers the VM off (askfirst-vm --run);
#   - the CA variables for clients that do not read the system store (Node)
#     or read their own (Python requests, awscli, curl, git): every login
#     (/etc/profile.d, /etc/environment) and every systemd service
#     (DefaultEnvironment) gets NODE_EXTRA_CA_CERTS, SSL_CERT_FILE,
#     REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, AWS_CA_BUNDLE and GIT_SSL_CAINFO
#     naming the system bundle, which askfirst-ca.service extends (issue 14);
#   - the `agent` user (passwordless sudo, auto-login on ttyS0);
#   - cloud-init limited to NoCloud with network config left to networkd.
set -eu
root="$1"
here=$(cd "$(dirname "$0")" && pwd)

write() {  # write MODE PATH (content on stdin)
  mkdir -p "$root$(dirname "$2")"
  cat > "$root$2"
  chmod "$1" "$root$2"
}

echo askfirst-guest | write 0644 /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 askfirst-guest\n::1 localhost ip6-localhost ip6-loopback\n' \
  | write 0644 /etc/hosts
# Disposable root on the virtio disk; no fsck (every boot is a fresh overlay).
echo '/dev/vda / ext4 rw,errors=remount-ro 0 0' | write 0644 /etc/fstab

write 0644 /etc/systemd/network/20-virtio.network <<'UNIT'
# The VM's only NIC is askfirstd's: DHCPv4 and SLAAC from its slirp side.
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
IPv6AcceptRA=yes

[Link]
RequiredForOnline=routable
RequiredFamilyForOnline=ipv4
UNIT
ln -sf /run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"

# --- the askfirst CA from fw_cfg ---
write 0755 /usr/local/sbin/askfirst-fw-cfg-ca <<'SCRIPT'
#!/bin/sh
# Installs the askfirst CA that askfirst-vm passed with
# -fw_cfg name=opt/askfirst/ca.pem; does nothing when none was passed.
set -eu
modprobe qemu_fw_cfg 2>/dev/null || true
blob=/sys/firmware/qemu_fw_cfg/by_name/opt/askfirst/ca.pem/raw
if [ ! -r "$blob" ]; then
  echo "askfirst-ca: no CA in fw_cfg (not started by askfirst-vm --guest): nothing to install"
  exit 0
fi
mkdir -p /usr/local/share/ca-certificates
local_copy=/usr/local/share/ca-certificates/askfirst-vm.crt
cat "$blob" > "$local_copy"
hash=$(openssl x509 -noout -hash -in "$local_copy") || {
  echo "askfirst-ca: fw_cfg opt/askfirst/ca.pem holds no PEM certificate" >&2; exit 1; }
# What update-ca-certificates would do for this one added certificate, done
# directly: its full run rehashes every CA and takes over a minute under TCG.
# The copy in /usr/local/share/ca-certificates keeps it across later runs.
ln -sf "$local_copy" /etc/ssl/certs/askfirst-vm.pem
ln -sf askfirst-vm.pem "/etc/ssl/certs/$hash.0"
cat "$local_copy" >> /etc/ssl/certs/ca-certificates.crt
echo "askfirst-ca: the askfirst CA is trusted by the system store"
SCRIPT
write 0644 /etc/systemd/system/askfirst-ca.service <<'UNIT'
[Unit]
Description=Trust the askfirst CA handed over by QEMU fw_cfg
ConditionKernelCommandLine=!askfirst.ca=off
After=local-fs.target
Before=network-online.target askfirst-run.service cloud-config.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/askfirst-fw-cfg-ca
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT

# --- the CA variables (the same as `askfirst exec` sets; tools/exec_ca_trust.h) ---
bundle=/etc/ssl/certs/ca-certificates.crt
ca_variables="NODE_EXTRA_CA_CERTS SSL_CERT_FILE REQUESTS_CA_BUNDLE CURL_CA_BUNDLE AWS_CA_BUNDLE GIT_SSL_CAINFO"
{
  echo "# askfirst: clients that do not read the system store trust it through these (askfirst-ca.service)"
  for variable in $ca_variables; do echo "export $variable=$bundle"; done
} | write 0644 /etc/profile.d/askfirst-ca.sh
for variable in $ca_variables; do echo "$variable=$bundle"; done >> "$root/etc/environment"
{
  echo "# askfirst: the CA variables for every service (askfirst-ca.service extends the bundle)"
  echo "[Manager]"
  printf 'DefaultEnvironment='
  for variable in $ca_variables; do printf '%s=%s ' "$variable" "$bundle"; done
  echo
} | write 0644 /etc/systemd/system.conf.d/askfirst-ca.conf

# --- the 9p share ---
write 0755 /usr/local/sbin/askfirst-mount-share <<'SCRIPT'
#!/bin/sh
# Mounts askfirst-vm's --share folder (virtio 9p, tag askfirst-share) at
# /mnt/share when the VM has one, and at the folder's host path (fw_cfg
# opt/askfirst/share-path; askfirst-vm has refused paths that would hide the
# guest's own system or the agent's home). Folders created on the way are
# 0755, and existing ones the agent could not cross (/root) get o+x, so
# `agent` reaches it. Files keep the host's owners, so the host user with uid
# 1000 and the guest's `agent` (uid 1000) are the same person.
set -eu
modprobe 9pnet_virtio 2>/dev/null || true
modprobe qemu_fw_cfg 2>/dev/null || true
for tag in /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag; do
  [ -r "$tag" ] || continue
  if [ "$(tr -d '\000' < "$tag")" = askfirst-share ]; then
    mkdir -p /mnt/share
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 askfirst-share /mnt/share
    echo "askfirst-share: the host folder is mounted at /mnt/share"
    path_blob=/sys/firmware/qemu_fw_cfg/by_name/opt/askfirst/share-path/raw
    [ -r "$path_blob" ] || exit 0
    host_path=$(cat "$path_blob")
    case "$host_path" in /?*) ;; *) echo "askfirst-share: odd host path '$host_path': /mnt/share only"; exit 0 ;; esac
    (umask 022; mkdir -p "$host_path")
    mount --bind /mnt/share "$host_path"
    folder=$(dirname "$host_path")
    while [ "$folder" != / ]; do chmod o+x "$folder"; folder=$(dirname "$folder"); done
    echo "askfirst-share: and at $host_path, its path on the host"
    exit 0
  fi
done
SCRIPT
write 0644 /etc/systemd/system/askfirst-share.service <<'UNIT'
[Unit]
Description=Mount askfirst-vm's shared folder at /mnt/share and at its host path
After=local-fs.target systemd-udev-settle.service systemd-udev-trigger.service
Before=askfirst-run.service systemd-user-sessions.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/askfirst-mount-share
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT

# --- the credential stubs from fw_cfg ---
install -m 0755 "$here/install-stubs.sh" "$root/usr/local/sbin/askfirst-install-stubs"
write 0755 /usr/local/sbin/askfirst-fw-cfg-stubs <<'SCRIPT'
#!/bin/sh
# Installs the credential stubs askfirst-vm passed with
# -fw_cfg name=opt/askfirst/stubs.tar for `agent`; nothing when none was passed.
set -eu
modprobe qemu_fw_cfg 2>/dev/null || true
blob=/sys/firmware/qemu_fw_cfg/by_name/opt/askfirst/stubs.tar/raw
if [ ! -r "$blob" ]; then
  echo "askfirst-stubs: no credential stubs in fw_cfg: nothing to install"
  exit 0
fi
copy=$(mktemp)
trap 'rm -f "$copy"' EXIT
cat "$blob" > "$copy"
/usr/local/sbin/askfirst-install-stubs "$copy" agent
SCRIPT
write 0644 /etc/systemd/system/askfirst-stubs.service <<'UNIT'
[Unit]
Description=Install the credential stubs handed over by QEMU fw_cfg for agent
After=local-fs.target
Before=askfirst-run.service systemd-user-sessions.service serial-getty@ttyS0.service cloud-final.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/askfirst-fw-cfg-stubs
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
UNIT

# --- npm on first use, from the npm registry through askfirstd ---
write 0755 /usr/local/bin/npm <<'SCRIPT'
#!/bin/sh
# npm for the guest's Debian nodejs, fetched on first use from the npm
# registry (through askfirstd, like every request of the guest) into
# ~/.local/lib/askfirst-npm, its sha512 checked against the registry's
# integrity field. Debian's own npm package is left out of the image: it
# pulls ~350 packages (tools/guest/build-debian-guest.sh says what it cost).
# ASKFIRST_NPM_VERSION picks the version or dist-tag (default latest-10,
# the newest npm that runs on bookworm's Node 18).
set -eu
folder="${HOME:?}/.local/lib/askfirst-npm"
cli="$folder/package/bin/$(basename "$0")-cli.js"
if [ ! -f "$folder/package/bin/npm-cli.js" ]; then
  registry="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}"
  registry="${registry%/}"
  version="${ASKFIRST_NPM_VERSION:-latest-10}"
  echo "npm: fetching npm $version from $registry (first use in this guest)" >&2
  staging=$(mktemp -d)
  trap 'rm -rf "$staging"' EXIT
  curl -fsS "$registry/npm/$version" -o "$staging/meta.json"
  tarball=$(jq -r .dist.tarball "$staging/meta.json")
  integrity=$(jq -r .dist.integrity "$staging/meta.json")
  curl -fsS "$tarball" -o "$staging/npm.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$staging/npm.tgz" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "npm: $tarball does not match the registry's integrity $integrity; not installed" >&2
    exit 1
  fi
  mkdir -p "$staging/unpacked" "$(dirname "$folder")"
  tar -xzf "$staging/npm.tgz" -C "$staging/unpacked"
  rm -rf "$folder"
  mv "$staging/unpacked" "$folder"
fi
exec node "$cli" "$@"
SCRIPT
ln -sf npm "$root/usr/local/bin/npx"
write 0644 /etc/profile.d/askfirst-npm.sh <<'SCRIPT'
# askfirst: npm's global installs go to ~/.local (no root needed), on PATH
export NPM_CONFIG_PREFIX="$HOME/.local"
case ":$PATH:" in *":$HOME/.local/bin:"*) ;; *) PATH="$HOME/.local/bin:$PATH" ;; esac
SCRIPT

# --- the --run script ---
write 0755 /usr/local/sbin/askfirst-run <<'SCRIPT'
#!/bin/sh
# Runs the script askfirst-vm passed with -fw_cfg name=opt/askfirst/run as
# the agent user, prints its exit status, and powers the VM off.
modprobe qemu_fw_cfg 2>/dev/null || true
blob=/sys/firmware/qemu_fw_cfg/by_name/opt/askfirst/run/raw
[ -r "$blob" ] || exit 0
mkdir -p /var/lib/askfirst
cat "$blob" > /var/lib/askfirst/run-script
chmod 0755 /var/lib/askfirst/run-script
echo "askfirst-guest: up, $(ip -4 -o addr show scope global | awk '{print $4}' | tr '\n' ' ')"
runuser -l agent -c /var/lib/askfirst/run-script
echo "askfirst-guest: exit status $?"
systemctl poweroff --no-block
SCRIPT
write 0644 /etc/systemd/system/askfirst-run.service <<'UNIT'
# Before the console's getty: a --run script's output owns the console,
# unprefixed, and no login prompt is mixed into it.
[Unit]
Description=Run askfirst-vm's --run script as agent, then power off
Wants=network-online.target
After=network-online.target askfirst-ca.service askfirst-share.service askfirst-stubs.service systemd-user-sessions.service
Before=serial-getty@ttyS0.service getty.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/askfirst-run
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/console

[Install]
WantedBy=multi-user.target
UNIT

# --- the agent user ---
chroot "$root" useradd --create-home --uid 1000 --shell /bin/bash agent
chroot "$root" passwd --lock agent >/dev/null
echo 'agent ALL=(ALL) NOPASSWD:ALL' | write 0440 /etc/sudoers.d/agent
ln -sfn /mnt/share "$root/home/agent/share"
write 0644 /etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf <<'UNIT'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin agent --keep-baud 115200,57600,38400,9600 %I $TERM
UNIT

# --- cloud-init: NoCloud only, the network is networkd's ---
write 0644 /etc/cloud/cloud.cfg.d/90-askfirst.cfg <<'CFG'
# askfirst's Debian guest: the seed askfirst-vm --image makes is NoCloud;
# never wait for a cloud's metadata service, and leave the NIC to networkd.
datasource_list: [ NoCloud ]
network: {config: disabled}
# The root file system is the whole (unpartitioned) disk, already sized.
growpart: {mode: "off"}
resize_rootfs: false
CFG

chroot "$root" systemctl enable --quiet systemd-networkd systemd-resolved \
  askfirst-ca.service askfirst-share.service askfirst-stubs.service askfirst-run.service
