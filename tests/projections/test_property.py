"""Property: for random valid histories, the read models built incrementally (random batch sizes,
random catch-up points, organisation changes in between) equal a rebuild from scratch, and equal
a direct fold of each case's events (:func:`projections.case_view.derive` on the aggregate)."""
from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.responsibility import OrgIndex
from projections import queries as Q
from projections.case_view import derive
from projections.facts import facts_of_aggregate
from projections.runner import Runner, rebuild
from projections.schema import DERIVED, ViewDB
from tests.conftest import BUREAU, GRIEVANCE, Clock, at, make_app

GOV = {"unit": "yz-gov"}
CITY = {"unit": "city-gov"}
RSJ = {"unit": "yz-rsj"}
HOLDERS = {"yz-zjj": {"unit": "yz-zjj"}, "yz-rsj": RSJ, "yz-xfj": BUREAU}


def moves(state: Any, when: Any) -> list[tuple[str, dict, dict]]:
    """Commands that make sense in this state (the domain still has the last word)."""
    holder = HOLDERS.get(state.holder or "", BUREAU)
    due = (when + timedelta(days=10)).date().isoformat()
    by_status: dict[str, list[tuple[str, dict, dict]]] = {
        "registered": [("transfer", BUREAU, {"to_unit": "yz-zjj"}),
                       ("transfer", BUREAU, {"to_unit": "yz-zjj"}),
                       ("transfer", BUREAU, {"to_unit": "yz-rsj", "mode": "assign",
                                             "due_date": due}),
                       ("handle_directly", BUREAU, {}),
                       ("refuse", BUREAU, {"reason": "不属于受理范围"})],
        "transferred": [("receive", holder, {})],
        "received": [("accept", holder, {}), ("object_to_transfer", holder, {"reasons": "非本单位"}),
                     ("notify_petitioner", holder, {"kind": "receipt", "method": "written"}),
                     ("assign_handler", holder, {"person": "sun-li"})],
        "objected": [("resolve_objection", BUREAU, {"resolution": "upheld"}),
                     ("resolve_objection", BUREAU, {"resolution": "rejected"})],
        "accepted": [("issue_reply", holder, {"opinion": "support"}),
                     ("assign_handler", holder, {"person": "li-na"}),
                     ("extend", holder, {"days": 10, "reason": "核查", "approver": "zhao-lei"}),
                     ("assign_leader", BUREAU, {"person": "ma-hui"})],
        "replied": [("approve_reply", holder, {"approver": "chen-jing"}),
                    ("serve_reply", holder, {"method": "in_person"})],
        "served": [("request_review", BUREAU, {"organ": "yz-gov"}),
                   ("evaluate", BUREAU, {"target": "unit", "value": "satisfied"})],
        "review_requested": [("accept_review", GOV, {})],
        "in_review": [("issue_review_opinion", GOV, {"opinion": "uphold"})],
        "review_decided": [("serve_review_opinion", GOV, {"method": "post"})],
        "reviewed": [("request_review", BUREAU, {"organ": "city-gov", "level": "rereview"})],
        "rereview_requested": [("accept_review", CITY, {})],
        "in_rereview": [("start_hearing", CITY, {}), ("end_hearing", CITY, {}),
                        ("issue_review_opinion", CITY, {"opinion": "uphold"})],
        "rereview_decided": [("serve_review_opinion", CITY, {"method": "post"})],
    }
    rare = [("supervise", BUREAU, {"kind": "online", "due_date": due}),
            ("correct", BUREAU, {"target_version": 1, "field": "category", "value": "C05",
                                 "reason": "分类错误"}),
            ("withdraw", BUREAU if state.holder == "yz-xfj" else holder, {"reason": "撤回"})]
    return by_status.get(state.status, []), rare


def pick(state: Any, when: Any, n: int) -> tuple[str, dict, dict]:
    """Mostly the main path; 1 in 10 a supervision, a correction or (1 in 50) a withdrawal."""
    main, rare = moves(state, when)
    if n >= 98:
        return rare[2]
    if n >= 88 or not main:
        return rare[n % 2]
    return main[n % len(main)]


step = st.tuples(st.integers(0, 5), st.integers(0, 99), st.integers(0, 3 * 24),
                 st.integers(0, 6), st.booleans())


# one full path to finality (review, re-review with a hearing), and an org change mid-way
FULL_PATH = [(1, 0, 30, 0, False)] + [(1, m, 30, org, m % 2 == 0) for m, org in (
    (0, 0), (0, 0), (0, 0), (0, 6), (0, 0), (1, 0), (0, 0), (0, 0), (0, 0), (0, 0), (0, 0),
    (0, 0), (0, 0), (1, 0), (2, 0), (0, 0), (90, 0))]


@seed(20261120)
@example(FULL_PATH, 3)
@settings(max_examples=12, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=20, max_size=160), st.integers(1, 7))
def test_incremental_equals_rebuild_equals_direct_fold(steps: list[tuple], batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/p.db"
        app = make_app(url, Clock(at(2026, 11, 20, 9)))
        db = ViewDB(url)
        runner = Runner(app, db)
        when = at(2026, 1, 5, 9)
        cases: list[str] = []
        for case_pick, move_pick, hours, org_pick, sync in steps:
            when += timedelta(hours=hours)
            if not cases or case_pick == 0 and len(cases) < 3:  # up to 3 cases
                no = f"P{len(cases) + 1}"
                app.register_case(BUREAU, occurred_at=when, case_no=no, **GRIEVANCE)
                cases.append(no)
            else:
                no = cases[case_pick % len(cases)]
                command, actor, args = pick(app.case_state(no), when, move_pick)
                try:
                    app.execute(no, command, actor, occurred_at=when, **args)
                except DomainError:
                    pass
            if org_pick == 6:
                try:
                    app.vacate_post("yz-zjj", "petition_officer", "liu-yang",
                                    when - timedelta(days=3))
                except DomainError:
                    pass
            if sync:
                runner.catch_up(batch=batch)
        runner.catch_up(batch=batch)
        incremental = db.dump()
        rebuild(app, progress=False)
        assert db.dump() == incremental

        org = app.refresh_org()
        index = OrgIndex(org)
        for no in cases:
            case = app.get_case(no)
            facts = facts_of_aggregate(case.facts)
            rows = derive(str(case.id), facts, index)
            for table in DERIVED:
                stored = [r for r in incremental[table] if r[0] == str(case.id)]
                assert stored == sorted(rows[table], key=_key), (no, table)
            # who held it, from the (normalised) read models == from a direct fold, at every
            # change of the case or of the organisation, just before it, and long after
            tick = timedelta(microseconds=1)
            marks = {f.occurred_at for f in facts} | {p for u in org.units.values()
                                                       for t in u.terms for p in t[2:] if p}
            marks |= {p for u in org.units.values() for p, _parent in u.parents}
            for moment in sorted(marks | {m - tick for m in marks} | {when + timedelta(days=400)}):
                assert Q.who_held(db, no, moment) == Q.who_held_from_facts(
                    no, facts, org, moment), (no, moment)
        db.close()
        app.close()


def _key(row: tuple) -> tuple:
    return tuple("" if v is None else str(v) for v in row)
