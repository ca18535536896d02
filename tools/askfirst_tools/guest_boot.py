"""How askfirst-vm boots a guest: the demo guest's kernel and initramfs, the
CA and the script it carries, disposable disks, and where a --share folder
may appear in the guest."""
from __future__ import annotations

import gzip
import io
import json
import subprocess
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent.parent


def newc_cpio(files: dict[str, tuple[bytes, int]]) -> bytes:
    """A gzip'd cpio (newc) archive of {path: (content, mode)}; the kernel
    unpacks it on top of the demo initramfs. Written here because it is a
    few lines and avoids shelling out for two small files."""
    out = io.BytesIO()

    def entry(name: str, content: bytes, mode: int, inode: int) -> None:
        encoded = name.encode() + b"\0"
        header = "070701" + "".join(f"{value:08x}" for value in (
            inode, mode, 0, 0, 1, 0, len(content), 0, 0, 0, 0, len(encoded), 0))
        out.write(header.encode() + encoded)
        out.write(b"\0" * (-(110 + len(encoded)) % 4))
        out.write(content)
        out.write(b"\0" * (-len(content) % 4))

    inode = 1
    for directory in sorted({str(Path(path).parent) for path in files} - {"."}):
        entry(directory, b"", 0o040755, inode)
        inode += 1
    for path, (content, mode) in files.items():
        entry(path, content, mode, inode)
        inode += 1
    entry("TRAILER!!!", b"", 0, 0)
    return gzip.compress(out.getvalue())


def demo_guest_boot(temp_dir: Path, ca_pem: str, run_script: bytes | None,
                    stubs_tar: bytes | None = None) -> list[str]:
    """QEMU arguments that boot the demo guest with the askfirst CA (and the
    credential stubs with their installer, tools/guest/install-stubs.sh) in
    its initramfs, running `run_script` (or a console shell) then powering off."""
    builder = TOOLS_DIR / "guest" / "build-demo-guest.sh"
    built = subprocess.run([str(builder)], capture_output=True, text=True)
    if built.returncode != 0:
        raise RuntimeError("building the demo guest failed:\n" + built.stderr.strip())
    guest_dir = Path(built.stdout.strip().splitlines()[-1])
    files = {"askfirst/ca.pem": (ca_pem.encode(), 0o100644)}
    if run_script is not None:
        files["askfirst/run"] = (run_script, 0o100755)
    if stubs_tar is not None:
        files["askfirst/stubs.tar"] = (stubs_tar, 0o100600)
        files["askfirst/install-stubs"] = ((TOOLS_DIR / "guest" / "install-stubs.sh").read_bytes(), 0o100755)
    initrd = temp_dir / "initrd.gz"
    with open(initrd, "wb") as out:
        out.write((guest_dir / "initrd.cpio.gz").read_bytes())
        out.write(newc_cpio(files))
    return ["-kernel", str(guest_dir / "vmlinuz"), "-initrd", str(initrd),
            "-append", "console=ttyS0 quiet panic=-1", "-no-reboot"]


def disposable_overlay(temp_dir: Path, image: Path, name: str = "overlay.qcow2") -> Path:
    """A qcow2 overlay on `image` in the temp dir: the guest writes there, and
    the overlay is deleted with the temp dir, so the image never changes."""
    info = subprocess.run(["qemu-img", "info", "--output=json", str(image)], capture_output=True, text=True)
    if info.returncode != 0:
        raise RuntimeError(f"{image}: not a disk image qemu-img can read: {info.stderr.strip()}")
    image_format = json.loads(info.stdout)["format"]
    overlay = temp_dir / name
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image.resolve()), "-F", image_format,
                    str(overlay)], check=True)
    return overlay


# Folders of the guest's own system: a share mounted on or inside one would hide it.
GUEST_SYSTEM_FOLDERS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run",
                        "/sbin", "/sys", "/usr", "/var")
# Folders the guest needs whole: a share on one of them, or on a parent, would hide them.
GUEST_NEEDED_FOLDERS = ("/home/agent", "/mnt/share", "/tmp", "/root", "/opt", "/srv", "/media")


def guest_share_path(host_path: str) -> str | None:
    """The guest path where --share's folder appears besides /mnt/share: its
    path on the host (so paths an agent writes or prints mean the same on both
    sides), or None when that path would hide part of the guest."""
    path = "/" + host_path.strip("/")
    if path == "/" or "\n" in path or "\0" in path:
        return None
    if any(path == folder or path.startswith(folder + "/") for folder in GUEST_SYSTEM_FOLDERS):
        return None
    if any(folder == path or folder.startswith(path + "/") for folder in GUEST_NEEDED_FOLDERS):
        return None
    return path
