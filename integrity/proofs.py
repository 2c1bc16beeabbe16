"""Proofs against a signed checkpoint: one event's inclusion, one checkpoint extending another."""
from __future__ import annotations

import base64
import json
from typing import Any

from integrity.backends import open_store
from integrity.hashing import case_id_of
from integrity.merkle import consistency_proof_ranges, inclusion_proof_ranges, proof_from_nodes
from integrity.store import CheckpointRecord, Store
from verifier.casetrail_verify import (
    CONSISTENCY_FORMAT,
    EMPTY_ROOT,
    INCLUSION_FORMAT,
    encode_leaf,
    event_leaf_hash,
)

__all__ = ["consistency_proof", "event_doc", "inclusion_in", "inclusion_proof", "readable_state",
           "require_checkpoint"]


def event_doc(row: tuple) -> dict[str, Any]:
    nid, oid, ver, topic, state = row
    doc: dict[str, Any] = {
        "notification_id": nid, "originator_id": case_id_of(oid), "originator_version": ver,
        "topic": topic,
        "state_b64": None if state is None else base64.b64encode(bytes(state)).decode(),
    }
    if encode_leaf(*row)[0] != 1:  # a non-standard row: give the exact leaf data
        doc["leaf_data_b64"] = base64.b64encode(encode_leaf(*row)).decode()
    return doc


def readable_state(state: Any) -> Any:
    if not isinstance(state, bytes):
        return None
    try:
        return json.loads(state)
    except (ValueError, UnicodeDecodeError):
        return None  # compressed or encrypted


def require_checkpoint(store: Store, tree_size: int | None) -> CheckpointRecord:
    rec = store.latest_checkpoint(tree_size)
    if rec is None:
        raise LookupError("no signed checkpoint" + (
            f" of tree size {tree_size}" if tree_size is not None else "; issue one first"))
    return rec


def inclusion_in(store: Store, nid: int, rec: CheckpointRecord, origin: str) -> dict[str, Any]:
    found = store.leaf_by_nid(nid)
    if found is None:
        raise LookupError(f"event {nid} is not in the integrity log yet (follower behind)")
    pos, leaf = found
    if pos >= rec.tree_size:
        raise LookupError(f"event {nid} (position {pos}) is after checkpoint size {rec.tree_size}")
    proof = proof_from_nodes(inclusion_proof_ranges(pos, rec.tree_size), store.get_nodes)
    return {"position": pos, "leaf_hash": leaf.hex(), "proof": [p.hex() for p in proof]}


def inclusion_proof(
    url: str | None = None,
    *,
    notification_id: int | None = None,
    case_id: str | None = None,
    version: int | None = None,
    tree_size: int | None = None,
    store: Store | None = None,
) -> dict[str, Any]:
    """Proof that one stored event is in the log under a signed checkpoint (latest by default)."""
    own = store is None
    store = store or open_store(url, readonly=True)
    try:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store")
        if notification_id is None:
            if case_id is None or version is None:
                raise ValueError("give notification_id, or case_id and version")
            notification_id = store.nid_of(case_id, version)
            if notification_id is None:
                raise LookupError(f"no event version {version} of case {case_id}")
        row = store.event_by_nid(int(notification_id))
        if row is None:
            raise LookupError(f"no event with notification id {notification_id}")
        rec = require_checkpoint(store, tree_size)
        origin = store.origin()
        part = inclusion_in(store, int(notification_id), rec, origin)
        ev = event_doc(row)
        doc = {
            "format": INCLUSION_FORMAT, "tree_size": rec.tree_size, **part, "event": ev,
            "checkpoint": rec.note(origin), "root": rec.root.hex(),
        }
        if event_leaf_hash(*row).hex() != part["leaf_hash"]:
            doc["warning"] = "the stored event no longer matches its leaf: it was modified"
        return doc
    finally:
        if own:
            store.close()


def consistency_proof(
    url: str | None = None,
    first: int = 0,
    second: int | None = None,
    *,
    store: Store | None = None,
) -> dict[str, Any]:
    """Proof that the checkpoint of size ``second`` (latest by default) extends ``first``."""
    own = store is None
    store = store or open_store(url, readonly=True)
    try:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store")
        b = require_checkpoint(store, second)
        a = require_checkpoint(store, first) if first else None
        size1 = a.tree_size if a else 0
        if size1 > b.tree_size:
            raise ValueError(f"first ({size1}) must not be larger than second ({b.tree_size})")
        origin = store.origin()
        proof = proof_from_nodes(consistency_proof_ranges(size1, b.tree_size), store.get_nodes)
        return {
            "format": CONSISTENCY_FORMAT,
            "first": {"tree_size": size1, "root": (a.root if a else EMPTY_ROOT).hex(),
                      "checkpoint": a.note(origin) if a else None},
            "second": {"tree_size": b.tree_size, "root": b.root.hex(),
                       "checkpoint": b.note(origin)},
            "proof": [p.hex() for p in proof],
        }
    finally:
        if own:
            store.close()
