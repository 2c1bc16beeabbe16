"""Bearer tokens and roles: who may call what.

A token is a random secret shown once at issue; only its SHA-256 is stored. Each token belongs
to a person (who holds a post in a unit) or to a client system, has roles, an acting unit, a
scope (a unit, with or without the units under it), an expiry, and can be revoked (a new row in
``api_token_revocations``; the token row itself never changes).

What each role may do is data (:data:`ROLE_ACTIONS`), so the authorisation matrix test is
generated from it rather than hand-picked.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from api.sidestore import SideStore
from domain.commands import Actor
from domain.organisation import OrgDirectory

ROLES: dict[str, str] = {
    "registrar": "登记员", "handler": "承办人", "unit_head": "单位负责人",
    "petition_bureau": "信访部门", "supervisor": "纪检监督", "review_organ": "复查复核机关",
    "auditor": "只读审计", "integration": "系统对接",
}
TRIAGE = {"transfer", "handle_directly", "route_to_organ", "route_out", "mark_repeat"}
INTAKE = {"receive", "object_to_transfer", "accept", "refuse", "notify_petitioner",
          "assign_handler"}
HANDLING = {"open_mediation", "conclude_mediation", "start_hearing", "end_hearing",
            "issue_reply", "serve_reply", "record_execution", "answer_supervision",
            "report_assignment", "note"}
REVIEW = {"accept_review", "issue_review_opinion", "serve_review_opinion", "start_hearing",
          "end_hearing", "note"}
READ = {"read", "list"}
# the supervisor's workflow on findings (domain.findings), and the three proposal powers
FINDING_WORK = {"confirm_finding", "dismiss_finding", "annotate_finding", "judge_consequences",
                "record_measure", "propose"}
# role -> the commands ("register", a domain.commands.COMMANDS name) and reads it may perform
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "registrar": frozenset({"register", *TRIAGE, *INTAKE, "evaluate", "request_review",
                            "withdraw", "correct", "note", *READ}),
    "handler": frozenset({*INTAKE, *HANDLING, "extend", "approve_reply", "withdraw", "correct",
                          *READ}),
    "unit_head": frozenset({*INTAKE, *HANDLING, "extend", "approve_reply", "assign_leader",
                            "correct", *READ, "findings", "give_feedback"}),
    "petition_bureau": frozenset({"register", *TRIAGE, *INTAKE, *HANDLING, "resolve_objection",
                                  "assign_leader", "evaluate", "request_review", "supervise",
                                  "withdraw", "correct", "extend", "approve_reply", *READ,
                                  "export", "access_log", "findings", "dossier", *FINDING_WORK,
                                  "give_feedback"}),
    "supervisor": frozenset({"supervise", "note", *READ, "access_log", "export", "findings",
                             "dossier", *FINDING_WORK, "give_feedback"}),
    "review_organ": frozenset({*REVIEW, "request_review", *READ, "findings", "dossier"}),
    "auditor": frozenset({*READ, "access_log", "findings", "dossier"}),
    "integration": frozenset({"register", *TRIAGE, *INTAKE, *HANDLING, *REVIEW,
                              "resolve_objection", "assign_leader", "evaluate", "request_review",
                              "supervise", "withdraw", "correct", "extend", "approve_reply",
                              *READ, "export", "import", "findings", "dossier",
                              "give_feedback"}),
}
# roles whose work needs the petitioner's name, ID number, phone and address
SEES_PERSONAL = frozenset({"registrar", "handler", "petition_bureau", "supervisor",
                           "review_organ", "integration"})
TOKEN_PREFIX = "ct_"
# A verified token is remembered for this long (seconds, monotonic): a revocation made through
# this process's store takes effect at once; one made elsewhere (the CLI, another worker) within
# this bound. Expiry is checked on every request. Unknown secrets are never cached.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_MAX = 10_000


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as its token describes it."""

    token_id: str
    subject: str
    kind: str  # "person" | "client"
    unit: str
    scope_unit: str
    include_subunits: bool
    roles: frozenset[str]
    person: str | None = None
    post: str | None = None
    expires_at: str = ""

    def in_post(self, org: OrgDirectory, at: datetime) -> bool:
        """A person's token acts in a post of a unit: it is good only while they hold it."""
        return self.kind != "person" or (self.person is not None and self.post is not None
                                         and org.holds(self.person, self.unit, self.post, at))

    def may(self, action: str) -> bool:
        return any(action in ROLE_ACTIONS.get(r, ()) for r in self.roles)

    @property
    def sees_personal(self) -> bool:
        return bool(self.roles & SEES_PERSONAL)

    def actor(self) -> Actor:
        """The actor recorded on every event this caller writes: from the token, never the body."""
        if self.kind == "person":
            return Actor(self.unit, person=self.person, post=self.post)
        return Actor(self.unit, client=self.subject)

    def as_dict(self) -> dict[str, Any]:
        return {"token_id": self.token_id, "subject": self.subject, "kind": self.kind,
                "unit": self.unit, "scope_unit": self.scope_unit,
                "include_subunits": self.include_subunits, "roles": sorted(self.roles),
                "person": self.person, "post": self.post, "expires_at": self.expires_at}


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="microseconds")


