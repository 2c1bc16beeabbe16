"""Verify: re-read every stored event and check it against the log, the signed checkpoints and
the checkpoints that witnesses hold. It needs no domain code, so it works with any topic and
with encrypted state. Exit codes: 0 intact, 1 tampered, 2 cannot read."""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from integrity import scan
from integrity.backends import open_store
from integrity.config import database_url
from integrity.diagnose import Problem, diagnose
from integrity.errors import StoreUnavailable
from integrity.keys import KeyStore
from integrity.store import CheckpointRecord, Store
from verifier.casetrail_verify import Checkpoint, PublicKey, verify_checkpoint, verify_note

log = logging.getLogger("casetrail.integrity")

EXIT_INTACT, EXIT_TAMPERED, EXIT_UNREADABLE = 0, 1, 2

__all__ = ["EXIT_INTACT", "EXIT_TAMPERED", "EXIT_UNREADABLE", "run_verify", "verify_store"]


def _masked(url: str) -> str:
    u = urlparse(url)
    if u.password:
        netloc = u.netloc.replace(f":{u.password}@", ":***@")
        return urlunparse(u._replace(netloc=netloc))
    return url


class _Verifier:
    MAX_PROBLEMS = 200

    def __init__(self, store: Store, keys: list[PublicKey],
                 witnesses: list[tuple[str, str]], batch: int, workers: int = 1,
                 thorough: bool = False) -> None:
        self.store, self.keys, self.witnesses, self.batch = store, keys, witnesses, batch
        self.workers = workers
        self.thorough = thorough
        self.problems: list[Problem] = []
        self.more_problems = 0
        self.warnings: list[str] = []
        self.unreadable: list[str] = []
        self.info: dict[str, Any] = {}
        self.verified_upto = 0  # events before this position match a trusted signed root

    def problem(self, p: Problem) -> None:
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(p)
        else:
            self.more_problems += 1

    # ----------------------------------------------------------------------------------
    def run(self) -> None:
        st = self.store
        events_table = "casetrail_events" if st.kind == "postgres" else "stored_events"
        with st.snapshot():
            has_events = st.table_exists(events_table)
            has_log = st.has_integrity_tables()
            if not has_events and not has_log:
                self.unreadable.append("no events table and no integrity log: not a Casetrail store")
                return
            if not has_events:
                self.problem(Problem("events_table_missing",
                                     "the integrity log exists but the events table is gone"))
                return
            origin = st.origin() if has_log else None
            tracking = st.tracking() if has_log else (0, 0)
            leaf_count, leaf_max = st.leaf_stats() if has_log else (0, None)
            checkpoints = st.checkpoints() if has_log else []
            self.info.update(origin=origin, tree_size=leaf_count,
                             last_followed_notification_id=tracking[0],
                             checkpoints=len(checkpoints))
            if not has_log:
                if st.event_span()[0]:
                    self.unreadable.append(
                        "events but no integrity log in this store: nothing to verify them "
                        "against (the follower never ran, or its tables were dropped)")
            elif tracking[1] != leaf_count or (leaf_count and leaf_max != leaf_count - 1):
                self.problem(Problem(
                    "integrity_tables_inconsistent",
                    f"tracking says {tracking[1]} leaves, the leaf table has {leaf_count} "
                    f"(max position {leaf_max})"))
            cps = self._check_checkpoint_signatures(checkpoints, origin)
            wits = self._load_witnesses(origin)
            sizes = sorted({c.tree_size for c in cps} | {w[1].tree_size for w in wits}
                           | {leaf_count})
            roots, n_events = self._scan(sizes, leaf_count, tracking[0], has_log)
        self.info["events"] = n_events
        self._compare_roots(cps, wits, roots, n_events)
        if has_log and not checkpoints:
            self.warnings.append("no signed checkpoint yet: only the leaf table vouches for the "
                                 "log (run: casetrail integrity checkpoint)")
        elif checkpoints:
            last = max(c.tree_size for c in checkpoints)
            if leaf_count > last:
                self.warnings.append(f"{leaf_count - last} logged events are newer than the "
                                     "latest signed checkpoint")
        if n_events > leaf_count:
            self.warnings.append(f"{n_events - leaf_count} events are not yet in the integrity "
                                 "log (follower behind)")

    def _check_checkpoint_signatures(self, checkpoints: list[CheckpointRecord],
                                     origin: str | None) -> list[CheckpointRecord]:
        good = []
        if checkpoints and not self.keys:
            # Roots are still compared (a mismatch is evidence either way), but unsigned
            # checkpoints cannot vouch for anything, so the result is at best "cannot read".
            self.unreadable.append("no public key to check checkpoint signatures with "
                                   "(give the directory holding the published key: --keys DIR)")
            return list(checkpoints)
        prev_size = -1
        for c in checkpoints:
            ok, _, why = verify_note(c.note(origin or ""), self.keys)
            if not ok:
                kind = ("checkpoint_unknown_key" if "trusted key" in why
                        else "checkpoint_bad_signature")
                self.problem(Problem(kind, f"checkpoint #{c.id} (tree size {c.tree_size}, "
                                           f"key {c.key_id}): {why}", position=c.tree_size))
                continue
            if c.tree_size < prev_size:
                self.problem(Problem(
                    "checkpoint_sequence", f"checkpoint #{c.id} has tree size {c.tree_size}, "
                    f"smaller than an earlier checkpoint ({prev_size})", position=c.tree_size))
            prev_size = max(prev_size, c.tree_size)
            good.append(c)
        return good

    def _load_witnesses(self, origin: str | None) -> list[tuple[str, Checkpoint]]:
        out = []
        for label, text in self.witnesses:
            cp, why = verify_checkpoint(text, self.keys)
            if cp is None or why:
                self.unreadable.append(f"witness {label}: {why or 'unreadable'}")
                continue
            if origin is not None and cp.origin != origin:
                self.problem(Problem(
                    "witness_origin_mismatch",
                    f"witness {label} holds a checkpoint of log {cp.origin}, but this database "
                    f"is log {origin} (the log was recreated, or the wrong file was given)"))
                continue
            out.append((label, cp))
        return out

    def _scan(self, sizes: list[int], leaf_count: int, last_nid: int,
              has_log: bool) -> tuple[dict[int, bytes], int]:
        """Hash every event; roots at ``sizes``; compare with the leaf table."""
        st = self.store
        n, lo, hi = st.event_span()
        targets = [x for x in sizes if 0 < x]
        lc = leaf_count if has_log else 0
        parts = scan.plan_partitions(n, lo, hi, st, self.workers)
        results = scan.hash_partitions(st, parts, self.batch, lc, targets, self.thorough)
        if results is None:
            # the store changed between counting and reading: read it again, in one process
            results = [scan.hash_partition(st, scan.Partition(0, None, None, 0), self.batch, lc,
                                           targets, self.thorough)]
        n = sum(r.count for r in results)
        self.info["partitions"] = len(results)

        # 1. the first position where the events and the leaf table disagree
        diverged = next((r.mismatch for r in results if r.mismatch is not None), None)
        for first, last in scan.altered_chunks(results, diverged):
            self.problem(Problem(
                "node_table_modified",
                f"the stored subtree hash over positions {first}..{last} "
                f"was altered or removed (the events there match their leaves)",
                position=first))
        if diverged is None and has_log and n < leaf_count:
            diverged = (n, None)  # the events table ends before the log does
        if diverged is not None:
            for p in diagnose(st, self.batch, diverged[0], diverged[1], leaf_count, last_nid):
                self.problem(p)

        # 2. roots at every size a checkpoint or witness needs
        return scan.roots_at(results, sizes, [x for x in targets if x <= n]), n

    def _compare_roots(self, cps: list[CheckpointRecord], wits: list[tuple[str, Checkpoint]],
                       roots: dict[int, bytes], n_events: int) -> None:
        good_sizes = [0]
        for c in sorted(cps, key=lambda c: c.tree_size):
            if c.tree_size > n_events:
                self.problem(Problem(
                    "checkpoint_beyond_log",
                    f"checkpoint #{c.id} signed a tree of {c.tree_size} events but the store "
                    f"holds only {n_events}: events were deleted or the tail truncated",
                    position=n_events))
            elif roots.get(c.tree_size) != c.root:
                lo = max(s for s in good_sizes if s <= c.tree_size)
                self.problem(Problem(
                    "checkpoint_root_mismatch",
                    f"checkpoint #{c.id} (size {c.tree_size}, signed {c.issued_at}) does not "
                    f"match the events: something in positions {lo}..{c.tree_size - 1} was "
                    f"changed, deleted or inserted", position=lo))
            else:
                good_sizes.append(c.tree_size)
                if self.keys:
                    self.verified_upto = max(self.verified_upto, c.tree_size)
        for label, w in wits:
            if w.tree_size > n_events:
                self.problem(Problem(
                    "rolled_back",
                    f"witness {label} holds a signed checkpoint of {w.tree_size} events "
                    f"({w.issued_at}), but the store has only {n_events}: the database was "
                    f"rolled back (restored from an older backup) or truncated",
                    position=n_events))
            elif roots.get(w.tree_size) != w.root:
                self.problem(Problem(
                    "witness_root_mismatch",
                    f"witness {label} (size {w.tree_size}, {w.issued_at}) does not match the "
                    f"events: history before position {w.tree_size} was rewritten",
                    position=max([s for s in good_sizes if s <= w.tree_size], default=0)))
            else:
                self.verified_upto = max(self.verified_upto, w.tree_size)
        self.info["witnesses_checked"] = len(wits)
        self.info["checkpoints_verified"] = len(cps)

    def report(self) -> dict[str, Any]:
        for p in self.problems:
            # The events agree with a trusted signed root, so it is the leaf table that changed.
            if p.kind == "event_modified" and (p.position or 0) < self.verified_upto:
                p.kind = "leaf_table_modified"
                p.detail = (f"integrity_leaves row {p.position} was altered; the event itself "
                            f"matches the signed checkpoint of size {self.verified_upto}")
        if self.problems:
            status, code = "tampered", EXIT_TAMPERED
        elif self.unreadable:
            status, code = "cannot read", EXIT_UNREADABLE
        else:
            status, code = "intact", EXIT_INTACT
        probs = sorted(self.problems, key=lambda p: (
            not p.kind.startswith(("event_", "leaf_", "node_")), p.position is None,
            p.position or 0))
        first = next((p for p in probs if p.kind.startswith("event_")), None) or (
            probs[0] if probs else None)
        return {
            "status": status, "exit_code": code, **self.info,
            "first_bad": first.as_dict() if first else None,
            "problems": [p.as_dict() for p in probs],
            "more_problems": self.more_problems,
            "warnings": self.warnings, "errors": self.unreadable,
        }


