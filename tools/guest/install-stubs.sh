#!/bin/sh
# tools/guest/install-stubs.sh — the guest half of "stubs into the VM"
# (issue 13): installs the credential stubs askfirst-vm hands the guest, so
# the agent inside finds its usual credential files and variables holding
# stubs that only askfirstd can turn into the real secrets (for the right
# host, after the decision). The real secrets never enter the guest.
#
# usage: askfirst-install-stubs TAR [USER]   (as root; USER defaults to agent,
# root when the guest has no such user)
#
# TAR is made by askfirst-vm (tools/askfirst_tools/guest_stubs.py) from what
# `askfirst credentials --sandbox-files` prints for this VM's askfirstd:
#   home/<path>  a file for USER's home (~/.aws/credentials, ~/.netrc, ...):
#                installed 0600, owned by USER, missing folders 0700 USER's;
#   abs/<path>   a file at /<path> (a `file` source outside the host's home):
#                installed 0600, owned by USER;
#   env.sh       `export NAME='stub'` lines: /etc/profile.d/askfirst-credentials.sh
#                (every login shell) and /etc/environment (pam_env, when present).
#
# The same script runs in all three guests: the Debian guest's
# askfirst-stubs.service (TAR from fw_cfg opt/askfirst/stubs.tar, before any
# login), a user's image through the cloud-init seed (runcmd, before --run),
# and the busybox demo guest's /init. So it keeps to POSIX sh and the tools
# busybox has (tar, awk, id, mktemp, chown, chmod).
set -eu
tar_file=$1
user=${2:-agent}
if ! id "$user" >/dev/null 2>&1; then user=root; fi
home=$(awk -F: -v name="$user" '$1 == name { print $6 }' /etc/passwd)
[ -n "$home" ] || home=/root
group=$(id -gn "$user" 2>/dev/null || echo "$user")

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
tar -xf "$tar_file" -C "$staging"

# Writes $1 to $2 as USER's private file; folders it creates under $3 are USER's.
install_file() {
  source=$1 target=$2 owned_below=$3
  folder=$(dirname "$target")
  if [ ! -d "$folder" ]; then
    (umask 077; mkdir -p "$folder")
    while [ "$folder" != "$owned_below" ] && [ "$folder" != / ]; do
      case "$folder" in "$owned_below"/*) chown "$user:$group" "$folder" ;; *) chmod 0755 "$folder" ;; esac
      folder=$(dirname "$folder")
    done
  fi
  rm -f "$target"
  (umask 077; cat "$source" > "$target")
  chown "$user:$group" "$target"
  chmod 0600 "$target"
}

for kind in home abs; do
  [ -d "$staging/$kind" ] || continue
  if [ "$kind" = home ]; then base=$home; else base=; fi
  (cd "$staging/$kind" && find . -type f) | sed 's|^\./||' | while IFS= read -r relative; do
    install_file "$staging/$kind/$relative" "$base/$relative" "$home"
  done
done
count=$(find "$staging" -type f ! -name env.sh | wc -l)

if [ -s "$staging/env.sh" ]; then
  mkdir -p /etc/profile.d
  {
    echo "# askfirst-vm: credential stubs (askfirstd swaps in the real value for the listed hosts only)"
    cat "$staging/env.sh"
  } > /etc/profile.d/askfirst-credentials.sh
  chmod 0644 /etc/profile.d/askfirst-credentials.sh
  if [ -f /etc/environment ]; then
    sed -n "s/^export \([A-Za-z_][A-Za-z0-9_]*\)='\(.*\)'$/\1=\2/p" "$staging/env.sh" >> /etc/environment
  fi
fi
echo "askfirst-stubs: $count credential stub file(s) for $user, variables in /etc/profile.d/askfirst-credentials.sh"
