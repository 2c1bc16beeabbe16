"""The read-access log: every read that reveals (or withholds) a case's personal data or
accusation content is recorded — who, when, what, through which endpoint. Append-only (the
table refuses UPDATE and DELETE); supervisors and auditors query it; the confidentiality
finding rule reads it through :meth:`AccessLog.entries`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from api.auth import Principal
from api.sidestore import SideStore

COLUMNS = ("entry_id", "at", "token_id", "subject", "unit", "person", "roles", "method",
           "endpoint", "case_no", "revealed", "withheld")


@dataclass(frozen=True)
class Entry:
    entry_id: int
    at: str
    token_id: str
    subject: str
    unit: str
    person: str | None
    roles: list[str]
    method: str
    endpoint: str
    case_no: str
    revealed: list[str]
    withheld: list[str]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class AccessLog:
    def __init__(self, side: SideStore) -> None:
        self.side = side

    def record(self, p: Principal, at: datetime, method: str, endpoint: str, case_no: str,
               revealed: set[str], withheld: set[str]) -> None:
        if not revealed and not withheld:
            return
        self.side.execute(
            "INSERT INTO api_access_log (at, token_id, subject, unit, person, roles, method, "
            "endpoint, case_no, revealed, withheld) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (at.astimezone(UTC).isoformat(timespec="microseconds"), p.token_id,
             p.subject, p.unit, p.person, _json(sorted(p.roles)), method, endpoint, case_no,
             _json(sorted(revealed)), _json(sorted(withheld))))

    def entries(self, case_no: str | None = None, subject: str | None = None,
                since: datetime | None = None, until: datetime | None = None,
                after_id: int = 0, limit: int = 1000) -> list[Entry]:
        """Entries in log order; the finding rule pages with ``after_id``."""
        where, params = ["entry_id > ?"], [after_id]
        for clause, value in (("case_no = ?", case_no), ("subject = ?", subject),
                              ("at >= ?", _utc(since)), ("at < ?", _utc(until))):
            if value is not None:
                where.append(clause)
                params.append(value)
        rows = self.side.query(
            f"SELECT {', '.join(COLUMNS)} FROM api_access_log WHERE {' AND '.join(where)} "
            "ORDER BY entry_id LIMIT ?", (*params, limit))
        return [Entry(int(r[0]), r[1], r[2], r[3], r[4], r[5], orjson.loads(r[6]), r[7], r[8],
                      r[9], orjson.loads(r[10]), orjson.loads(r[11])) for r in rows]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _utc(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat(timespec="microseconds")
