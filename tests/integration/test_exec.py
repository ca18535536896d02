"""`askfirst exec` itself: exit status, signals, cleanup, profile errors.
Each test names what it pins."""
import os
import signal
import subprocess
import time

from conftest import ASKFIRST, askfirstd_pid_of, kill_quietly


def test_exit_status_is_the_commands(rig):
    """Pins: exec returns CMD's exit status, and 128+N when CMD dies of signal N."""
    assert rig.run({}, "exit 7").returncode == 7
    assert rig.run({}, "kill -TERM $$").returncode == 128 + signal.SIGTERM


def test_missing_command_is_127(rig):
    """Pins: a CMD that does not exist is reported as 127 (as a shell would)."""
    result = subprocess.run([ASKFIRST, "exec", "--", "/nonexistent/askfirst-no-such-cmd"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 127
    assert "cannot run '/nonexistent/askfirst-no-such-cmd'" in result.stderr


def test_the_sandbox_has_only_lo_and_tap0(rig):
    """Pins: the sandbox is a fresh network namespace with lo and the askfirstd TAP only, with
    the documented addresses and routes."""
    result = rig.run({}, "ip -br link | awk '{print $1}' | sort; ip route; ip -6 route show default")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["lo", "tap0"]
    assert "default via 10.0.2.2 dev tap0" in result.stdout
    assert "default via fec0::2 dev tap0" in result.stdout


def test_bad_profile_stops_before_anything_starts(rig, tmp_path):
    """Pins: a bad profile is refused with its key path and CMD never runs."""
    profile = tmp_path / "bad.json"
    profile.write_text('{"upstream": {"map": {"198.51.100.7:443": "nowhere"}}}')
    marker = tmp_path / "ran"
    result = subprocess.run([ASKFIRST, "exec", "--profile", str(profile), "--", "touch", str(marker)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert 'upstream.map."198.51.100.7:443": "nowhere" is not an ip:port' in result.stderr
    assert not marker.exists()


def test_sigterm_is_forwarded_and_everything_is_cleaned_up(rig, tmp_path):
    """Pins: SIGTERM to exec reaches CMD; afterwards neither askfirstd nor anything CMD left
    in the background is still running."""
    marker = tmp_path / "ready"
    process = rig.popen({}, f"sleep 300 & trap 'echo got-term; exit 3' TERM; touch {marker}; wait")
    try:
        daemon = askfirstd_pid_of(process.pid)
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        kill_quietly(process)
    assert "got-term" in output
    assert process.returncode == 3
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{daemon}")
    leftovers = subprocess.run(["pgrep", "-f", "^sleep 300$"], capture_output=True, text=True).stdout.split()
    mine = [pid for pid in leftovers if os.path.exists(f"/proc/{pid}")
            and os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")]
    assert mine == []


def test_ctrl_c_on_a_terminal_reaches_the_command_once_and_cleans_up(exec_works, tmp_path):
    """Pins: Ctrl-C typed on exec's terminal interrupts CMD (once: the terminal already sends it
    to CMD, exec must not forward a second), askfirstd survives it to shut down cleanly, and
    exec returns CMD's status."""
    import pty
    marker = tmp_path / "ready"
    script = (f"count=0; trap 'count=$((count+1))' INT; touch {marker}; "
              f"while [ $count -eq 0 ]; do sleep 0.1; done; sleep 1; echo interrupts=$count; exit 5")
    pid, terminal = pty.fork()
    if pid == 0:
        os.execv(ASKFIRST, [ASKFIRST, "exec", "--", "sh", "-c", script])
    deadline = time.monotonic() + 20
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon = askfirstd_pid_of(pid)
    os.write(terminal, b"\x03")
    output = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert "interrupts=1" in text, text
    assert os.WEXITSTATUS(status) == 5, text
    assert "askfirstd exited" not in text  # it was stopped by exec after CMD, not killed by the Ctrl-C
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{daemon}")


def test_askfirstd_failing_at_start_stops_exec_before_the_command(exec_works, tmp_path):
    """Pins: if askfirstd exits before it reports ready, exec says so, returns 125 and never
    runs CMD (nothing runs without its appliance)."""
    daemon = tmp_path / "failing-askfirstd"
    daemon.write_text('#!/bin/sh\ncase "$*" in *--help*) echo "--ready-fd N";; *) echo "boom" >&2; exit 3;; esac\n')
    daemon.chmod(0o755)
    marker = tmp_path / "ran"
    result = subprocess.run([ASKFIRST, "exec", "--askfirstd", str(daemon), "--", "touch", str(marker)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 125
    assert "askfirstd exited (status 3) before it was ready" in result.stderr
    assert not marker.exists()
