"""Where the integrity log lives (the database URL, the keys directory) and its time stamps."""
from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_URL = "sqlite:///casetrail.db"
DEFAULT_KEYS_DIR = "keys"

__all__ = ["DEFAULT_KEYS_DIR", "DEFAULT_URL", "database_url", "keys_dir", "now_text"]


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("CASETRAIL_DATABASE_URL") or DEFAULT_URL


def keys_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    return Path(directory or os.environ.get("CASETRAIL_KEYS_DIR") or DEFAULT_KEYS_DIR)


def now_text() -> str:
    """The current UTC time as the log writes it (checkpoints, rotations, bundles)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