class TokenStore:
    """``org``: the organisation as the API sees it; with it, a person's token stops working
    the moment the person no longer holds the post it names (left the unit, post vacated)."""

    def __init__(self, side: SideStore,
                 org: Callable[[], OrgDirectory] | None = None) -> None:
        self.side = side
        self.org = org

    def issue(self, *, subject: str, kind: str, unit: str, roles: list[str], now: datetime,
              ttl: timedelta, person: str | None = None, post: str | None = None,
              scope_unit: str | None = None, include_subunits: bool = True,
              issued_by: str = "cli", note: str = "") -> tuple[str, Principal]:
        """A new token: (the secret, shown once; what it grants)."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "tok_" + secrets.token_hex(8)
        row = {"token_id": token_id, "secret_hash": hash_secret(secret), "subject": subject,
               "kind": kind, "person": person, "post": post, "unit": unit,
               "scope_unit": scope_unit or unit, "include_subunits": int(include_subunits),
               "roles": orjson.dumps(sorted(set(roles))).decode(), "issued_at": _iso(now),
               "expires_at": _iso(now + ttl), "issued_by": issued_by, "note": note}
        self.side.insert_ignore("api_tokens", row)
        return secret, self._principal(row)

    def revoke(self, token_id: str, now: datetime, by: str = "cli", reason: str = "") -> bool:
        if not self.side.query("SELECT 1 FROM api_tokens WHERE token_id = ?", (token_id,)):
            return False
        self.side.insert_ignore("api_token_revocations", {
            "token_id": token_id, "revoked_at": _iso(now), "revoked_by": by, "reason": reason})
        cache = self.side.token_cache
        for key in [k for k, (p, _) in list(cache.items()) if p.token_id == token_id]:
            cache.pop(key, None)
        return True

    def verify(self, secret: str, now: datetime) -> Principal | None:
        """The token's grant if the secret is known, unexpired and not revoked (a positive
        answer is cached for :data:`TOKEN_CACHE_SECONDS`)."""
        key, t = hash_secret(secret), time.monotonic()
        cache = self.side.token_cache
        hit = cache.get(key)
        if hit is None or t - hit[1] >= TOKEN_CACHE_SECONDS:
            found = self._lookup(key)
            if found is None:
                cache.pop(key, None)
                return None
            if len(cache) >= TOKEN_CACHE_MAX:
                cache.clear()
            hit = cache[key] = (found, t)
        return self._good(hit[0], now)

    def cached(self, secret: str, now: datetime) -> Principal | None:
        """The grant if a fresh, unexpired verification is cached (no I/O); else None."""
        hit = self.side.token_cache.get(hash_secret(secret))
        if hit is None or time.monotonic() - hit[1] >= TOKEN_CACHE_SECONDS:
            return None
        return self._good(hit[0], now)

    def _good(self, who: Principal, now: datetime) -> Principal | None:
        """Unexpired (refused from the expiry instant on) and, for a person, still in post."""
        if who.expires_at <= _iso(now):
            return None
        if self.org is not None and not who.in_post(self.org(), now):
            return None
        return who

    def _lookup(self, secret_hash: str) -> Principal | None:
        rows = self.side.query(
            "SELECT t.token_id, t.subject, t.kind, t.person, t.post, t.unit, t.scope_unit, "
            "t.include_subunits, t.roles, t.expires_at FROM api_tokens t "
            "LEFT JOIN api_token_revocations r ON r.token_id = t.token_id "
            "WHERE t.secret_hash = ? AND r.token_id IS NULL", (secret_hash,))
        if not rows:
            return None
        return self._principal(dict(zip(
            ("token_id", "subject", "kind", "person", "post", "unit", "scope_unit",
             "include_subunits", "roles", "expires_at"), rows[0])))

    def list(self) -> list[dict[str, Any]]:
        rows = self.side.query(
            "SELECT t.token_id, t.subject, t.kind, t.unit, t.scope_unit, t.include_subunits, "
            "t.roles, t.issued_at, t.expires_at, r.revoked_at FROM api_tokens t "
            "LEFT JOIN api_token_revocations r ON r.token_id = t.token_id ORDER BY t.issued_at")
        keys = ("token_id", "subject", "kind", "unit", "scope_unit", "include_subunits", "roles",
                "issued_at", "expires_at", "revoked_at")
        out = [dict(zip(keys, r)) for r in rows]
        for d in out:
            d["roles"] = orjson.loads(d["roles"])
            d["include_subunits"] = bool(d["include_subunits"])
        return out

    @staticmethod
    def _principal(row: dict[str, Any]) -> Principal:
        return Principal(row["token_id"], row["subject"], row["kind"], row["unit"],
                         row["scope_unit"], bool(row["include_subunits"]),
                         frozenset(orjson.loads(row["roles"])), row.get("person"),
                         row.get("post"), row["expires_at"])
