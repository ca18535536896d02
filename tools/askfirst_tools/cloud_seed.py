"""The cloud-init NoCloud seed askfirst-vm makes for `--image IMG`: how the
askfirst CA reaches a user's own cloud image with no guest configuration.

cloud-init finds a disk labelled `cidata` (an ISO 9660 here) and reads its
user-data: `ca_certs.trusted` adds the CA to the system store (Debian and
Ubuntu: update-ca-certificates) before any user script runs. With --run, the
script travels in the same seed (write_files) and runcmd starts it — as the
`agent` user when the image has one (askfirst's own Debian guest), else as
root — with its output on the serial console, then powers the VM off.
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

SCRIPT_PATH = "/var/lib/askfirst/run-script"
# runcmd's shell: output on the console (where askfirst-vm's console log is),
# the script as agent when there is one, then the same end as the other guests.
RUNNER = (
    "exec >/dev/console 2>&1; "
    "echo \"askfirst-guest: up, $(ip -4 -o addr show scope global | awk '{print $4}' | tr '\\n' ' ')\"; "
    f"if id agent >/dev/null 2>&1; then runuser -l agent -c {SCRIPT_PATH}; else {SCRIPT_PATH}; fi; "
    "echo \"askfirst-guest: exit status $?\"; "
    "systemctl poweroff --no-block || poweroff"
)


def user_data(ca_pem: str, run_script: bytes | None) -> str:
    """#cloud-config as JSON (a subset of YAML, so no YAML writer is needed)."""
    config: dict = {"ca_certs": {"trusted": [ca_pem.strip() + "\n"]}}
    if run_script is not None:
        config["write_files"] = [{"path": SCRIPT_PATH, "permissions": "0755", "encoding": "b64",
                                  "content": base64.b64encode(run_script).decode()}]
        config["runcmd"] = [["sh", "-c", RUNNER]]
    return "#cloud-config\n" + json.dumps(config, indent=1) + "\n"


def make_nocloud_seed(temp_dir: Path, ca_pem: str, hostname: str, run_script: bytes | None = None) -> Path:
    """A cidata ISO in temp_dir that installs the askfirst CA (and runs run_script)."""
    seed_dir = temp_dir / "seed"
    seed_dir.mkdir()
    (seed_dir / "meta-data").write_text(f"instance-id: {hostname}\nlocal-hostname: {hostname}\n")
    (seed_dir / "user-data").write_text(user_data(ca_pem, run_script))
    seed = temp_dir / "seed.iso"
    tool = shutil.which("genisoimage") or shutil.which("mkisofs")
    if tool is None:
        raise RuntimeError("genisoimage is missing: run tools/setup.sh")
    subprocess.run([tool, "-quiet", "-output", str(seed), "-volid", "cidata", "-joliet", "-rock",
                    str(seed_dir / "user-data"), str(seed_dir / "meta-data")], check=True)
    return seed
