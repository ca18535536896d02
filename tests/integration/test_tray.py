"""The tray helper under Xvfb: a held request shows as one dialog with the
title, the operation and four buttons; "Don't allow" has the focus, so Return
refuses; the client gets the 403 and the origin receives nothing. A
screenshot of the dialog is kept as a test artifact."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_consent import HOST, Session, consent_home, plain_origin  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ASKFIRST_ARTIFACTS", REPO / "build-logs" / "artifacts"))


@pytest.fixture
def xvfb():
    for tool in ("Xvfb", "xdotool", "import"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing: tools/setup.sh installs xvfb, xdotool and imagemagick")
    display = f":{90 + os.getpid() % 9}"
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    assert server.poll() is None, "Xvfb did not start"
    yield display
    server.terminate()
    server.wait(timeout=10)


def wait_for_window(display: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(["xdotool", "search", "--name", "^askfirst$"], capture_output=True, text=True,
                               env={**os.environ, "DISPLAY": display})
        if found.stdout.strip():
            return found.stdout.split()[0]
        time.sleep(0.2)
    raise AssertionError("no askfirst dialog appeared")


def test_the_tray_asks_with_four_buttons_and_dont_allow_is_the_default(exec_works, consent_home, plain_origin,
                                                                       tmp_path, xvfb):
    env = {**os.environ, "DISPLAY": xvfb, "NO_AT_BRIDGE": "1"}
    tray = subprocess.Popen([sys.executable, str(REPO / "tools" / "askfirst-tray")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    before = len(plain_origin.requests())
    session = Session(tmp_path, plain_origin,
                      f"sleep 2; curl -s --max-time 90 -X DELETE http://{HOST}/volumes/prod; echo")
    try:
        window = wait_for_window(xvfb)
        time.sleep(0.5)  # let it paint
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "tray-dialog.png"
        subprocess.run(["import", "-window", "root", str(shot)], env=env, check=True, timeout=30)
        assert shot.stat().st_size > 1000
        # No window manager under Xvfb: give the dialog the input focus, then a real (XTEST) key press.
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, timeout=10)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True, timeout=10)
        out, err = session.finish()
    finally:
        tray.terminate()
        _, tray_log = tray.communicate(timeout=10)
    dialog = [line for line in tray_log.splitlines() if " dialog " in line]
    assert len(dialog) == 1, tray_log
    assert 'title="Allow destructive on "an HTTP service" from profile' in dialog[0]
    assert "DELETE" in dialog[0] and "/volumes/prod" in dialog[0]
    assert 'buttons="Allow once|Allow 15 min|Allow session|Don\'t allow"' in dialog[0]
    assert 'focus="Don\'t allow"' in dialog[0]
    assert "answer=deny" in tray_log
    assert '"error":"askfirst_denied"' in out.replace(" ", "")
    assert plain_origin.requests()[before:] == []
