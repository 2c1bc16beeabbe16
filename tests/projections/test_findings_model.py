"""The findings read model (projections.findings_model): listings through it equal an evaluation
of every case from the log, as of any moment and in both senses, on SQLite and PostgreSQL; it
follows new events and organisation changes; it is never used when it was computed otherwise."""
from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from domain.application import Casetrail
from domain.errors import DomainError
from domain.findings import FindingsIndex, Query, list_findings, load_histories
from domain.periods import TZ
from domain.rules import FAR, Evaluation, evaluate, settle
from projections import findings_model as M
from projections.runner import rebuild
from projections.schema import ViewDB
from simulation.demo import SimClock, build_city_spec, generate_cases
from tests.conftest import BUREAU, GRIEVANCE, HOUSING, Clock, at, make_app
from tests.projections.test_property import pick, step

TICK = timedelta(microseconds=1)


def city(url: str, cases: int, start: date, end: date) -> Casetrail:
    """A small synthetic city (the benchmark's generator): acts recorded minutes to hours after
    they happened."""
    app = Casetrail(url, clock=SimClock(datetime.combine(end + timedelta(days=60),
                                                          datetime.min.time(), TZ)))
    spec = build_city_spec(7)
    app.load_organisation(spec)
    generate_cases(app, spec, cases, 7, start, end)
    return app


def listed(found: list[Any]) -> list[dict[str, Any]]:
    return [f.as_dict() for f in found]


def same(a: Evaluation, b: Evaluation) -> bool:
    return listed(a.findings) == listed(b.findings) and a.provisional == b.provisional


def moments(facts: list[Any], far: Evaluation, sense: str) -> list[datetime]:
    """Every moment where something can change once the case has settled: the settling moment,
    each finding's breach and listing moments and a tick either side, and later days."""
    settled = max(f.occurred_at for f in facts)
    if sense == "recorded":
        settled = max(settled, max(f.recorded_at for f in facts))
    marks = {settled + timedelta(days=d, hours=h) for d in (0, 1, 30, 400) for h in (0, 13)}
    for f in far.findings:
        t = far.terms.get(f.id)
        for m in (f.at, t.since if t else f.at):
            marks |= {m - TICK, m, m + TICK}
    marks |= {s + d for s in far.provisional_since if s for d in (-TICK, timedelta(0), TICK)}
    return sorted(m for m in marks if m >= settled)


def check_settled(facts: list[Any], org: Any) -> int:
    """settle(evaluate(FAR), D) == evaluate(D) at every moment that matters; returns the checks."""
    far = evaluate(facts, org, FAR)
    n = 0
    for sense in ("happened", "recorded"):
        for moment in moments(facts, far, sense):
            assert same(settle(far, moment), evaluate(facts, org, moment, sense=sense)), (
                facts[0].data["case_no"], sense, moment)
            n += 1
    return n


@pytest.fixture(scope="module")
def late_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Casetrail]:
    """Cases of the last months the holiday calendar covers: many deadlines fall in a year it
    does not (provisional), and some cases are still open at the end."""
    path = tmp_path_factory.mktemp("late") / "late.db"
    app = city(f"sqlite:///{path}", 240, date(2026, 8, 1), date(2026, 12, 31))
    yield app
    app.close()


def test_settling_a_far_evaluation_gives_the_evaluation_as_of_any_later_moment(
        late_city: Casetrail) -> None:
    org = late_city.refresh_org()
    histories = load_histories(late_city)
    checks = sum(check_settled(facts, org) for facts in histories.values())
    far = [evaluate(facts, org, FAR) for facts in histories.values()]
    # the data reach findings whose listing or day count moves with the moment, and deadlines
    # in a year the calendar does not cover
    moving = {f.rule for e in far for f in e.findings if f.id in e.terms}
    assert {"ASSIGNMENT-OVERDUE", "NOT-EXECUTED", "SUPERVISION-IGNORED", "UNSERVED"} <= moving
    assert {p.status for e in far for p in e.provisional} == {"would_be_overdue"}
    assert checks > 2000


@seed(20261128)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=10, max_size=90),
       start=st.sampled_from([(2026, 2, 2), (2026, 11, 2)]))
def test_settling_holds_for_random_histories(steps: list[tuple],
                                             start: tuple[int, int, int]) -> None:
    """Random valid histories (extensions, hearings, supervision, corrections, withdrawals;
    late in 2026 the deadlines run into a year the calendar does not cover)."""
    with tempfile.TemporaryDirectory() as tmp:
        _random_history(f"sqlite:///{tmp}/r.db", steps, start)


def _random_history(url: str, steps: list[tuple], start: tuple[int, int, int]) -> None:
    app = make_app(url, Clock(at(2027, 6, 1, 9)))
    when = at(*start, 9)
    app.register_case(BUREAU, occurred_at=when, case_no="P1", **GRIEVANCE)
    for _case, move, hours, _org, _sync in steps:
        when += timedelta(hours=hours * 3)
        command, actor, args = pick(app.case_state("P1"), when, move)
        try:
            app.execute("P1", command, actor, occurred_at=when, **args)
        except DomainError:
            pass
    check_settled(app.history("P1"), app.refresh_org())
    app.close()


