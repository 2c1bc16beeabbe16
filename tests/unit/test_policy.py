"""Table tests for domain.policy: the statutory steps as versioned data, and their deadlines.

Expected dates are worked out by hand from the chinese_calendar 1.11.0 holiday data (see the
header of test_periods.py) and written literally.
"""
from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from domain.periods import CALENDAR
from domain.policy import (
    DEFAULT_TABLE,
    PolicyFileError,
    PolicyTable,
    StepPolicy,
    UnknownPolicy,
    check_extension,
    compute_due,
    load_local_policies,
    policy_for,
)

D = date
ON = D(2025, 6, 1)

# step, unit, length, article, roll_forward, pausable_by
STEPS = [
    ("triage", "calendar_days", 15, "第二十二条", True, ()),
    ("receipt_notice", "calendar_days", 15, "第二十三条第二、三款", True, ()),
    ("objection", "working_days", 5, "第二十三条第三款", False, ()),
    ("handling", "calendar_days", 60, "第三十四条", True, ()),
    ("extension_cap", "calendar_days", 30, "第三十四条", True, ()),
    ("assignment_report", "set_by_act", None, "第二十二条第（三）项", False, ()),
    ("review_request", "calendar_days", 30, "第三十五条", True, ()),
    ("review_opinion", "calendar_days", 30, "第三十五条", True, ()),
    ("rereview_request", "calendar_days", 30, "第三十六条", True, ()),
    ("rereview_opinion", "calendar_days", 30, "第三十六条", True, ("hearing",)),
    ("supervision_response", "set_by_act", None, "第四十条", False, ()),
    ("evaluation", "calendar_days", 30, "国信发〔2022〕11号 (unconfirmed)", True, ()),
]


@pytest.mark.parametrize(("step", "unit", "length", "article", "roll", "pausable"), STEPS)
def test_national_records(step: str, unit: str, length: int | None, article: str, roll: bool,
                          pausable: tuple[str, ...]) -> None:
    p = policy_for(step, ON)
    assert (p.step, p.unit, p.length, p.article) == (step, unit, length, article)
    assert (p.roll_forward, p.pausable_by) == (roll, pausable)
    assert p.effective_from == D(2022, 5, 1)
    assert p.local is False
    assert p.version == "xfgztl-2022.1"
    assert p.name_zh and p.name_en and p.start_event


def test_table_lists_every_step_once() -> None:
    assert sorted(DEFAULT_TABLE.steps()) == sorted(s[0] for s in STEPS)
    assert len(DEFAULT_TABLE.list()) == len(STEPS)


def test_evaluation_default_is_marked_as_an_assumption() -> None:
    p = policy_for("evaluation", ON)
    assert p.assumption is True
    assert "ASSUMPTION" in p.note
    assert all(not policy_for(s[0], ON).assumption for s in STEPS if s[0] != "evaluation")


