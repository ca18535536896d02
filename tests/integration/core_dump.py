"""The core-dump scan shared by the tests that prove no real secret stays in askfirstd's memory
(test_credentials.py, test_credentials_kube.py, test_http2.py): it waits until the guest's script
has done its requests (it touches a file), dumps the running askfirstd with gdb's gcore, and hands
back the dump's bytes for the test to search for every form of its secret."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ASKFIRSTD, askfirstd_pid_of


def skip_unless_core_dumps_can_be_scanned():
    """Skips the test where gcore is missing or askfirstd is an ASan build (whose shadow memory
    makes the dump too large to scan; the GCC build runs these tests)."""
    if not os.access("/usr/bin/gcore", os.X_OK):
        pytest.skip("gcore (gdb) is not installed")
    if subprocess.run(["grep", "-q", "__asan_init", ASKFIRSTD]).returncode == 0:
        pytest.skip("askfirstd is an AddressSanitizer build: its shadow memory makes the core dump too large "
                    "to scan here; the GCC build runs this test")


def core_dump_once_done(process, done: Path, tmp_path: Path, what: str):
    """Waits (60 s at most) for the guest's script, run by `askfirst exec` (process), to touch
    `done`, then dumps its askfirstd with gcore; kills the process either way. Returns (dump bytes,
    stdout, stderr). `what` names what the script ran, for the failure message."""
    try:
        daemon = askfirstd_pid_of(process.pid, timeout=20)
        deadline = time.monotonic() + 60
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert done.exists(), f"{what} did not finish"
        core = tmp_path / "askfirstd.core"
        dumped = subprocess.run(["gcore", "-o", str(core), str(daemon)], capture_output=True, text=True, timeout=120)
        assert dumped.returncode == 0, dumped.stderr
        image = Path(f"{core}.{daemon}").read_bytes()
    finally:
        process.kill()
        out, err = process.communicate(timeout=30)
    assert len(image) > 1 << 20  # a real dump
    return image, out, err
