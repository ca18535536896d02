"""The credential stubs askfirst-vm puts into its guest (issue 13, "Stubs
into the sandbox"): the same stub files and variables `askfirst exec` gives
its sandbox, for the guest's user `agent`, so an agent in the VM works with
stubs only and askfirstd swaps in the real secret for the listed hosts, after
the decision. The real secrets stay in askfirstd; nothing here sees one.

Where they come from: askfirstd (started with --ready-fd) writes its stubs
after its ready byte; `askfirst credentials --sandbox-files` turns them into
the variables and files (tools/sandbox_stub_files.h, the generator `askfirst
exec` uses; with them the stub ~/.kube/config made from the host's
kubeconfigs, askfirst's CA inline). Here they become one small tar:
  home/<path>  files for the user's home (~/.aws/credentials, ~/.kube/config, ...)
  abs/<path>   files at an absolute path (a `file` source outside the home)
  env.sh       `export NAME='stub'` lines
which tools/guest/install-stubs.sh installs inside every kind of guest:
the Debian guest reads it from fw_cfg (opt/askfirst/stubs.tar), a user's
image from the cloud-init seed (cloud_seed.py), the demo guest from its
initramfs (guest_boot.py).
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent.parent
INSTALLER = TOOLS_DIR / "guest" / "install-stubs.sh"


def shell_quoted(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def sandbox_files(askfirst_cli: Path, stubs_json: str, ca_pem: str | None = None) -> dict:
    """{"variables": {...}, "files": [...]} for the host user's home (so file
    sources under it land in the guest user's home). With the CA the guest
    trusts (`ca_pem`), the guest's stub ~/.kube/config (made from the host's
    kubeconfigs) names it inline."""
    command = [str(askfirst_cli), "credentials", "--sandbox-files", "--home", str(Path.home())]
    with tempfile.TemporaryDirectory(prefix="askfirst-vm-ca-") as folder:
        if ca_pem:
            ca_file = Path(folder) / "ca.pem"
            ca_file.write_text(ca_pem)
            command += ["--ca", str(ca_file)]
        done = subprocess.run(command, input=stubs_json, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("askfirst credentials --sandbox-files failed: " + done.stderr.strip())
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)  # a host kubeconfig it could not read, for one
    return json.loads(done.stdout)


def stubs_tar(files_and_variables: dict) -> bytes:
    """The tar install-stubs.sh reads (see the module comment)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        def add(name: str, content: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(content), 0o600
            archive.addfile(info, io.BytesIO(content))

        for file in files_and_variables.get("files", []):
            relative = file.get("home_relative")
            name = f"home/{relative}" if relative else "abs/" + file["path"].lstrip("/")
            add(os.path.normpath(name), file["contents"].encode())
        variables = files_and_variables.get("variables", {})
        if variables:
            add("env.sh", "".join(f"export {name}={shell_quoted(value)}\n"
                                  for name, value in sorted(variables.items())).encode())
    return out.getvalue()


def installer_script() -> bytes:
    return INSTALLER.read_bytes()
