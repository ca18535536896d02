"""Where askfirst's host tools find askfirstd's control sockets, as XDG says
(design.md, "The user's surface"). askfirstd (src/control_server.cpp) and the
C++ CLI (tools/control_client.cpp) compute the same path; keep them in step.
The CA and the audit log are reached through the `askfirst` CLI instead
(`askfirst ca export`, `askfirst log`), so their layout lives in one place.
"""
from __future__ import annotations

import os
from pathlib import Path


def runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR/askfirst, or a private per-uid folder under /tmp when unset."""
    value = os.environ.get("XDG_RUNTIME_DIR")
    if value and os.path.isabs(value):
        return Path(value) / "askfirst"
    return Path(f"/tmp/askfirst-runtime-{os.getuid()}")


def control_socket(name: str) -> Path:
    return runtime_dir() / f"{name}.sock"
