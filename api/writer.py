"""How the API writes a case command: checked alone, committed together (group commit).

Every commit to the event store waits for the disk (``fsync``: 3 ms here on SQLite and on
PostgreSQL) and, on PostgreSQL, holds the events table's EXCLUSIVE lock until it is durable (the
lock keeps notification ids in commit order, which the projections and the integrity follower
rely on). One command per transaction therefore caps a store at a few hundred commands a second
whatever the CPU does. So each request thread checks its command on its own :class:`Batch`
(nothing written), then hands the new events to :class:`Writer`: the first thread to arrive
commits, in ONE transaction, the events of every request waiting at that moment; the others wait
for it and get their own results. The store's unique (case, version) key still decides between
two writers of one case: if a group is refused, each of its requests is committed alone, so the
refusal reaches only the request it concerns.

The Idempotency-Key record of a request is written in the same transaction as its events
(``store.SideRows``): a command is recorded with its key or not at all, and a retry that
races the first attempt in another worker process is refused by the key's primary key and then
answered with the first result.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from eventsourcing.persistence import IntegrityError
from starlette.responses import Response

from api.idempotency import Idempotency
from domain.application import Batch, Casetrail, Result
from domain.errors import DomainError, VersionConflict
from store.recorders import PostgresRecorder, SQLiteRecorder

Record = Callable[[Response], tuple[str, dict[str, Any]]]


def written(result: Result, status: int = 200) -> Response:
    """A command's answer: the case, its new version and the log position (ETag = version)."""
    body = {"case_no": result.case_no, "version": result.version, "position": result.position}
    headers = {"ETag": f'"{result.version}"'}
    if status == 201:
        headers["Location"] = f"/cases/{result.case_no}"
    return Response(orjson.dumps(body), status_code=status, headers=headers,
                    media_type="application/json")


@dataclass(eq=False)
class _Pending:
    batch: Batch
    events: list[Any]
    status: int
    record: Record | None
    response: Response | None = None
    error: BaseException | None = None
    done: bool = False

    def outcome(self) -> Response:
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response


class Writer:
    def __init__(self, core: Casetrail, idempotency: Idempotency) -> None:
        self.core, self.idempotency = core, idempotency
        # the recorder must write the side rows, else the idempotency record would be lost
        self.grouped = isinstance(core.recorder, SQLiteRecorder | PostgresRecorder)
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()

    def run(self, token_id: str, key: str | None, fp: str | None,
            step: Callable[[Batch], Any], status: int = 200) -> Response:
        """Check ``step`` on a Batch and commit it; with an Idempotency-Key, a key seen before
        returns the first response (or 422 for a different request) and writes nothing."""
        if key is None or fp is None:
            return self._write(step, status, None)
        idem = self.idempotency
        with idem.lock(token_id, key):
            if not self.grouped:
                found = idem.find(token_id, key)
                if found is not None:
                    return idem.replay(found, fp)
            now = self.core.clock()
            try:
                return self._write(step, status,
                                   lambda response: idem.row(token_id, key, fp, now, response))
            except DomainError:
                # Refused, or in conflict: if the key was recorded before (a retry, or the
                # same request racing in another process), the first result is the answer and
                # nothing was written. Not looking first saves a query on every first attempt;
                # a retry's command is checked again, and its commit refused by the key.
                found = idem.find(token_id, key)
                if found is not None:
                    return idem.replay(found, fp)
                raise

    def _write(self, step: Callable[[Batch], Any], status: int, record: Record | None,
               ) -> Response:
        batch = self.core.prepare(step)
        if not self.grouped:
            return self._alone(batch, status, record)
        item = _Pending(batch, batch.collect_events(), status, record)
        if not item.events:
            return self._alone(batch, status, record)
        with self._queue_lock:
            self._queue.append(item)
        with self._commit_lock:
            if not item.done:
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._commit(group)
        return item.outcome()

    def _alone(self, batch: Batch, status: int, record: Record | None) -> Response:
        """Without the grouping recorder: the events, then the idempotency record."""
        response = written(batch.commit()[0], status)
        if record is not None:
            table, row = record(response)
            self.idempotency.side.insert_ignore(table, row)
        return response

    def _commit(self, group: list[_Pending]) -> None:
        try:
            try:
                self._save(group)
            except IntegrityError:
                if len(group) == 1:
                    raise
                for item in group:  # the refusal belongs to one of them: find out which
                    try:
                        self._save([item])
                    except IntegrityError:
                        item.error = self._refused(item)
                    except Exception as e:  # noqa: BLE001 - handed to the request's thread
                        item.error = e
        except IntegrityError:
            group[0].error = self._refused(group[0])
        except Exception as e:  # noqa: BLE001 - every waiting request gets the failure
            for item in group:
                item.error = item.error or e
        finally:
            for item in group:
                item.done = True

    def _save(self, group: list[_Pending]) -> None:
        events = [e for item in group for e in item.events]

        def side_rows(ids: Any) -> list[tuple[str, dict[str, Any]]]:
            positions = {e.originator_id: n for e, n in zip(events, ids, strict=True)}
            rows = []
            for item in group:
                item.response = written(item.batch.results(positions)[0], item.status)
                if item.record is not None:
                    rows.append(item.record(item.response))
            return rows

        for item in group:
            item.response = None
        self.core.save(*events, side_rows=side_rows)

    @staticmethod
    def _refused(item: _Pending) -> BaseException:
        item.response = None
        try:
            item.batch.explain_conflict()
        except Exception as e:  # noqa: BLE001 - case.exists
            return e
        return VersionConflict()

