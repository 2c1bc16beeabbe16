"""A review body reads a case as of a past moment, in both senses, on a real store (SQLite and
PostgreSQL): what had happened by then (business time, acts recorded later included) and what
was recorded by then. Both senses include the moment itself; a future moment is refused."""
from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, ts
from tests.conftest import Clock

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


def act(api: Api, clock: Clock, recorded: tuple[int, ...], who: str, path: str,
        body: dict[str, Any]) -> None:
    clock.set(2026, *recorded)
    response = api.post(who, path, body)
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def story(api: Api, clock: Clock) -> Api:
    """Q: registered 3-02 10:00 and transferred at 11:00 (each recorded half an hour later;
    the transfer's time corrected to 10:45 on 3-05), received 3-03, accepted 3-04 10:00
    (recorded 10:30); a note of 3-10 entered only on 3-20, its time corrected to 3-09 on 4-01;
    a 10-day extension of 4-20 entered on 5-10."""
    clock.set(2026, 3, 2, 10, 30)
    assert api.register("bureau", "Q", ts(3, 2)).status_code == 201
    act(api, clock, (3, 2, 11, 30), "bureau", "/cases/Q/transfer",
        {"to_unit": "yz-zjj", "occurred_at": ts(3, 2, 11)})
    act(api, clock, (3, 3, 10, 30), "housing_officer", "/cases/Q/receive",
        {"occurred_at": ts(3, 3)})
    act(api, clock, (3, 4, 10, 30), "housing_officer", "/cases/Q/accept",
        {"occurred_at": ts(3, 4)})
    act(api, clock, (3, 5, 9), "bureau", "/cases/Q/correct",
        {"occurred_at": ts(3, 5, 9), "target_version": 2, "field": "occurred_at",
         "value": "2026-03-02T10:45:00+08:00", "reason": XSS})
    act(api, clock, (3, 20, 10), "housing_handler", "/cases/Q/note",
        {"occurred_at": ts(3, 10), "text": XSS})
    act(api, clock, (4, 1, 10), "housing_officer", "/cases/Q/correct",
        {"occurred_at": ts(4, 1, 10), "target_version": 6, "field": "occurred_at",
         "value": ts(3, 9), "reason": "补录时间有误"})
    act(api, clock, (5, 10, 10), "housing_head", "/cases/Q/extend",
        {"occurred_at": ts(4, 20), "days": 10, "reason": "需补充调查", "approver": "zhao-lei"})
    clock.set(2026, 11, 20, 9)
    return api


def timeline(api: Api, at: str, sense: str) -> dict[str, str]:
    d = api.get("bureau", "/cases/Q/dossier", as_of=at, sense=sense).json()
    return {f["kind"]: f["occurred_at"] for f in d["timeline"]}


def test_a_back_filled_act_counts_as_happened_but_not_as_recorded(story: Api) -> None:
    api = story
    recorded = api.get("bureau", "/cases/Q/as-of", at=ts(3, 15), sense="recorded").json()
    happened = api.get("bureau", "/cases/Q/as-of", at=ts(3, 15), sense="happened").json()
    occurred = api.get("bureau", "/cases/Q/as-of", at=ts(3, 15), sense="occurred").json()
    assert (recorded["version"], happened["version"], occurred["version"]) == (5, 6, 6)
    assert "Noted" not in timeline(api, ts(3, 15), "recorded")
    assert timeline(api, ts(3, 15), "happened")["Noted"] == "2026-03-09T10:00:00+08:00"


def test_a_correction_applies_only_from_when_it_was_recorded(story: Api) -> None:
    api = story
    before = timeline(api, ts(3, 25), "recorded")  # the note known, its correction not yet
    assert before["Noted"] == "2026-03-10T10:00:00+08:00"
    assert timeline(api, ts(3, 25), "happened")["Noted"] == "2026-03-09T10:00:00+08:00"
    for sense in ("recorded", "happened"):  # corrected on 3-05, before the cut-off
        assert timeline(api, ts(3, 15), sense)["Transferred"] == "2026-03-02T10:45:00+08:00"
    assert timeline(api, ts(3, 4), "recorded")["Transferred"] == "2026-03-02T11:00:00+08:00"
    change = api.get("bureau", "/cases/Q/diff", **{"from": ts(3, 25), "to": ts(4, 2)}).json()
    assert change["changed"] == [{"version": 6, "kind": "Noted", "field": "occurred_at",
                                  "before": "2026-03-10T10:00:00+08:00",
                                  "after": "2026-03-09T10:00:00+08:00"}]


