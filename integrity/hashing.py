"""Leaf hashing: the hot path that turns raw event rows into Merkle leaves."""
from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Sequence
from typing import Any

from verifier.casetrail_verify import LEAF_V1, event_leaf_hash

__all__ = ["case_id_of", "leaf_hashes", "oid_text"]


def leaf_hashes(rows: Sequence[tuple[Any, Any, Any, Any, Any]]) -> list[bytes]:
    """Leaf hashes of raw rows ``(notification_id, originator_id, version, topic, state)``.

    Same result as :func:`verifier.casetrail_verify.event_leaf_hash` row by row, with a fast
    path for rows of the standard types (originator id as SQLite's 32-hex text or as 16 bytes).
    """
    sha = hashlib.sha256
    pack = LEAF_V1.pack
    fromhex = bytes.fromhex
    topics: dict[str, bytes] = {}
    out: list[bytes] = []
    append = out.append
    last_s: str | None = None  # a case's events are usually next to each other in the log
    last_b = b""
    for nid, oid, ver, topic, state in rows:
        try:
            if type(oid) is str:
                if oid == last_s:
                    ob = last_b
                else:
                    ob = fromhex(oid)
                    if len(ob) != 16 or ob.hex() != oid:
                        raise ValueError
                    last_s, last_b = oid, ob
            elif type(oid) is bytes and len(oid) == 16:
                ob = oid
            else:
                raise ValueError
            tb = topics.get(topic)
            if tb is None:
                tb = topic.encode("utf-8", "surrogatepass")  # AttributeError if not str
                topics[topic] = tb
            if type(nid) is not int or type(ver) is not int or type(state) is not bytes:
                raise ValueError
            append(sha(pack(0, 1, nid, ver, ob, len(tb), len(state)) + tb + state).digest())
        except (ValueError, TypeError, AttributeError, struct.error):
            append(event_leaf_hash(nid, oid, ver, topic, state))
    return out


def oid_text(oid: Any) -> str:
    if type(oid) is str:
        return oid
    if type(oid) is bytes and len(oid) == 16:
        return oid.hex()
    return repr(oid)


def case_id_of(oid: Any) -> str:
    """A stored originator id as a UUID string when it is one."""
    s = oid_text(oid) if not isinstance(oid, str) else oid
    try:
        return str(uuid.UUID(s))
    except (ValueError, TypeError, AttributeError):
        return str(s)
