"""A case bundle for a review body: every event of a case, each with its inclusion proof."""
from __future__ import annotations

import os
import uuid
from typing import Any

from integrity.backends import open_store
from integrity.config import now_text
from integrity.errors import LogTampered
from integrity.follower import IntegrityFollower
from integrity.keys import KeyStore
from integrity.proofs import event_doc, inclusion_in, readable_state, require_checkpoint
from verifier.casetrail_verify import BUNDLE_FORMAT, event_leaf_hash

__all__ = ["build_bundle"]


def build_bundle(
    url: str | None,
    case_id: str,
    keys: str | os.PathLike[str] | None = None,
    *,
    issue: bool = True,
) -> dict[str, Any]:
    """A case bundle for a review body: every event of the case, an inclusion proof for each,
    and the signed checkpoint they are proven against. Verifiable offline with
    ``verifier/casetrail_verify.py``.

    With ``issue`` and a signing key, the log is brought up to date and a fresh checkpoint is
    signed if the latest one does not cover all of the case's events yet.
    """
    case_id = str(uuid.UUID(str(case_id)))
    keystore = KeyStore(keys)
    if issue and keystore.signer() is not None:
        with IntegrityFollower(url, keystore, checkpoint_every=None,
                               checkpoint_interval=None) as f:
            f.catch_up()
            store = f.store
            positions = [store.leaf_by_nid(int(r[0])) for r in store.case_events(case_id)]
            latest = store.latest_checkpoint()
            need = max((p[0] + 1 for p in positions if p), default=0)
            if need and (latest is None or latest.tree_size < need):
                f.checkpoint()
    with open_store(url, readonly=True) as store:
        if not store.has_integrity_tables():
            raise LookupError("no integrity log in this store")
        rows = store.case_events(case_id)
        if not rows:
            raise LookupError(f"no events for case {case_id}")
        rec = require_checkpoint(store, None)
        origin = store.origin()
        events, left_out, altered = [], [], []
        for row in rows:
            found = store.leaf_by_nid(int(row[0]))
            if found is None or found[0] >= rec.tree_size:
                left_out.append(row[2])
                continue
            part = inclusion_in(store, int(row[0]), rec, origin)
            if event_leaf_hash(*row).hex() != part["leaf_hash"]:
                altered.append(row[2])
            ev = event_doc(row)
            ev.update(position=part["position"], leaf_hash=part["leaf_hash"],
                      inclusion_proof=part["proof"], state_json=readable_state(row[4]))
            events.append(ev)
        if altered:
            raise LogTampered(
                f"case {case_id}: version(s) {altered} no longer match the log (modified after "
                f"they were logged); run casetrail verify")
        return {
            "format": BUNDLE_FORMAT,
            "case_id": case_id,
            "generated_at": now_text(),
            "checkpoint": rec.note(origin),
            "checkpoint_summary": rec.summary(origin),
            "public_keys": [k.vkey() for k in keystore.public_keys()],
            "events": events,
            "versions_not_yet_covered": left_out,
            "how_to_verify": "python casetrail_verify.py THIS_FILE --pubkey PUBLISHED_KEY.pub",
        }

