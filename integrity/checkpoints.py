"""Signed checkpoints: issue one (only over a tree consistent with every earlier one), read them."""
from __future__ import annotations

import logging
from typing import Any

from integrity.backends import open_store
from integrity.config import now_text
from integrity.errors import LogTampered
from integrity.keys import KeyStore, Signer
from integrity.merkle import consistency_proof_ranges, proof_from_nodes
from integrity.store import CheckpointRecord, Store
from verifier.casetrail_verify import parse_checkpoint, verify_consistency

log = logging.getLogger("casetrail.integrity")

__all__ = ["export_checkpoint", "issue_checkpoint_in", "latest_checkpoint",
           "latest_checkpoint_summary"]


def issue_checkpoint_in(store: Store, signer: Signer, keystore: KeyStore) -> CheckpointRecord:
    """Sign the tree head of ``store`` now, after proving it extends the latest checkpoint in
    the database and the last one this signer issued (else :class:`LogTampered`)."""
    origin = store.origin()
    with store.snapshot():
        size = store.tracking()[1]
        root = store.root_at(size)
        prev = store.latest_checkpoint()
        checks: list[tuple[str, int, bytes]] = []
        if prev is not None:
            checks.append(("the latest checkpoint in the database", prev.tree_size, prev.root))
        issued = keystore.issued(store.log_id())
        if issued:
            try:
                cp = parse_checkpoint(issued)
                checks.append(("the last checkpoint this signer issued", cp.tree_size, cp.root))
            except ValueError:
                log.warning("unreadable record of the last issued checkpoint; ignored")
        for what, psize, proot in checks:
            if psize > size:
                raise LogTampered(
                    f"refusing to sign: {what} covers {psize} events but the tree now has "
                    f"only {size} (database rolled back or truncated)")
            proof = proof_from_nodes(consistency_proof_ranges(psize, size), store.get_nodes)
            if not verify_consistency(psize, size, proot, root, proof):
                raise LogTampered(
                    f"refusing to sign: the tree at size {size} is not an extension of {what} "
                    f"(size {psize}); history was rewritten")
    rec = CheckpointRecord(0, size, root, now_text(), signer.key_id, b"")
    rec.signature = signer.sign(rec.body(origin).encode("utf-8"))
    rec.id = store.insert_checkpoint(rec)
    keystore.record_issued(store.log_id(), rec.note(origin))
    return rec


def latest_checkpoint(url: str | None = None) -> tuple[CheckpointRecord, str] | None:
    """(the latest signed checkpoint, the log's origin), or None."""
    with open_store(url, readonly=True) as store:
        if not store.has_integrity_tables():
            return None
        rec = store.latest_checkpoint()
        return (rec, store.origin()) if rec else None


def latest_checkpoint_summary(url: str | None = None) -> dict[str, Any] | None:
    """What a report or dossier states it was built from: tree size, root hash, time, key.

    ``{"tree_size", "root" (hex), "root_b64", "issued_at", "key_id", "origin",
    "checkpoint_id"}``, or None when no checkpoint exists or the store cannot be read.
    """
    try:
        found = latest_checkpoint(url)
    except Exception as e:  # noqa: BLE001 - a report must render even without an integrity log
        log.warning("latest_checkpoint_summary: %s", e)
        return None
    if found is None:
        return None
    rec, origin = found
    return rec.summary(origin)


def export_checkpoint(url: str | None = None, tree_size: int | None = None) -> str:
    """The signed checkpoint note (text) for a witness to keep."""
    with open_store(url, readonly=True) as store:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store (run: casetrail integrity follow)")
        rec = store.latest_checkpoint(tree_size)
        if rec is None:
            raise LookupError("no checkpoint" + (f" of size {tree_size}" if tree_size else ""))
        return rec.note(store.origin())
