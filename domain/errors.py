"""Domain errors: every refusal carries a stable code, a Chinese title and an English detail.

They say what went wrong, not how a transport reports it: the API maps each class to an HTTP
status (``api.problems``)."""
from __future__ import annotations


class DomainError(Exception):
    """A business rule refused a command. Nothing is written when this is raised."""

    def __init__(self, code: str, zh: str, en: str, field: str | None = None) -> None:
        super().__init__(f"[{code}] {zh} — {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.field = field

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "title": self.zh, "detail": self.en, "field": self.field}


class NotFound(DomainError):
    """What the command names does not exist (or may not be seen)."""


class IllegalTransition(DomainError):
    """A step that the case's current stage does not allow."""


class InvalidInput(DomainError):
    """A value the command carries is not acceptable."""


class VersionConflict(DomainError):
    """Another writer changed the case first; reload and retry."""

    def __init__(self, what: str = "case") -> None:
        super().__init__(
            "version_conflict",
            "版本冲突：该事项已被他人修改，请刷新后重试",
            f"The {what} was changed by another writer; reload and retry.",
        )