# step, start, expected last day, reasoning
DUE_CASES = [
    ("triage", D(2025, 9, 16), D(2025, 10, 9), "+15 = 10/1 National Day -> Thu 10/9"),
    ("triage", D(2025, 9, 13), D(2025, 9, 28), "+15 = Sun 9/28, 调休 working -> no roll"),
    ("receipt_notice", D(2025, 1, 13), D(2025, 2, 5), "+15 = 1/28 Spring Festival -> Wed 2/5"),
    ("receipt_notice", D(2026, 1, 30), D(2026, 2, 14), "+15 = Sat 2/14, 调休 working"),
    ("objection", D(2025, 9, 26), D(2025, 10, 10), "Sun 9/28, 9/29, 9/30, 10/9, 10/10"),
    ("objection", D(2026, 2, 13), D(2026, 2, 27), "Sat 2/14, [2/15-2/23], 2/24 .. 2/27"),
    ("handling", D(2025, 8, 5), D(2025, 10, 9), "8/31(26) 9/30(56) 10/4(60) -> 10/9"),
    ("handling", D(2025, 3, 3), D(2025, 5, 6), "3/31(28) 4/30(58) 5/2(60) Labour -> Tue 5/6"),
    ("review_request", D(2026, 1, 20), D(2026, 2, 24), "+30 = 2/19 Spring Festival -> Tue 2/24"),
    ("review_opinion", D(2025, 4, 1), D(2025, 5, 6), "4/1+30 = Thu 5/1 Labour; to 5/5 -> Tue 5/6"),
    ("rereview_request", D(2025, 1, 31), D(2025, 3, 3), "1/31+28 = 2/28, +2 = Sun 3/2 -> Mon 3/3"),
    ("rereview_opinion", D(2025, 6, 3), D(2025, 7, 3), "6/30(27) +3 = Thu 7/3"),
    ("evaluation", D(2025, 12, 5), D(2026, 1, 4), "12/31(26) +4 = Sun 1/4/2026, 调休 working"),
    # audit 2026: more edges, each by hand
    ("triage", D(2025, 9, 30), D(2025, 10, 15), "eve of the break: 9/30+15 = Wed 10/15"),
    ("triage", D(2025, 10, 11), D(2025, 10, 27), "调休 Sat start: +15 = Sun 10/26 -> Mon 10/27"),
    ("triage", D(2026, 2, 13), D(2026, 2, 28), "2/13+15 = Sat 2/28, 调休 working: no roll"),
    ("receipt_notice", D(2026, 9, 5), D(2026, 9, 20), "+15 = Sun 9/20, 调休 working: no roll"),
    ("receipt_notice", D(2025, 12, 31), D(2026, 1, 15), "year end: 12/31+15 = Thu 1/15/2026"),
    ("objection", D(2025, 9, 30), D(2025, 10, 14),
     "[10/1-10/8] 10/9(1) 10/10(2) Sat 10/11(3, 调休) Mon 10/13(4) Tue 10/14(5)"),
    ("objection", D(2025, 9, 27), D(2025, 10, 10),
     "Sat start: Sun 9/28(1, 调休) 9/29(2) 9/30(3) [10/1-10/8] 10/9(4) 10/10(5)"),
    ("objection", D(2026, 1, 1), D(2026, 1, 8), "[1/2-1/3] Sun 1/4(1, 调休) 1/5 1/6 1/7 1/8(5)"),
    ("objection", D(2026, 9, 30), D(2026, 10, 13),
     "[10/1-10/7] 10/8(1) 10/9(2) Sat 10/10(3, 调休) Mon 10/12(4) Tue 10/13(5)"),
    ("handling", D(2025, 7, 30), D(2025, 9, 28), "7/31(1) 8/31(32) 9/28(60) Sun 调休: no roll"),
    ("handling", D(2025, 8, 2), D(2025, 10, 9), "8/31(29) 9/30(59) 10/1(60) -> Thu 10/9"),
    ("handling", D(2023, 12, 31), D(2024, 2, 29), "leap: 1/31(31) Thu 2/29(60), working"),
    ("handling", D(2024, 12, 31), D(2025, 3, 3), "1/31(31) 2/28(59) Sat 3/1(60) -> Mon 3/3"),
    ("handling", D(2025, 12, 31), D(2026, 3, 2), "1/31(31) 2/28(59) Sun 3/1(60) -> Mon 3/2"),
    ("review_request", D(2025, 8, 29), D(2025, 9, 28), "8/29+30 = Sun 9/28, 调休 working"),
    ("review_opinion", D(2026, 1, 15), D(2026, 2, 14), "1/15+30 = Sat 2/14, 调休 working"),
    ("rereview_opinion", D(2026, 1, 16), D(2026, 2, 24), "1/16+30 = Sun 2/15 SF; to 2/23 -> 2/24"),
]


@pytest.mark.parametrize(("step", "start", "expected", "why"), DUE_CASES)
def test_compute_due(step: str, start: date, expected: date, why: str) -> None:
    p = policy_for(step, start)
    deadline = compute_due(p, start)
    assert deadline.last_day == expected, why
    assert (deadline.step, deadline.policy_version) == (step, "xfgztl-2022.1")
    assert (deadline.unit, deadline.length) == (p.unit, p.length)
    assert deadline.calendar_version == CALENDAR.version
    assert deadline.provisional is False


