"""Step definitions for features/findings: accountability findings, as a supervisor reads them.

The case steps are the lifecycle ones (reused from ``test_lifecycle``); these add the few acts the
lifecycle features do not need (an extension nobody was told of, an incomplete reply, a bypass
visit, a read of accusation material), the evaluation of findings as of a moment, and the
supervisor's confirm / dismiss. Rules are named by their Chinese text from the catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from domain import catalog as C
from domain.errors import DomainError
from domain.findings import confirm_finding, dismiss_finding, get_review
from domain.rules import (
    CATEGORIES,
    RULES,
    Evaluation,
    Finding,
    Thresholds,
    evaluate,
    evaluate_access,
)
from tests.bdd import test_lifecycle as lifecycle
from tests.bdd.test_lifecycle import TYPES, Trail, act
from tests.conftest import GRIEVANCE

# the lifecycle's ``trail`` fixture and step definitions, reused as they are
globals().update({k: v for k, v in vars(lifecycle).items()
                  if k.startswith("pytestbdd_stepdef_") or k == "trail"})

scenarios("findings")

RULE_BY_ZH = {r.zh: r for r in RULES}
CATEGORY_BY_ZH = {zh: code for code, zh in CATEGORIES.items()}
NOTICES = {zh: code for code, zh in C.NOTICE_KINDS.items()}


@dataclass
class Audit:
    thresholds: Thresholds = field(default_factory=lambda: Thresholds(backfill_days=10_000))
    result: Evaluation | None = None
    access: list[dict[str, Any]] = field(default_factory=list)
    finding: Finding | None = None
    error: DomainError | None = None


@pytest.fixture
def audit() -> Audit:
    return Audit()


# --- acts the lifecycle features do not need --------------------------------------------------------
@act("{unit} told the petitioner of case {case} in writing on {day:Day} ({kind})",
     "{unit} tells the petitioner of case {case} in writing on {day:Day} ({kind})")
def notify(trail: Trail, unit: str, case: str, day: datetime, kind: str) -> None:
    trail.run(case, "notify_petitioner", unit, day, kind=NOTICES[kind], method="written")


@act("{unit} extended case {case} by {days:d} days on {day:Day} without telling the petitioner, "
     "approved by {approver}",
     "{unit} extends case {case} by {days:d} days on {day:Day} without telling the petitioner, "
     "approved by {approver}")
def extend_untold(trail: Trail, unit: str, case: str, days: int, day: datetime,
                  approver: str) -> None:
    trail.run(case, "extend", unit, day, days=days, reason="案情复杂",
              approver=trail.person(approver), petitioner_told=False)


@act("{unit} issued a reply on case {case} on {day:Day} without legal basis or rights notice",
     "{unit} issues a reply on case {case} on {day:Day} without legal basis or rights notice")
def incomplete_reply(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "issue_reply", unit, day, opinion="not_support", request="要求解决住房",
              facts_and_reasons="经调查不符合条件")


@act('{unit} refused to accept case {case} on {day:Day}: "{reason}", citing no basis',
     '{unit} refuses to accept case {case} on {day:Day}: "{reason}", citing no basis')
def refuse_without_basis(trail: Trail, unit: str, case: str, day: datetime, reason: str) -> None:
    trail.run(case, "refuse", unit, day, reason=reason)


@act("{unit} supervised {target} on case {case} by {kind} on {day:Day}, answer due {due}",
     "{unit} supervises {target} on case {case} by {kind} on {day:Day}, answer due {due}")
def supervise_unit(trail: Trail, unit: str, target: str, case: str, kind: str, day: datetime,
                   due: str) -> None:
    trail.run(case, "supervise", unit, day, kind=lifecycle._zh(C.SUPERVISION_KINDS, kind),
              due_date=due, content="请配合办理并书面反馈", target_unit=trail.unit(target))


@act("{unit} reported the result of case {case} on {day:Day}",
     "{unit} reports the result of case {case} on {day:Day}")
def report(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.run(case, "report_assignment", unit, day, report="已办结")


@act("{unit} registered case {case} on {day:Day} as a bypass visit",
     "{unit} registers case {case} on {day:Day} as a bypass visit")
def bypass(trail: Trail, unit: str, case: str, day: datetime) -> None:
    trail.app.register_case(trail.actor(unit), day, case_no=case, is_bypass=True, **GRIEVANCE)


@act("{unit} registered an accusation against {accused} as case {case} on {day:Day}",
     "{unit} registers an accusation against {accused} as case {case} on {day:Day}")
def accusation(trail: Trail, unit: str, accused: str, case: str, day: datetime) -> None:
    trail.app.register_case(trail.actor(unit), day, case_no=case, **{
        **GRIEVANCE, "matter_type": "accusation", "accused": {"units": [trail.unit(accused)]}})


@act('{unit} corrected the {name} of the extension on case {case} to {value} on {day:Day}',
     '{unit} corrects the {name} of the extension on case {case} to {value} on {day:Day}')
def correct_extension(trail: Trail, unit: str, name: str, case: str, value: str,
                      day: datetime) -> None:
    version = trail.facts(case, "ExtensionGranted")[-1].version
    if name == "length":
        field_name, new = "days", int(value.removesuffix(" days"))
    else:
        field_name, new = "approver", trail.person(value)
    trail.run(case, "correct", unit, day, target_version=version, field=field_name, value=new,
              reason="核对纸质审批单后更正")


@given(parsers.parse("{person} of {unit} read the petitioner and the content of case {case} on "
                     "{day:Day}", extra_types=TYPES))
def read_material(trail: Trail, audit: Audit, person: str, unit: str, case: str,
                  day: datetime) -> None:
    audit.access.append({"reader_unit": trail.unit(unit), "reader_person": trail.person(person),
                         "case_no": case, "at": day, "endpoint": f"GET /cases/{case}",
                         "fields": ["petitioners", "request", "facts_and_reasons"]})


@given(parsers.parse("back-filling is flagged {days:d} days after the act"))
def backfill_threshold(audit: Audit, days: int) -> None:
    audit.thresholds = Thresholds(backfill_days=days)


# --- evaluation --------------------------------------------------------------------------------------
@when(parsers.parse("findings on case {case} are evaluated as of {day:Day}", extra_types=TYPES))
def evaluate_as_happened(trail: Trail, audit: Audit, case: str, day: datetime) -> None:
    trail.settled()
    audit.result = evaluate(trail.app.history(case), trail.app.refresh_org(), day,
                            audit.thresholds)


@when(parsers.parse("findings on case {case} are evaluated as the system knew it on {day:Day}",
                    extra_types=TYPES))
def evaluate_as_recorded(trail: Trail, audit: Audit, case: str, day: datetime) -> None:
    audit.result = evaluate(trail.app.history(case), trail.app.refresh_org(), day,
                            audit.thresholds, sense="recorded")


@when(parsers.parse("the reads are checked as of {day:Day}", extra_types=TYPES))
def check_reads(trail: Trail, audit: Audit, day: datetime) -> None:
    found = evaluate_access(audit.access, trail.app.history, trail.app.refresh_org(), day)
    audit.result = Evaluation(found, [])


def _found(audit: Audit, rule_zh: str) -> list[Finding]:
    assert audit.result is not None, "evaluate the findings first"
    rule = RULE_BY_ZH[rule_zh]
    return [f for f in audit.result.findings if f.rule == rule.id]


@then(parsers.parse('a {category} finding "{rule_zh}" names {unit}'))
def finding_names(trail: Trail, audit: Audit, category: str, rule_zh: str, unit: str) -> None:
    found = _found(audit, rule_zh)
    assert found, f"no {rule_zh}; found {[f.rule for f in audit.result.findings]}"  # type: ignore[union-attr]
    audit.finding = found[0]
    assert found[0].category == CATEGORY_BY_ZH[category]
    assert found[0].unit == trail.unit(unit), found[0]


@then(parsers.parse("it counts {days:d} days"))
def counts_days(audit: Audit, days: int) -> None:
    assert audit.finding is not None and audit.finding.days == days, audit.finding


@then(parsers.parse("it names the handler {person}"))
def names_handler(trail: Trail, audit: Audit, person: str) -> None:
    assert audit.finding is not None and audit.finding.handler == trail.person(person)


@then(parsers.parse("it names the leader {person}"))
def names_leader(trail: Trail, audit: Audit, person: str) -> None:
    assert audit.finding is not None and audit.finding.leader == trail.person(person)


@then(parsers.parse("it names {person} as {post} of {unit}"))
def names_post_holder(trail: Trail, audit: Audit, person: str, post: str, unit: str) -> None:
    code = {zh: c for c, zh in {**C.POSTS, "village_secretary": "村党组织书记"}.items()}[post]
    assert audit.finding is not None
    assert trail.person(person) in audit.finding.people[f"{trail.unit(unit)}:{code}"]


@then(parsers.parse("it cites {article}"))
def cites(audit: Audit, article: str) -> None:
    assert audit.finding is not None and article in audit.finding.articles


@then(parsers.parse('there is no "{rule_zh}" finding'))
def no_such_finding(audit: Audit, rule_zh: str) -> None:
    assert _found(audit, rule_zh) == []


@then(parsers.parse('the "{rule_zh}" deadline of {unit} is only provisional, ending {last_day}'))
def provisional(trail: Trail, audit: Audit, rule_zh: str, unit: str, last_day: str) -> None:
    assert audit.result is not None
    marks = [(p.rule, p.unit, p.last_day) for p in audit.result.provisional]
    assert (RULE_BY_ZH[rule_zh].id, trail.unit(unit), last_day) in marks, marks


# --- the supervisor's workflow ---------------------------------------------------------------------
@when(parsers.parse('{unit} confirms that finding on {day:Day}: "{reason}"', extra_types=TYPES))
def confirm(trail: Trail, audit: Audit, unit: str, day: datetime, reason: str) -> None:
    assert audit.finding is not None
    confirm_finding(trail.app, audit.finding.id, trail.actor(unit), reason,
                    audit.finding.case_no, day)


@when(parsers.parse('{unit} dismisses that finding on {day:Day}: "{reason}"', extra_types=TYPES))
def dismiss(trail: Trail, audit: Audit, unit: str, day: datetime, reason: str) -> None:
    assert audit.finding is not None
    try:
        dismiss_finding(trail.app, audit.finding.id, trail.actor(unit), reason,
                        audit.finding.case_no, day)
    except DomainError as refusal:
        audit.error = refusal


@then(parsers.parse("the finding stands as {status}"))
def stands(trail: Trail, audit: Audit, status: str) -> None:
    assert audit.finding is not None
    review = get_review(trail.app, audit.finding.id)
    assert review is not None and {"confirmed": "已确认", "dismissed": "已排除",
                                   "open": "待核实"}[review.status] == status


@then(parsers.parse('the dismissal is refused with "{code}"'))
def dismissal_refused(audit: Audit, code: str) -> None:
    assert audit.error is not None and audit.error.code == code
