"""Where askfirst keeps its files, as XDG says (design.md, "The user's surface").

askfirstd computes the same paths (src/); keep the two in step.
"""
from __future__ import annotations

import os
from pathlib import Path


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def data_home() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "askfirst"


def state_home() -> Path:
    return _xdg("XDG_STATE_HOME", ".local/state") / "askfirst"


def cache_home() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "askfirst"


def config_home() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "askfirst"


def runtime_dir() -> Path:
    """$XDG_RUNTIME_DIR/askfirst, or a private per-uid folder under /tmp when unset."""
    value = os.environ.get("XDG_RUNTIME_DIR")
    if value and os.path.isabs(value):
        return Path(value) / "askfirst"
    return Path(f"/tmp/askfirst-runtime-{os.getuid()}")


def control_socket(name: str) -> Path:
    return runtime_dir() / f"{name}.sock"


def ca_certificate() -> Path:
    return data_home() / "ca" / "ca.pem"


def audit_log(name: str) -> Path:
    return state_home() / "audit" / f"{name}.jsonl"