# The extension (art. 34 "延长办理期限") runs from the original expiry of the 60-day limit: its
# last day after roll-forward (民法典 203), + the extension in calendar days, rolled again.
# (The engine used to count 60 + ext from acceptance and roll once, which swallowed the holiday
# the 60 days had rolled over: 2025-08-05 + 3 days' extension gave 10/9, i.e. nothing.)
@pytest.mark.parametrize(("start", "extension", "expected", "why"), [
    (D(2025, 3, 3), 30, D(2025, 6, 5),
     "60: 3/31(28) 4/30(58) 5/2(60) Labour -> Tue 5/6; 5/6+25 = 5/31, +30 = Thu 6/5"),
    (D(2025, 3, 3), 10, D(2025, 5, 16), "60 -> Tue 5/6 (as above); 5/6+10 = Fri 5/16"),
    (D(2025, 8, 5), 30, D(2025, 11, 10),
     "60: 10/4 National Day -> Thu 10/9; 10/9+22 = 10/31, +30 = Sat 11/8 -> Mon 11/10"),
    (D(2025, 8, 5), 3, D(2025, 10, 13), "60 -> Thu 10/9; +3 = Sun 10/12 -> Mon 10/13"),
    (D(2025, 8, 5), 2, D(2025, 10, 11), "60 -> Thu 10/9; +2 = Sat 10/11, 调休 working: no roll"),
    (D(2025, 8, 5), 1, D(2025, 10, 10), "60 -> Thu 10/9; +1 = Fri 10/10"),
    (D(2025, 6, 2), 30, D(2025, 9, 1),
     "60: 6/30(28) 7/31(59) Fri 8/1(60), no roll; 8/1+30 = Sun 8/31 -> Mon 9/1"),
    (D(2025, 12, 31), 30, D(2026, 4, 1),
     "60: 1/31(31) 2/28(59) Sun 3/1(60) -> Mon 3/2; 3/2+29 = 3/31, +30 = Wed 4/1"),
    (D(2026, 3, 2), 20, D(2026, 5, 26),
     "60: 3/31(29) 4/30(59) 5/1(60) Labour; 5/1-5/5 -> Wed 5/6; +20 = Tue 5/26"),
    (D(2026, 11, 15), 0, D(2027, 1, 14), "60 days reach 2027: Thu 1/14 (provisional)"),
    (D(2026, 10, 20), 30, D(2027, 1, 20),
     "60: 10/31(11) 11/30(41) Sat 12/19(60) -> Mon 12/21; +10 = 12/31, +30 = Wed 1/20/2027, "
     "a year not covered: provisional"),
])
def test_handling_with_extension(start: date, extension: int, expected: date, why: str) -> None:
    check_extension(extension, start)  # within the 30-day cap
    deadline = compute_due(policy_for("handling", start), start, extension_days=extension)
    assert deadline.last_day == expected, why
    assert deadline.length == 60 + extension
    assert deadline.provisional is (expected.year == 2027)


@pytest.mark.parametrize(("paused", "expected", "why"), [
    (0, D(2025, 7, 3), "6/3+30 = Thu 7/3"),
    (1, D(2025, 7, 4), "one hearing day -> Fri 7/4"),
    (2, D(2025, 7, 7), "two hearing days -> Sat 7/5 -> Mon 7/7"),
])
def test_rereview_opinion_pauses_for_hearing(paused: int, expected: date, why: str) -> None:
    p = policy_for("rereview_opinion", D(2025, 6, 3))
    deadline = compute_due(p, D(2025, 6, 3), paused_days=paused)
    assert (deadline.last_day, deadline.paused_days) == (expected, paused), why