def verify_store(
    url: str | None = None,
    *,
    public_keys: Sequence[PublicKey] = (),
    witnesses: Sequence[tuple[str, str]] = (),
    batch: int = 20_000,
    workers: int | None = None,
    thorough: bool = False,
) -> dict[str, Any]:
    """Re-read the whole store and check it against the log, checkpoints and witnesses."""
    t0 = time.perf_counter()
    url = database_url(url)
    try:
        store = open_store(url, readonly=True)
    except StoreUnavailable as e:
        return {"status": "cannot read", "exit_code": EXIT_UNREADABLE, "errors": [str(e)],
                "problems": [], "warnings": [], "first_bad": None, "database": _masked(url)}
    try:
        if workers is None:
            workers = min(4, os.cpu_count() or 1)
        v = _Verifier(store, list(public_keys), list(witnesses), batch, workers, thorough)
        try:
            v.run()
        except Exception as e:  # a read failure half-way is "cannot read", never "intact"
            log.exception("verify failed")
            v.unreadable.append(f"error while reading the store: {type(e).__name__}: {e}")
            v.info["aborted"] = True
        rep = v.report()
        if v.info.get("aborted") and rep["exit_code"] == EXIT_INTACT:
            rep["status"], rep["exit_code"] = "cannot read", EXIT_UNREADABLE
    finally:
        store.close()
    rep["database"] = _masked(url)
    rep["elapsed_s"] = round(time.perf_counter() - t0, 3)
    if rep.get("events"):
        rep["events_per_s"] = int(rep["events"] / max(rep["elapsed_s"], 1e-9))
    return rep


