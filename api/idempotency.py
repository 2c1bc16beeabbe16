"""Idempotency-Key: a repeated command returns the first result and writes nothing more.

The key is scoped to the token. A record stores the fingerprint of the request (method, path and
canonical body) and the first successful response; a retry with the same key and fingerprint
gets that response back (``Idempotent-Replayed: true``), the same key with a different request is
refused (422). Refusals are not stored: they wrote nothing, so a retry may run again.
"""
from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response

from api.problems import Problem
from api.sidestore import SideStore

KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:")


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not 1 <= len(key) <= 128 or not set(key) <= KEY_CHARS:
        raise Problem(400, "idempotency.bad_key", "Idempotency-Key格式无效",
                      "Idempotency-Key must be 1-128 characters of [A-Za-z0-9-_.:]",
                      "Idempotency-Key")
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    blob = orjson.dumps([method, path, body], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()


class Idempotency:
    def __init__(self, side: SideStore) -> None:
        self.side = side
        self._locks = [threading.Lock() for _ in range(64)]

    def lock(self, token_id: str, key: str) -> threading.Lock:
        """Serialises requests with one key in this process (other processes: the primary key)."""
        return self._locks[hash((token_id, key)) % 64]

    def run(self, token_id: str, key: str | None, fp: str, now: datetime,
            act: Callable[[], Response]) -> Response:
        if key is None:
            return act()
        with self.lock(token_id, key):
            found = self.find(token_id, key)
            if found is not None:
                return self.replay(found, fp)
            response = act()
            if 200 <= response.status_code < 300:
                self.side.insert_ignore(*self.row(token_id, key, fp, now, response))
            return response

    @staticmethod
    def row(token_id: str, key: str, fp: str, now: datetime, response: Response,
            ) -> tuple[str, dict[str, Any]]:
        """The record of a first, successful response: (table, row)."""
        return "api_idempotency", {
            "token_id": token_id, "idem_key": key, "fingerprint": fp,
            "status": response.status_code, "body": bytes(response.body).decode(),
            "headers": orjson.dumps(_kept(response)).decode(),
            "created_at": now.astimezone(UTC).isoformat()}

    def find(self, token_id: str, key: str) -> tuple[Any, ...] | None:
        rows = self.side.query("SELECT fingerprint, status, body, headers FROM api_idempotency "
                               "WHERE token_id = ? AND idem_key = ?", (token_id, key))
        return rows[0] if rows else None

    @staticmethod
    def replay(row: tuple[Any, ...], fp: str) -> Response:
        if row[0] != fp:
            raise Problem(422, "idempotency.key_reused", "该Idempotency-Key已用于其他请求",
                          "This Idempotency-Key was used for a different request",
                          "Idempotency-Key")
        headers = {**orjson.loads(row[3]), "Idempotent-Replayed": "true"}
        return Response(row[2].encode(), status_code=int(row[1]), headers=headers,
                        media_type="application/json")


def _kept(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() in ("etag", "location")}