@pytest.mark.parametrize(("step", "kwargs"), [
    ("handling", {"paused_days": 1}),          # a 31(六) hearing does not stop the 60 days
    ("review_opinion", {"paused_days": 1}),    # only 复核 (art. 36) excludes hearing time
    ("objection", {"extension_days": 1}),      # extensions only for calendar-day periods
    ("handling", {"extension_days": -1}),
    ("assignment_report", {}),                 # the act sets the date
    ("supervision_response", {}),
])
def test_compute_due_refusals(step: str, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        compute_due(policy_for(step, ON), ON, **kwargs)


def test_unknown_step_and_date_before_entry_into_force() -> None:
    with pytest.raises(KeyError, match="unknown step 'nope'"):
        policy_for("nope", ON)
    with pytest.raises(UnknownPolicy, match="2022-04-30"):
        policy_for("triage", D(2022, 4, 30))  # the 2005 regulation applied then
    assert policy_for("triage", D(2022, 5, 1)).length == 15


def test_records_are_frozen_and_validated() -> None:
    p = policy_for("triage", ON)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.length = 10  # type: ignore[misc]
    with pytest.raises(ValueError):
        dataclasses.replace(p, unit="weeks")
    with pytest.raises(ValueError):
        dataclasses.replace(p, length=None)
    with pytest.raises(ValueError):
        dataclasses.replace(p, length=0)


LOCAL_YAML = """\
version: "hami-2025.1"
steps:
  - step: simple_accept
    name_zh: 简易办理受理
    name_en: Simple procedure, acceptance
    unit: working_days
    length: 3
    start_event: registration
    article: 哈密市简易办理规定 (local)
    effective_from: 2025-01-01
  - step: simple_reply
    name_zh: 简易办理答复
    name_en: Simple procedure, reply
    unit: working_days
    length: 10
    start_event: acceptance
    article: 哈密市简易办理规定 (local)
    effective_from: 2025-01-01
  - step: triage
    length: 10
    version: "hami-2026.1"
    effective_from: 2026-01-01
"""


@pytest.fixture
def local_table(tmp_path: Path) -> PolicyTable:
    path = tmp_path / "local.yaml"
    path.write_text(LOCAL_YAML, encoding="utf-8")
    return load_local_policies(path)


@pytest.mark.parametrize(("step", "on", "length", "version", "local"), [
    ("simple_accept", D(2025, 1, 1), 3, "hami-2025.1", True),
    ("simple_reply", D(2025, 6, 1), 10, "hami-2025.1", True),
    ("triage", D(2025, 12, 31), 15, "xfgztl-2022.1", False),  # national until the override
    ("triage", D(2026, 1, 1), 10, "hami-2026.1", True),       # override in force
    ("handling", D(2026, 1, 1), 60, "xfgztl-2022.1", False),  # untouched
])
def test_local_policies(local_table: PolicyTable, step: str, on: date, length: int, version: str,
                        local: bool) -> None:
    p = policy_for(step, on, local_table)
    assert (p.length, p.version, p.local) == (length, version, local)


def test_local_override_inherits_texts(local_table: PolicyTable) -> None:
    p = policy_for("triage", D(2026, 1, 1), local_table)
    assert p.article == "第二十二条" and p.name_zh.startswith("转送")
    assert p.roll_forward is True


def test_local_simple_procedure_deadlines(local_table: PolicyTable) -> None:
    # 3 working days from Fri 2025-09-26: Sun 9/28 (调休), 9/29, 9/30 -> 2025-09-30.
    accept = compute_due(policy_for("simple_accept", D(2025, 9, 26), local_table), D(2025, 9, 26))
    assert (accept.last_day, accept.policy_version) == (D(2025, 9, 30), "hami-2025.1")
    # 10 working days from Mon 9/22: 9/23-9/26 (4), Sun 9/28 (5), 9/29, 9/30 (7), 10/9, 10/10,
    # Sat 10/11 (10, 调休).
    reply = compute_due(policy_for("simple_reply", D(2025, 9, 22), local_table), D(2025, 9, 22))
    assert reply.last_day == D(2025, 10, 11)
    # 10 calendar days (local triage override) from 2026-02-10: Fri 2/20, Spring Festival -> 2/24.
    triage = compute_due(policy_for("triage", D(2026, 2, 10), local_table), D(2026, 2, 10))
    assert (triage.last_day, triage.policy_version) == (D(2026, 2, 24), "hami-2026.1")


def test_table_version_is_stable_and_changes_with_content(local_table: PolicyTable,
                                                          tmp_path: Path) -> None:
    assert DEFAULT_TABLE.version.startswith("policy-")
    assert local_table.version != DEFAULT_TABLE.version
    again = tmp_path / "again.yaml"
    again.write_text(LOCAL_YAML, encoding="utf-8")
    assert load_local_policies(again).version == local_table.version
    assert PolicyTable(DEFAULT_TABLE.list()).version == DEFAULT_TABLE.version
    assert len(local_table) == len(DEFAULT_TABLE) + 3


def test_json_file_gives_the_same_table(local_table: PolicyTable, tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load(LOCAL_YAML)
    for step in doc["steps"]:
        step["effective_from"] = step["effective_from"].isoformat()
    path = tmp_path / "local.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert load_local_policies(path).list() == local_table.list()


STEP = "version: v\nsteps: [{step: %s}]"


@pytest.mark.parametrize(("text", "match"), [
    (STEP % "triage, lenght: 10, effective_from: 2026-01-01", "unknown field"),
    ("steps: [{step: triage, length: 10, effective_from: 2026-01-01}]", "'version' is required"),
    (STEP % "triage, length: 10", "'effective_from' is required"),
    (STEP % "triage, length: 10, effective_from: 2026-01-01, unit: weeks", "unit"),
    (STEP % "triage, effective_from: 2026-01-01, unit: working_days", "length"),
    (STEP % "new_step, length: 3, effective_from: 2026-01-01, unit: working_days",
     "required for a new step"),
    (STEP % "triage, length: ten, effective_from: 2026-01-01", "length"),
    (STEP % "triage, length: 10, effective_from: not-a-date", "Invalid isoformat"),
    (STEP % "triage, length: 10, effective_from: 2026-01-01, roll_forward: maybe", "true/false"),
    ("version: v\nsteps: [triage]", "mapping"),
    ("just text", "mapping"),
    ("steps: [unclosed", "not valid"),
])
def test_bad_local_files_are_refused(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyFileError, match=match):
        load_local_policies(path)


def test_step_policy_is_constructible_as_data() -> None:
    p = StepPolicy("grid_report", "网格上报", "Grid report", "working_days", 2, "discovery", False,
                   (), "local rule", "grid-1", D(2025, 1, 1), local=True)
    table = DEFAULT_TABLE.merged([p])
    # 2 working days from Tue 2025-09-30: [10/1-10/8], Thu 10/9 (1), Fri 10/10 (2).
    assert compute_due(policy_for("grid_report", D(2025, 9, 30), table), D(2025, 9, 30)).last_day \
        == D(2025, 10, 10)


def test_override_inherits_pauses_and_a_new_unit_resets_roll(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text(
        "version: o-1\n"
        "steps:\n"
        "  - {step: rereview_opinion, length: 20, effective_from: 2026-01-01}\n"
        "  - {step: triage, unit: working_days, length: 10, effective_from: 2026-01-01}\n",
        encoding="utf-8")
    table = load_local_policies(path)
    rereview = policy_for("rereview_opinion", D(2026, 1, 1), table)
    assert (rereview.length, rereview.pausable_by, rereview.roll_forward) == (20, ("hearing",), True)
    triage = policy_for("triage", D(2026, 1, 1), table)
    assert (triage.unit, triage.length, triage.roll_forward) == ("working_days", 10, False)
    # 10 working days from Thu 2026-02-05: 2/6 (1), 2/9-2/13 (6), Sat 2/14 (7, 调休),
    # [2/15-2/23], 2/24 (8), 2/25 (9), 2/26 (10).
    assert compute_due(triage, D(2026, 2, 5)).last_day == D(2026, 2, 26)


@pytest.mark.parametrize(("total", "ok"), [(0, True), (30, True), (31, False), (-1, False)])
def test_extension_cap(total: int, ok: bool) -> None:
    if ok:
        check_extension(total, ON)
    else:
        with pytest.raises(ValueError, match="allowed 0..30"):
            check_extension(total, ON)