def test_an_untold_extension_and_back_filled_acts_settle_too(tmp_path: Any) -> None:
    """The rules the city does not reach: an extension the petitioner was not told of (listed
    only after its notice period), acts recorded long after they happened (listed only once
    recorded), a reply never served and never executed."""
    from tests.application.test_case_lifecycle import accepted

    clock = Clock(at(2026, 5, 6, 9))
    app = make_app(f"sqlite:///{tmp_path}/x.db", clock)
    accepted(app)  # 03-05, recorded on 05-06: back-filled
    app.execute("A1", "extend", HOUSING, at(2026, 5, 6, 8), days=10, reason="核查",
                approver="zhao-lei")
    clock.set(2026, 6, 1, 9)
    app.execute("A1", "issue_reply", HOUSING, at(2026, 5, 30, 10), opinion="support",
                request="r", facts_and_reasons="f", legal_basis="b", rights_notice="n")
    far = evaluate(app.history("A1"), app.refresh_org(), FAR)
    assert {"BACKFILL", "EXT-NOT-TOLD", "UNSERVED"} <= {
        f.rule for f in far.findings if f.id in far.terms}
    assert check_settled(app.history("A1"), app.refresh_org()) > 20
    app.close()


# --- the model in a store -------------------------------------------------------------------------
@pytest.fixture
def city_app(store_url: str) -> Iterator[Casetrail]:
    app = city(store_url, 150, date(2025, 1, 1), date(2025, 12, 31))
    yield app
    app.close()


DATES = [datetime(2025, 3, 1, tzinfo=TZ), datetime(2025, 7, 1, 12, tzinfo=TZ),
         datetime(2026, 1, 1, tzinfo=TZ), datetime(2027, 1, 1, tzinfo=TZ)]


def from_log(app: Casetrail, as_of: datetime, sense: str) -> FindingsIndex:
    return FindingsIndex(app.refresh_org(), as_of, sense=sense).build_from_store(app, workers=1)


def assert_model_equals_log(app: Casetrail) -> int:
    total = 0
    for sense in ("happened", "recorded"):
        for as_of in DATES:
            expected = from_log(app, as_of, sense)
            got = M.evaluations(app, app.refresh_org(), as_of, sense=sense)
            assert got is not None
            assert sorted(got) == sorted(expected.cases)
            for case_no, evaluation in expected.cases.items():
                assert same(got[case_no], evaluation), (case_no, sense, as_of)
            total += len(expected.findings())
    return total


def test_listings_through_the_model_equal_evaluating_every_case_from_the_log(
        city_app: Casetrail) -> None:
    assert rebuild(city_app, progress=False) > 0  # the views, then the findings model
    with ViewDB(city_app.database_url) as db:
        cases = db.query(f"SELECT count(*) FROM {M.TABLE}")[0][0]
        assert db.position(M.NAME) == city_app.recorder.max_notification_id()
    assert cases == len(load_histories(city_app))
    assert assert_model_equals_log(city_app) > 100
    # the cases still moving at a date, evaluated from the log in two forked processes
    mid = DATES[1]
    got = M.evaluations(city_app, city_app.refresh_org(), mid, workers=2)
    expected = from_log(city_app, mid, "happened")
    assert got is not None and sorted(got) == sorted(expected.cases)
    assert all(same(got[c], e) for c, e in expected.cases.items())
    # the public listing (CLI and API) goes through the model and filters the same way
    as_of = DATES[2]
    query = Query(rule="HANDLING-LATE")
    assert listed(list_findings(city_app, as_of, query)) == listed(
        from_log(city_app, as_of, "happened").findings(query))


def test_the_model_follows_new_acts_and_organisation_changes(city_app: Casetrail) -> None:
    M.rebuild(city_app)
    city_app.clock.now = city_app.clock.ceiling  # type: ignore[attr-defined]
    org = city_app.refresh_org()
    as_of = DATES[2]
    before = from_log(city_app, as_of, "happened").findings()
    # the leader named by a finding leaves the post, back-dated before the breach
    target = next(f for f in before if f.leader and f.unit and f.leader in org.holders(
        f.unit, "petition_leader", f.at))
    city_app.vacate_post(target.unit, "petition_leader", target.leader,
                         target.at - timedelta(days=1))
    # and a case gets a new act: a supervision by the bureau that holds it
    histories = load_histories(city_app)
    case_no = sorted(histories)[0]
    with ViewDB(city_app.database_url) as db:
        position = db.position(M.NAME)
    # before any catch-up the rows are stale: they must not be served as they are
    after = from_log(city_app, as_of, "happened").findings()
    changed = next(f for f in after if f.id == target.id)
    assert changed.leader != target.leader
    got = M.evaluations(city_app, city_app.refresh_org(), as_of)
    assert got is not None and same(got[target.case_no],
                                    from_log(city_app, as_of, "happened").cases[target.case_no])
    # a catch-up re-evaluates the rows computed under the earlier organisation
    redone = M.catch_up(city_app, stale_limit=None)
    assert redone == len(histories)
    with ViewDB(city_app.database_url) as db:
        assert db.position(M.NAME) > position
        assert {r[0] for r in db.query(f"SELECT DISTINCT org_changes FROM {M.TABLE}")} == {
            city_app.refresh_org().changes}
    assert assert_model_equals_log(city_app) > 100
    # a new act on one case (its registrar corrects the category): only it is re-evaluated
    reg = histories[case_no][0]
    city_app.execute(case_no, "correct", {"unit": reg.actor["unit"]},
                     occurred_at=datetime(2026, 2, 1, tzinfo=TZ),
                     target_version=1, field="category",
                     value="C05" if reg.data["category"] != "C05" else "C03", reason="分类错误")
    assert M.catch_up(city_app) == 1
    assert assert_model_equals_log(city_app) > 100
    # kept incrementally == rebuilt from scratch, row for row
    incremental = rows_of_model(city_app)
    M.rebuild(city_app)
    assert rows_of_model(city_app) == incremental


