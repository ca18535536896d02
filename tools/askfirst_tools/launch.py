"""Starting askfirstd and QEMU for askfirst-vm, and stopping them together.

Order matters (invariant 1, fail closed): askfirstd must be listening on its
stream socket before QEMU starts, because QEMU 7.2's `-netdev stream` does not
reconnect; and when askfirstd exits, the VM is stopped, never left to find
another way out (it has no other network card).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import cloud_seed, control, debian_guest, demo_story, guest_boot, guest_stubs

ASKFIRSTD_READY_SECONDS = 10.0   # askfirstd creates its socket in milliseconds; 10 s is generous under load
POLL_SECONDS = 0.1
STOP_GRACE_SECONDS = 5.0


class LaunchError(RuntimeError):
    pass


def find_askfirstd(explicit: str | None) -> Path:
    """--askfirstd, $ASKFIRSTD, a build dir beside the tools, then PATH."""
    here = Path(__file__).resolve().parent.parent  # tools/
    candidates = [explicit, os.environ.get("ASKFIRSTD")]
    candidates += [str(here.parent / build / "src" / "askfirstd") for build in ("build", "_build")]
    candidates += [str(here / "askfirstd"), shutil.which("askfirstd")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise LaunchError("askfirstd not found: build it (meson setup build && ninja -C build), "
                      "or name it with --askfirstd PATH or $ASKFIRSTD")


def find_askfirst_cli(askfirstd: Path) -> Path:
    """The `askfirst` CLI built beside askfirstd (build/askfirst), or on PATH."""
    for candidate in (askfirstd.parent.parent / "askfirst", askfirstd.parent / "askfirst"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("askfirst")
    if found:
        return Path(found)
    raise LaunchError("the askfirst CLI was not found beside askfirstd or on PATH")


def stop_process(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class VmSession:
    """One VM: its askfirstd, its QEMU, its temp files, and (for --demo) its story."""

    def __init__(self, name: str, temp_dir: Path, askfirstd: Path, accel: str, args: argparse.Namespace):
        self.name = name
        self.temp_dir = temp_dir
        self.askfirstd = askfirstd
        self.accel = accel
        self.args = args
        self.socket_path = temp_dir / "net.sock"
        self.askfirstd_process: subprocess.Popen | None = None
        self.qemu_process: subprocess.Popen | None = None
        self.story: demo_story.DemoStory | None = None
        self.sandbox_stubs = ""

    # ---- askfirstd ----

    def start_askfirstd(self, profile: Path | None) -> None:
        """Starts askfirstd and waits for its ready message on --ready-fd: the
        ready byte, then the credential stubs it made for the sandbox (JSON,
        empty without credentials), until it closes the pipe."""
        ready_read, ready_write = os.pipe()
        command = [str(self.askfirstd), "--socket", str(self.socket_path), "--name", self.name,
                   "--ready-fd", str(ready_write)]
        if profile:
            command += ["--profile", str(profile)]
        if self.args.askfirstd_log:
            command += ["-v"]
        self.log_path = Path(self.args.askfirstd_log) if self.args.askfirstd_log else self.temp_dir / "askfirstd.log"
        log = open(self.log_path, "wb")
        try:
            self.askfirstd_process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                                      pass_fds=(ready_write,))
        finally:
            os.close(ready_write)
        message = b""
        deadline = time.monotonic() + ASKFIRSTD_READY_SECONDS
        try:
            os.set_blocking(ready_read, False)
            while True:
                try:
                    chunk = os.read(ready_read, 65536)
                except BlockingIOError:
                    chunk = None
                if chunk == b"":
                    break  # askfirstd closed the pipe: the whole message is in (or it exited)
                if chunk:
                    message += chunk
                    continue
                if time.monotonic() > deadline:
                    raise LaunchError(f"askfirstd was not ready within {ASKFIRSTD_READY_SECONDS:.0f} s")
                time.sleep(POLL_SECONDS / 10)
        finally:
            os.close(ready_read)
        if not message.startswith(b"R") or self.askfirstd_process.poll() is not None or not self.socket_path.exists():
            raise LaunchError("askfirstd exited before it was ready:\n" + self.askfirstd_log())
        self.sandbox_stubs = message[1:].decode()

    def guest_stubs(self) -> bytes | None:
        """The stubs tar for the guest (guest_stubs.py), or None when the profile has no credentials."""
        if not self.sandbox_stubs.strip():
            return None
        try:
            files = guest_stubs.sandbox_files(find_askfirst_cli(self.askfirstd), self.sandbox_stubs, self.ca_pem())
        except (RuntimeError, ValueError) as failure:
            raise LaunchError(f"cannot make the guest's credential stubs: {failure}") from None
        return guest_stubs.stubs_tar(files)

    def print_consent_notice(self) -> None:
        """One line: is a consent client listening for this VM's questions, and if not, how to start one."""
        try:
            with control.ControlClient.for_name(self.name, wait_seconds=5) as client:
                listeners = client.request("status").get("listeners", 0)
        except (control.ControlError, OSError) as failure:
            print(f"askfirst-vm: cannot tell whether a consent client is listening ({failure}); questions are "
                  f"answered by askfirst-tray or `askfirst prompts --name {self.name}`", file=sys.stderr)
            return
        if listeners:
            print(f"askfirst-vm: a consent client is listening: questions for '{self.name}' go to it", file=sys.stderr)
        else:
            print("askfirst-vm: no consent client is listening yet: a question waits consent.listener_grace_s "
                  "(default 10 s) for one, then consent.no_ui answers it; to answer, run "
                  f"`askfirst prompts --name {self.name}` in another terminal, or start askfirst-tray",
                  file=sys.stderr)

    def askfirstd_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # ---- QEMU ----

    def qemu_command(self, boot: list[str]) -> list[str]:
        memory = self.args.memory or ("1G" if self.args.guest else "512M")
        command = ["qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none",
                   "-machine", "q35", "-accel", self.accel, "-m", memory,
                   # every CPU feature the accelerator has (QEMU 7.2's TCG: AVX2 too): agents ship
                   # native binaries (Claude Code's is Bun-built) that die of SIGILL on qemu64
                   "-cpu", "max",
                   "-smp", str(self.args.cpus),
                   "-netdev", f"stream,id=net0,server=off,addr.type=unix,addr.path={self.socket_path}",
                   "-device", "virtio-net-pci,netdev=net0",
                   "-device", "virtio-rng-pci"]
        console = self.args.console_log or (str(self.temp_dir / "console.log") if self.args.demo else None)
        command += ["-serial", f"file:{console}" if console else "mon:stdio"]
        if self.args.share:
            command += ["-virtfs", f"local,path={self.args.share},mount_tag=askfirst-share,security_model=none,id=share"]
            command += self.share_path_arguments()
        return command + boot + self.args.qemu_extra

    def share_path_arguments(self) -> list[str]:
        """fw_cfg opt/askfirst/share-path: where the guest mounts the share besides /mnt/share
        (the Debian guest's askfirst-share.service), the folder's own path on the host."""
        host_path = str(Path(self.args.share).resolve())
        guest_path = guest_boot.guest_share_path(host_path)
        if guest_path is None:
            print(f"askfirst-vm: --share {host_path}: that path would hide part of the guest's own system; "
                  "the share is at /mnt/share only", file=sys.stderr)
            return []
        path_file = self.temp_dir / "share-path"
        path_file.write_text(guest_path)
        return ["-fw_cfg", f"name=opt/askfirst/share-path,file={path_file}"]

    def run_script(self) -> bytes | None:
        return Path(self.args.run).read_bytes() if self.args.run else None

    def image_boot(self) -> list[str]:
        """A user's disk image: a qcow2 overlay in the temp dir, and a NoCloud seed
        carrying the CA (and the --run script)."""
        overlay = guest_boot.disposable_overlay(self.temp_dir, Path(self.args.image))
        seed = cloud_seed.make_nocloud_seed(self.temp_dir, self.ca_pem(), self.name, self.run_script(),
                                            self.guest_stubs())
        return ["-drive", f"file={overlay},if=virtio,format=qcow2",
                "-drive", f"file={seed},if=virtio,format=raw,readonly=on"]

    def demo_guest_boot(self) -> list[str]:
        boot = guest_boot.demo_guest_boot(self.temp_dir, self.ca_pem(), self.run_script(), self.guest_stubs())
        if self.args.disk:
            overlay = guest_boot.disposable_overlay(self.temp_dir, Path(self.args.disk))
            boot += ["-drive", f"file={overlay},if=virtio,format=qcow2"]
        return boot

    def ca_pem(self) -> str:
        cli = find_askfirst_cli(self.askfirstd)
        result = subprocess.run([str(cli), "ca", "export", "--pem"], capture_output=True, text=True)
        if result.returncode != 0:
            raise LaunchError("could not read the askfirst CA (askfirst ca export --pem): " + result.stderr.strip())
        return result.stdout

    # ---- the whole run ----

    def run(self) -> int:
        profile = Path(self.args.profile) if self.args.profile else None
        if self.args.demo:
            self.story = demo_story.DemoStory(self.temp_dir, self.name, self.args.auto_answer)
            profile = self.story.prepare(profile)
        self.start_askfirstd(profile)
        if self.story:
            boot = self.story.boot_arguments(self.ca_pem())
            self.story.start_host_side(find_askfirst_cli(self.askfirstd))
        elif self.args.demo_guest:
            boot = self.demo_guest_boot()
        elif self.args.guest == "debian":
            try:
                boot = debian_guest.debian_guest_boot(self.temp_dir, self.ca_pem(), self.run_script(),
                                                      self.guest_stubs())
            except RuntimeError as failure:
                raise LaunchError(str(failure)) from None
        else:
            boot = self.image_boot()
        self.print_consent_notice()
        self.qemu_process = subprocess.Popen(self.qemu_command(boot),
                                             stdin=None if not self.args.demo else subprocess.DEVNULL)
        status = self.wait()
        if self.story:
            return self.story.finish(self.temp_dir / "console.log", vm_status=status)
        return status

    def wait(self) -> int:
        started = time.monotonic()
        while True:
            qemu_status = self.qemu_process.poll()
            if qemu_status is not None:
                return qemu_status
            if self.askfirstd_process.poll() is not None:
                print(f"askfirst-vm: askfirstd exited (status {self.askfirstd_process.returncode}): "
                      "the VM has no network any more; stopping it.\n" + self.askfirstd_log(), file=sys.stderr)
                stop_process(self.qemu_process)
                return 1
            if self.args.timeout and time.monotonic() - started > self.args.timeout:
                print(f"askfirst-vm: --timeout {self.args.timeout:.0f} s reached; stopping the VM", file=sys.stderr)
                stop_process(self.qemu_process)
                return 124
            if self.story:
                self.story.poll()
            time.sleep(POLL_SECONDS)

    def stop_everything(self) -> None:
        stop_process(self.qemu_process)
        if self.story:
            self.story.stop()
        stop_process(self.askfirstd_process)
