"""Commands from concurrent requests are committed together (group commit) yet answered one by
one: each gets its own result, a conflict reaches only the request it concerns, and an
Idempotency-Key record is written in the same transaction as the command's events."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from api.app import build_services
from api.deps import Services
from api.routes.commands import guard
from domain.application import Batch
from domain.commands import Note
from domain.errors import VersionConflict
from tests.api.conftest import Api, ts


def _note(svc: Services, token: str, case_no: str, text: str,
          expected: int | None = None) -> Callable[[Batch], None]:
    p = svc.tokens.verify(token, svc.core.clock())
    assert p is not None

    def step(batch: Batch) -> None:
        guard(svc, p, batch.case(case_no), case_no, Note(text=text))
        batch.handle(case_no, Note(text=text), p.actor(), None, expected)
    return step


def _events(core: Any) -> int:
    """Events stored (PostgreSQL leaves gaps in notification ids after a refused insert)."""
    return len(core.recorder.select_notifications(1, 10**6))


def _together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same moment; their results or exceptions."""
    out: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            out[i] = calls[i]()
        except Exception as e:  # noqa: BLE001
            out[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_commands_each_get_their_own_version_and_position(api: Api) -> None:
    svc: Services = api.client.app.state.services
    cases = [f"C{i}" for i in range(12)]
    for no in cases:
        api.register("bureau", no, ts(3, 2))
    token = api.tokens["bureau"]
    before = _events(api.core)
    responses = _together([lambda no=no: svc.writer.run(
        "t", None, None, _note(svc, token, no, f"n-{no}")) for no in cases])
    assert all(getattr(r, "status_code", None) == 200 for r in responses), responses
    bodies = [orjson.loads(r.body) for r in responses]
    assert [b["case_no"] for b in bodies] == cases and {b["version"] for b in bodies} == {2}
    assert _events(api.core) == before + 12
    assert len({b["position"] for b in bodies}) == 12
    for b in bodies:  # each answer names the position of its own event
        note = api.core.recorder.select_notifications(b["position"], 1)[0]
        assert api.core.mapper.to_domain_event(note).text == f"n-{b['case_no']}"


def test_a_conflict_in_a_group_reaches_only_the_loser(api: Api) -> None:
    svc: Services = api.client.app.state.services
    api.register("bureau", "A", ts(3, 2))
    api.register("bureau", "B", ts(3, 2))
    token = api.tokens["bureau"]
    calls = [lambda i=i: svc.writer.run("t", None, None, _note(svc, token, "A", f"a{i}", 1))
             for i in range(4)]
    calls.append(lambda: svc.writer.run("t", None, None, _note(svc, token, "B", "b")))
    out = _together(calls)
    wins = [r for r in out[:4] if not isinstance(r, Exception)]
    assert len(wins) == 1 and all(isinstance(r, VersionConflict) for r in out[:4]
                                  if r is not wins[0])
    assert not isinstance(out[4], Exception) and out[4].status_code == 200
    assert len(api.core.history("A")) == 2 and len(api.core.history("B")) == 2


def test_the_idempotency_record_commits_with_the_events_or_not_at_all(api: Api) -> None:
    svc: Services = api.client.app.state.services
    api.register("bureau", "A", ts(3, 2))
    token = api.tokens["bureau"]
    with pytest.raises(VersionConflict):
        svc.writer.run("t", "k-1", "fp", _note(svc, token, "A", "x", expected=7))
    assert svc.idempotency.find("t", "k-1") is None
    first = svc.writer.run("t", "k-1", "fp", _note(svc, token, "A", "x"))
    row = svc.idempotency.find("t", "k-1")
    assert row is not None and row[2].encode() == bytes(first.body)


def test_a_retry_racing_in_another_process_writes_nothing(api: Api) -> None:
    """Two workers (two Services over one store) get the same key at the same moment: one
    command is recorded, and both answer with its result."""
    svc: Services = api.client.app.state.services
    other = build_services(core=type(api.core)(api.core.database_url, clock=api.core.clock))
    try:
        api.register("bureau", "A", ts(3, 2))
        token = api.tokens["bureau"]
        before = _events(api.core)
        out = _together([
            lambda s=s: s.writer.run("t", "same", "fp", _note(s, token, "A", "x"))
            for s in (svc, other, svc, other)])
        assert not any(isinstance(r, Exception) for r in out), out
        assert len({bytes(r.body) for r in out}) == 1
        assert _events(api.core) == before + 1
    finally:
        other.close()


def test_concurrent_requests_through_the_http_app(api: Api) -> None:
    """The same over HTTP (on SQLite the checks run on the event loop and the commit in the
    writer's committer thread): distinct cases all succeed; one key sent four times at once
    records one note and answers four times with its result."""
    cases = [f"H{i}" for i in range(8)]
    for no in cases:
        api.register("bureau", no, ts(3, 2))
    before = _events(api.core)
    out = _together([lambda no=no: api.post("bureau", f"/cases/{no}/note", {"text": no})
                     for no in cases])
    assert [r.status_code for r in out] == [200] * 8
    assert len({r.json()["position"] for r in out}) == 8
    same = _together([lambda: api.post("bureau", "/cases/H0/note", {"text": "once"},
                                       **{"Idempotency-Key": "k-once"})] * 4)
    assert [r.status_code for r in same] == [200] * 4
    assert len({r.content for r in same}) == 1
    assert _events(api.core) == before + 9


def test_a_retry_in_a_group_is_answered_from_its_record_and_spoils_nothing(api: Api) -> None:
    """A retry is checked again and its commit refused by its key; the requests committed with
    it are then committed one by one and succeed."""
    svc: Services = api.client.app.state.services
    for no in ("R", "S1", "S2", "S3", "S4"):
        api.register("bureau", no, ts(3, 2))
    token = api.tokens["bureau"]
    first = svc.writer.run("t", "k-r", "fp", _note(svc, token, "R", "once"))
    before = _events(api.core)
    out = _together([lambda: svc.writer.run("t", "k-r", "fp", _note(svc, token, "R", "once"))]
                    + [lambda no=no: svc.writer.run("t", None, None, _note(svc, token, no, "x"))
                       for no in ("S1", "S2", "S3", "S4")])
    assert not any(isinstance(r, Exception) for r in out), out
    assert bytes(out[0].body) == bytes(first.body)
    assert out[0].headers["idempotent-replayed"] == "true"
    assert _events(api.core) == before + 4
