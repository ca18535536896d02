"""How askfirst-vm boots its real Debian 12 guest (`--guest debian`).

tools/guest/build-debian-guest.sh builds the image once (minutes, from
Debian packages with mmdebstrap) and caches it; this module runs it, puts a
disposable overlay over its disk, and hands the guest what it needs through
QEMU's fw_cfg, which the image's own units read at boot:
  opt/askfirst/ca.pem  the askfirst CA -> askfirst-ca.service trusts it
  opt/askfirst/run     the --run script -> askfirst-run.service runs it as
                       `agent`, then powers the VM off
  opt/askfirst/stubs.tar  the credential stubs (guest_stubs.py) ->
                       askfirst-stubs.service installs them for `agent`
cloud-init is switched off on the kernel command line: nothing else to seed.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from . import guest_boot

TOOLS_DIR = Path(__file__).resolve().parent.parent
BUILDER = TOOLS_DIR / "guest" / "build-debian-guest.sh"
# Root on the virtio disk; the serial console; no cloud-init (no seed is given).
KERNEL_COMMAND_LINE = "root=/dev/vda rw console=ttyS0 quiet panic=-1 cloud-init=disabled"


def build_or_find_image() -> Path:
    """The cache folder holding vmlinuz, initrd.img and disk.qcow2; builds on first use."""
    cached = subprocess.run([str(BUILDER), "--print-dir"], capture_output=True, text=True, check=True)
    folder = Path(cached.stdout.strip())
    if not (folder / "disk.qcow2").is_file():
        print("askfirst-vm: building the Debian 12 guest with mmdebstrap (first use: several minutes; "
              f"cached in {folder.parent})", file=sys.stderr)
    built = subprocess.run([str(BUILDER)], stdout=subprocess.PIPE, stderr=None, text=True)
    if built.returncode != 0:
        raise RuntimeError("building the Debian guest failed (see the messages above); "
                           "tools/setup.sh installs what it needs")
    return Path(built.stdout.strip().splitlines()[-1])


def debian_guest_boot(temp_dir: Path, ca_pem: str, run_script: bytes | None,
                      stubs_tar: bytes | None = None) -> list[str]:
    """QEMU arguments that boot the Debian guest over a temp overlay, with the CA
    (and the script, and the credential stubs) in fw_cfg."""
    folder = build_or_find_image()
    overlay = guest_boot.disposable_overlay(temp_dir, folder / "disk.qcow2")
    ca_file = temp_dir / "askfirst-ca.pem"
    ca_file.write_text(ca_pem)
    boot = ["-kernel", str(folder / "vmlinuz"), "-initrd", str(folder / "initrd.img"),
            "-append", KERNEL_COMMAND_LINE, "-no-reboot",
            "-drive", f"file={overlay},if=virtio,format=qcow2",
            "-fw_cfg", f"name=opt/askfirst/ca.pem,file={ca_file}"]
    if run_script is not None:
        script_file = temp_dir / "run-script"
        script_file.write_bytes(run_script)
        boot += ["-fw_cfg", f"name=opt/askfirst/run,file={script_file}"]
    if stubs_tar is not None:
        stubs_file = temp_dir / "stubs.tar"
        stubs_file.write_bytes(stubs_tar)
        boot += ["-fw_cfg", f"name=opt/askfirst/stubs.tar,file={stubs_file}"]
    return boot
