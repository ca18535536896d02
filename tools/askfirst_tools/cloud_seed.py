"""The cloud-init NoCloud seed askfirst-vm makes for `--image IMG`: how the
askfirst CA reaches a user's own cloud image with no guest configuration.

cloud-init finds a disk labelled `cidata` (an ISO 9660 here) and reads its
user-data: `ca_certs.trusted` adds the CA to the system store (Debian and
Ubuntu: update-ca-certificates) before any user script runs. With --run, the
script travels in the same seed (write_files) and runcmd starts it — as the
`agent` user when the image has one (askfirst's own Debian guest), else as
root — with its output on the serial console, then powers the VM off. With
credential stubs (guest_stubs.py), the seed carries their tar and
tools/guest/install-stubs.sh, and runcmd installs them first, for `agent`
(root when the image has no such user).
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

from . import guest_stubs

SCRIPT_PATH = "/var/lib/askfirst/run-script"
STUBS_PATH = "/var/lib/askfirst/stubs.tar"
INSTALLER_PATH = "/var/lib/askfirst/install-stubs"
# runcmd's shell: output on the console (where askfirst-vm's console log is),
# the script as agent when there is one, then the same end as the other guests.
RUNNER = (
    "exec >/dev/console 2>&1; "
    "echo \"askfirst-guest: up, $(ip -4 -o addr show scope global | awk '{print $4}' | tr '\\n' ' ')\"; "
    f"if id agent >/dev/null 2>&1; then runuser -l agent -c {SCRIPT_PATH}; else {SCRIPT_PATH}; fi; "
    "echo \"askfirst-guest: exit status $?\"; "
    "systemctl poweroff --no-block || poweroff"
)


def user_data(ca_pem: str, run_script: bytes | None, stubs_tar: bytes | None = None) -> str:
    """#cloud-config as JSON (a subset of YAML, so no YAML writer is needed)."""
    config: dict = {"ca_certs": {"trusted": [ca_pem.strip() + "\n"]}}
    write_files, runcmd = [], []
    if stubs_tar is not None:
        # The credential stubs and their installer (the one every askfirst guest runs);
        # runcmd installs them for `agent` (root when the image has no agent) before --run.
        write_files += [{"path": STUBS_PATH, "permissions": "0600", "encoding": "b64",
                         "content": base64.b64encode(stubs_tar).decode()},
                        {"path": INSTALLER_PATH, "permissions": "0755", "encoding": "b64",
                         "content": base64.b64encode(guest_stubs.installer_script()).decode()}]
        runcmd.append(["sh", "-c", f"{INSTALLER_PATH} {STUBS_PATH} agent >/dev/console 2>&1; rm -f {STUBS_PATH}"])
    if run_script is not None:
        write_files.append({"path": SCRIPT_PATH, "permissions": "0755", "encoding": "b64",
                            "content": base64.b64encode(run_script).decode()})
        runcmd.append(["sh", "-c", RUNNER])
    if write_files:
        config["write_files"] = write_files
        config["runcmd"] = runcmd
    return "#cloud-config\n" + json.dumps(config, indent=1) + "\n"


def make_nocloud_seed(temp_dir: Path, ca_pem: str, hostname: str, run_script: bytes | None = None,
                      stubs_tar: bytes | None = None) -> Path:
    """A cidata ISO in temp_dir that installs the askfirst CA (and runs run_script)."""
    seed_dir = temp_dir / "seed"
    seed_dir.mkdir()
    (seed_dir / "meta-data").write_text(f"instance-id: {hostname}\nlocal-hostname: {hostname}\n")
    (seed_dir / "user-data").write_text(user_data(ca_pem, run_script, stubs_tar))
    seed = temp_dir / "seed.iso"
    tool = shutil.which("genisoimage") or shutil.which("mkisofs")
    if tool is None:
        raise RuntimeError("genisoimage is missing: run tools/setup.sh")
    subprocess.run([tool, "-quiet", "-output", str(seed), "-volid", "cidata", "-joliet", "-rock",
                    str(seed_dir / "user-data"), str(seed_dir / "meta-data")], check=True)
    return seed