def test_the_moment_itself_is_included_in_both_senses_and_in_the_diff(story: Api) -> None:
    api = story

    def status(at: str, sense: str) -> str:
        return str(api.get("bureau", "/cases/Q/as-of", at=at, sense=sense).json()["status"])
    accepted_at, accept_recorded = ts(3, 4), "2026-03-04T10:30:00+08:00"
    assert status(accepted_at, "happened") == "accepted"
    assert status("2026-03-04T09:59:59+08:00", "happened") == "received"
    assert status(accepted_at, "recorded") == "received"
    assert status(accept_recorded, "recorded") == "accepted"
    assert status("2026-03-04T10:29:59+08:00", "recorded") == "received"
    for sense, start, end in (("happened", "2026-03-04T09:59:59+08:00", accepted_at),
                              ("recorded", "2026-03-04T10:29:59+08:00", accept_recorded)):
        change = api.get("bureau", "/cases/Q/diff",
                         **{"from": start, "to": end, "sense": sense}).json()
        assert [f["kind"] for f in change["added"]] == ["Accepted"]
        d = api.get("bureau", "/cases/Q/dossier", as_of=end, sense=sense).json()
        assert d["timeline"][-1]["kind"] == "Accepted"


@pytest.mark.parametrize("path", ["/cases/Q/as-of", "/cases/Q/dossier"])
def test_a_moment_before_the_case_existed_is_a_404_in_both_senses(story: Api, path: str) -> None:
    for sense in ("recorded", "happened"):
        key = "at" if path.endswith("as-of") else "as_of"
        r = story.get("bureau", path, **{key: "2026-03-02T09:59:59+08:00", "sense": sense})
        assert r.status_code == 404 and r.json()["code"].startswith("case.not_yet_")


def test_a_future_moment_is_refused_not_answered_as_now(story: Api) -> None:
    api, future = story, "2026-12-01T00:00:00+08:00"
    for sense in ("recorded", "happened"):
        r = api.get("bureau", "/cases/Q/as-of", at=future, sense=sense)
        assert r.status_code == 422 and r.json()["code"] == "as_of.future"
        r = api.get("bureau", "/cases/Q/dossier", as_of=future, sense=sense)
        assert r.status_code == 422 and r.json()["code"] == "as_of.future"
    r = api.get("bureau", "/cases/Q/diff", **{"from": ts(3, 1), "to": future})
    assert r.status_code == 422 and r.json()["code"] == "as_of.future"
    assert api.get("bureau", "/cases/Q/as-of", at="2026-11-20T09:00:30+08:00").status_code == 200


def test_dossier_clocks_stand_as_at_the_moment_and_agree_with_the_clocks_read(story: Api) -> None:
    api = story
    for at in (ts(3, 15), ts(4, 10), ts(4, 25), ts(5, 8), ts(5, 20)):
        d = api.get("bureau", "/cases/Q/dossier", as_of=at).json()
        mine = {c["step"]: (c["last_day"], c["status"]) for c in d["clocks"]}
        read = {c["step"]: (c["last_day"], c["status"])
                for c in api.get("bureau", "/cases/Q/clocks", at=at).json()["items"]}
        assert mine == read, at

    def handling(at: str, sense: str) -> tuple[str, str, int]:
        d = api.get("bureau", "/cases/Q/dossier", as_of=at, sense=sense).json()
        c = next(c for c in d["clocks"] if c["step"] == "handling")
        return c["last_day"], c["status"], c["extension_days"]
    assert handling(ts(4, 10), "happened") == ("2026-05-06", "running", 0)  # not extended yet
    assert handling(ts(5, 8), "happened") == ("2026-05-18", "running", 10)  # 5-16 is a Saturday
    # what the system knew on 5-08: the extension was entered on 5-10, so the clock had run out
    assert handling(ts(5, 8), "recorded") == ("2026-05-06", "breached", 0)