def rows_of_model(app: Casetrail) -> dict[str, list[tuple]]:
    with ViewDB(app.database_url) as db:
        return {t: sorted(db.query(f"SELECT * FROM {t}"), key=repr) for t in (M.TABLE, M.ITEMS)}


def test_a_model_computed_otherwise_is_not_used_and_is_rebuilt(city_app: Casetrail) -> None:
    M.rebuild(city_app)
    with ViewDB(city_app.database_url) as db:
        db.execute("UPDATE pv_tracking SET calendar_version = ? WHERE name = ?",
                   ("findings-other", M.NAME))
        # and a row that would be wrong if it were used
        db.execute(f"DELETE FROM {M.ITEMS}")
    as_of = DATES[2]
    assert M.evaluations(city_app, city_app.refresh_org(), as_of) is None
    expected = listed(from_log(city_app, as_of, "happened").findings())
    assert expected and listed(list_findings(city_app, as_of)) == expected  # rebuilt on the way
    with ViewDB(city_app.database_url) as db:
        assert db.query("SELECT calendar_version FROM pv_tracking WHERE name = ?",
                        (M.NAME,))[0][0] == M.current_stamp()
    assert M.evaluations(city_app, city_app.refresh_org(), as_of, sense="recorded") is not None


def test_other_thresholds_evaluate_from_the_log(city_app: Casetrail) -> None:
    from domain.rules import Thresholds

    M.rebuild(city_app)
    stricter = Thresholds(version="test", execution_days=30)
    assert M.evaluations(city_app, city_app.refresh_org(), DATES[2], stricter) is None
    got = list_findings(city_app, DATES[2], thresholds=stricter)
    want = FindingsIndex(city_app.refresh_org(), DATES[2], stricter).build_from_store(
        city_app, workers=1).findings()
    assert listed(got) == listed(want)


def test_a_catch_up_that_lost_the_race_writes_nothing(city_app: Casetrail) -> None:
    M.rebuild(city_app)
    with ViewDB(city_app.database_url) as db:
        position = db.position(M.NAME)
        before = db.query(f"SELECT count(*) FROM {M.ITEMS}")[0][0]
        org = city_app.refresh_org()
        facts = next(iter(load_histories(city_app).values()))
        rows = M.row_of("00000000-0000-0000-0000-000000000001", facts, org)
        assert M._write(db, [rows], position + 5, expected=position - 1) is False
        assert db.position(M.NAME) == position
        assert db.query(f"SELECT count(*) FROM {M.ITEMS}")[0][0] == before
        assert not db.query(f"SELECT 1 FROM {M.TABLE} WHERE case_id = ?", (rows[0][0],))


def test_rows_record_when_each_case_settles(tmp_path: Any) -> None:
    """A case registered on 03-02 and accepted on 03-10: empty before 03-02, settled from
    03-10 on (business time); in the recorded sense from when the acts were recorded."""
    clock = Clock(at(2026, 3, 2, 12))
    app = make_app(f"sqlite:///{tmp_path}/s.db", clock)
    app.register_case(BUREAU, occurred_at=at(2026, 3, 2, 9), case_no="S1", **GRIEVANCE)
    clock.set(2026, 3, 20, 9)  # recorded ten days late
    app.execute("S1", "handle_directly", BUREAU, occurred_at=at(2026, 3, 10, 9))
    row, _items = M.row_of("x", app.history("S1"), app.refresh_org())
    assert row[2:6] == ("2026-03-02T01:00:00.000000Z", "2026-03-10T01:00:00.000000Z",
                        "2026-03-02T04:00:00.000000Z", "2026-03-20T01:00:00.000000Z")
    rng = random.Random(1)
    org = app.refresh_org()
    facts = app.history("S1")
    for _ in range(50):
        moment = at(2026, 3, 1) + timedelta(minutes=rng.randrange(60 * 24 * 40))
        for sense, lo, hi in (("happened", row[2], row[3]), ("recorded", row[4], row[5])):
            direct = evaluate(facts, org, moment, sense=sense)
            if M.ts(moment) < lo:
                assert direct == Evaluation([], [])
            elif M.ts(moment) >= hi:
                assert same(settle(evaluate(facts, org, FAR), moment), direct)
    app.close()
