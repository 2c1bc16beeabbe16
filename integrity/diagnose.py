"""Verify's diagnosis: what exactly differs between the events table and the logged leaves."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from integrity.hashing import case_id_of, leaf_hashes, oid_text
from integrity.store import Store

__all__ = ["Problem", "diagnose"]


@dataclass
class Problem:
    kind: str
    detail: str
    position: int | None = None
    notification_id: int | None = None
    case_id: str | None = None
    originator_version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def diagnose(st: Store, batch: int, start_pos: int, start_nid: int | None, leaf_count: int,
             last_nid: int) -> Iterator[Problem]:
    """Merge events and stored leaves by notification id from ``start_pos`` on: every event
    deleted, inserted or modified since it was logged, in log order."""

    def events() -> Iterator[tuple[int, int, bytes, tuple]]:
        ordinal = start_pos
        after = None if start_nid is None else start_nid - 1
        if start_nid is None:
            return
        for rows in st.iter_event_batches(batch, after=after):
            for r, h in zip(rows, leaf_hashes(rows)):
                yield ordinal, r[0], h, r
                ordinal += 1

    def leaves() -> Iterator[tuple]:
        pos = start_pos
        while pos < leaf_count:
            rows = st.leaves_range(pos, min(pos + batch, leaf_count))
            if not rows:
                return
            yield from rows
            pos = int(rows[-1][0]) + 1

    ev_it, lf_it = events(), leaves()
    e = next(ev_it, None)
    lf = next(lf_it, None)
    while e is not None or lf is not None:
        if lf is None:
            ordinal, nid, h, r = e
            if nid <= last_nid:
                yield Problem(
                    "event_inserted", f"event {nid} is not in the log but lies before the "
                    f"last logged event {last_nid}: it was inserted afterwards",
                    position=ordinal, notification_id=nid, case_id=case_id_of(r[1]),
                    originator_version=r[2])
                e = next(ev_it, None)
                continue
            break  # the rest are events the follower has not reached yet
        lpos, lnid, lhash, loid, lver = int(lf[0]), int(lf[1]), bytes(lf[2]), lf[3], lf[4]
        if e is None or e[1] > lnid:
            yield Problem(
                "event_deleted" if e is not None else "event_deleted_tail",
                f"event {lnid} (case {case_id_of(loid)} version {lver}) was logged at "
                f"position {lpos} but is no longer in the events table",
                position=lpos, notification_id=lnid, case_id=case_id_of(loid),
                originator_version=lver)
            lf = next(lf_it, None)
            continue
        ordinal, nid, h, r = e
        if nid < lnid:
            yield Problem(
                "event_inserted", f"event {nid} (case {case_id_of(r[1])} version {r[2]}) is "
                f"not in the log; it was inserted before logged event {lnid}",
                position=ordinal, notification_id=nid, case_id=case_id_of(r[1]),
                originator_version=r[2])
            e = next(ev_it, None)
            continue
        if h != lhash:
            what: list[str] = []
            if oid_text(r[1]) != loid:
                what.append(f"originator changed from {case_id_of(loid)} to {case_id_of(r[1])}")
            if r[2] != lver:
                what.append(f"version changed from {lver} to {r[2]}")
            if not what:
                what.append("topic or stored state changed")
            yield Problem(
                "event_modified", f"event {nid} at position {lpos}: " + "; ".join(what),
                position=lpos, notification_id=nid, case_id=case_id_of(loid),
                originator_version=lver)
        e = next(ev_it, None)
        lf = next(lf_it, None)