def run_verify(
    url: str | None = None,
    witness_files: Sequence[str | os.PathLike[str]] = (),
    keys_dir: str | os.PathLike[str] | None = None,
    *,
    thorough: bool = False,
) -> tuple[int, dict[str, Any]]:
    """``casetrail verify``: (exit code, report). 0 intact, 1 tampered, 2 cannot read.

    Trusted keys are the ``*.pub`` files in ``keys_dir`` (an auditor needs only those). The
    signer's own record of the last checkpoint it issued, if present in ``keys_dir``, is used
    as one more witness.
    """
    ks = KeyStore(keys_dir)
    errors: list[str] = []
    try:
        keys = ks.public_keys()
    except (OSError, ValueError) as e:
        keys, errors = [], [f"cannot read public keys in {ks.dir}: {e}"]
    witnesses: list[tuple[str, str]] = []
    for wf in witness_files:
        try:
            witnesses.append((str(wf), Path(wf).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as e:
            errors.append(f"cannot read witness file {wf}: {e}")
    issued_dir = ks.dir / "issued"
    if issued_dir.is_dir():
        for p in sorted(issued_dir.glob("*.checkpoint")):
            witnesses.append((f"signer record {p.name}", p.read_text(encoding="utf-8")))
    rep = verify_store(url, public_keys=keys, witnesses=_only_this_log(url, witnesses),
                       thorough=thorough)
    if errors:
        rep["errors"] = errors + rep.get("errors", [])
        if rep["exit_code"] == EXIT_INTACT:
            rep["status"], rep["exit_code"] = "cannot read", EXIT_UNREADABLE
    return rep["exit_code"], rep


def _only_this_log(url: str | None, witnesses: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Signer records are kept per log; only the one for this database's log applies."""
    try:
        with open_store(url, readonly=True) as st:
            log_id = st.log_id() if st.has_integrity_tables() else None
    except Exception:  # noqa: BLE001 - verify_store itself reports why the store is unreadable
        return witnesses
    return [(label, text) for label, text in witnesses
            if not label.startswith("signer record ") or (log_id and log_id in label)]
