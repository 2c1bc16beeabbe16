"""What can go wrong with the integrity log, as exceptions."""
from __future__ import annotations

__all__ = ["LogTampered", "StoreUnavailable"]


class LogTampered(Exception):
    """The database contradicts a checkpoint that was signed earlier; nothing was signed."""


class StoreUnavailable(Exception):
    """The store cannot be opened or has no events table."""