def test_the_html_page_escapes_what_users_wrote(story: Api) -> None:
    page = story.get("discipline", "/cases/Q/dossier", format="html").text
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the note and the reason, escaped
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 2
    assert '<html lang="zh-CN">' in page and "审查卷宗" in page


def test_the_html_page_masks_personal_data_for_the_auditor(story: Api) -> None:
    full = story.get("bureau", "/cases/Q/dossier", format="html").text
    masked = story.get("auditor", "/cases/Q/dossier", format="html").text
    assert "张三" in full and "13800000000" not in full  # phone masked for every reader
    assert "张三" not in masked and "13800000000" not in masked
    log = story.get("discipline", "/access-log", case_no="Q").json()["items"]
    assert ("audit-office", "/cases/{case_no}/dossier") in {(e["subject"], e["endpoint"])
                                                            for e in log}


def test_the_diff_lists_clock_changes_and_findings_in_both_senses(story: Api) -> None:
    api = story

    def diff(start: str, end: str, sense: str) -> dict[str, Any]:
        r = api.get("discipline", "/cases/Q/diff", **{"from": start, "to": end, "sense": sense})
        assert r.status_code == 200, r.text
        return dict(r.json())

    def handling(change: dict[str, Any]) -> tuple[Any, ...]:
        c = next(c for c in change["clocks"] if c["key"] == "handling")
        return c["before"], c["after"], c["last_day_before"], c["last_day_after"]

    def rules(found: list[dict[str, Any]]) -> set[str]:
        return {f["rule"] for f in found}

    happened = diff(ts(4, 10), ts(4, 25), "happened")
    assert [f["kind"] for f in happened["added"]] == ["ExtensionGranted"]
    assert handling(happened) == ("running", "running", "2026-05-06", "2026-05-18")
    late = diff(ts(5, 8), ts(5, 11), "recorded")  # the extension entered on 5-10
    assert [f["kind"] for f in late["added"]] == ["ExtensionGranted"]
    assert handling(late) == ("breached", "running", "2026-05-06", "2026-05-18")
    assert "HANDLING-OVERDUE" in rules(late["findings"]["gone"])
    assert "HANDLING-OVERDUE" not in rules(diff(ts(5, 8), ts(5, 11), "happened")
                                           ["findings"]["gone"])
    for sense in ("recorded", "happened"):
        assert "NOTICE-OVERDUE" in rules(diff(ts(3, 15), ts(3, 25), sense)["findings"]["new"])
    same = diff(ts(3, 15), ts(3, 15), "recorded")
    assert (same["added"], same["changed"], same["clocks"]) == ([], [], [])
    reversed_ = api.get("discipline", "/cases/Q/diff", **{"from": ts(3, 25), "to": ts(3, 15)})
    assert reversed_.status_code == 422 and reversed_.json()["code"] == "period.reversed"


@pytest.mark.parametrize(("path", "params"), [
    ("/cases/Q/as-of", {"at": "garbage"}), ("/cases/Q/as-of", {"at": ts(3, 15), "sense": "xyz"}),
    ("/cases/Q/dossier", {"as_of": "garbage"}), ("/cases/Q/dossier", {"sense": "xyz"}),
    ("/cases/Q/dossier", {"format": "pdf"}), ("/cases/Q/dossier", {"as_of": "9999-01-01"}),
    ("/cases/Q/diff", {"from": "garbage", "to": ts(3, 15)}),
    ("/cases/Q/diff", {"from": ts(3, 1), "to": ts(3, 15), "sense": "xyz"})])
def test_bad_input_is_a_422_problem(story: Api, path: str, params: dict[str, str]) -> None:
    r = story.get("bureau", path, **params)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
