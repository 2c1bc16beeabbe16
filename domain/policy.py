"""The statutory steps and their time limits, as versioned data (DOMAIN.md Part B §1.3, §2.2).

Why data and not code: the law leaves room (local 简易办理 limits, an unconfirmed evaluation window)
and rules change over time. Each record has a version and an ``effective_from`` date; the record in
force on the day a clock starts is the one that applies, and the deadline records its version, so a
later policy change never rewrites an old deadline. Local files add or override records with no
code change (:func:`load_local_policies`).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from pathlib import Path

import yaml

from domain.periods import CALENDAR, Deadline, HolidayCalendar, add_calendar_days, add_working_days

UNITS = ("calendar_days", "working_days", "set_by_act")
IN_FORCE_2022 = date(2022, 5, 1)  # 《信访工作条例》 entry into force
NATIONAL_VERSION = "xfgztl-2022.1"


class PolicyFileError(ValueError):
    """A local policy file that cannot be loaded; the message names the file and the record."""


class UnknownPolicy(KeyError):
    """No policy record for this step (or none in force on that date)."""

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


@dataclass(frozen=True)
class StepPolicy:
    """One time limit. ``length`` is None only for ``set_by_act`` (the act sets the due date);
    ``roll_forward`` matters only for calendar days (a working-day count always ends on a
    working day)."""

    step: str
    name_zh: str
    name_en: str
    unit: str
    length: int | None
    start_event: str
    roll_forward: bool
    pausable_by: tuple[str, ...]
    article: str
    version: str
    effective_from: date
    local: bool = False
    note: str = ""
    assumption: bool = False  # True: not from a text we read; confirm with the client

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.step}: unit {self.unit!r} not in {UNITS}")
        if (self.length is None) != (self.unit == "set_by_act"):
            raise ValueError(f"{self.step}: length must be None exactly when unit is set_by_act")
        if self.length is not None and (type(self.length) is not int or self.length < 1):
            raise ValueError(f"{self.step}: length {self.length!r} must be an integer >= 1")
        if not isinstance(self.roll_forward, bool) or not isinstance(self.local, bool):
            raise TypeError(f"{self.step}: roll_forward and local must be true/false")


def _national(step: str, zh: str, en: str, unit: str, length: int | None, start: str,
              article: str, **kw: object) -> StepPolicy:
    return StepPolicy(step, zh, en, unit, length, start, unit == "calendar_days",
                      kw.pop("pausable_by", ()), article, NATIONAL_VERSION, IN_FORCE_2022, **kw)


class PolicyTable:
    """An immutable set of versioned records. ``version`` is a hash over every record, so any
    change to any record (national or local) gives a new table version."""

    def __init__(self, records: Iterable[StepPolicy]) -> None:
        by_key = {(r.step, r.effective_from): r for r in records}  # later records override
        self._records = tuple(sorted(by_key.values(), key=lambda r: (r.step, r.effective_from)))
        canon = json.dumps([asdict(r) for r in self._records], sort_keys=True, default=str,
                           ensure_ascii=False)
        self.version = "policy-" + hashlib.sha256(canon.encode()).hexdigest()[:12]

    def list(self) -> tuple[StepPolicy, ...]:
        """All records, by step then effective date (for display and audit)."""
        return self._records

    def steps(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.step for r in self._records))

    def merged(self, records: Iterable[StepPolicy]) -> PolicyTable:
        """A new table; a record with the same step and effective_from replaces the old one."""
        return PolicyTable((*self._records, *records))

    def __iter__(self) -> Iterator[StepPolicy]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


DEFAULT_TABLE = PolicyTable([
    _national("triage", "转送、交办或报请（信访部门分类处理）", "Triage by the petition bureau",
              "calendar_days", 15, "receipt by the 信访部门", "第二十二条"),
    _national("receipt_notice", "书面告知（是否受理/转送）", "Written notice to the petitioner",
              "calendar_days", 15, "receipt, direct or transferred/assigned in",
              "第二十三条第二、三款"),
    _national("objection", "对转送、交办有异议的退回", "Objection to a misrouted transfer",
              "working_days", 5, "receipt of the transferred/assigned matter", "第二十三条第三款"),
    _national("handling", "办理（出具处理意见书）", "Handling of a 31(六) petition",
              "calendar_days", 60, "acceptance (受理), 31(六) track only", "第三十四条"),
    _national("extension_cap", "延长办理期限（累计上限）", "Extension, all extensions together",
              "calendar_days", 30, "the original expiry of the 60-day handling limit (its "
              "last day after roll-forward); calendar days, rolled forward again; not a new clock",
              "第三十四条", note="cap on the total; approved by the handling organ's head"),
    _national("assignment_report", "交办事项办结报告", "Report on an assigned matter",
              "set_by_act", None, "the assignment (交办) act", "第二十二条第（三）项"),
    _national("review_request", "请求复查", "Request for review (复查)", "calendar_days", 30,
              "service (送达) of the written reply", "第三十五条"),
    _national("review_opinion", "复查意见", "Review opinion", "calendar_days", 30,
              "receipt of the review request", "第三十五条"),
    _national("rereview_request", "请求复核", "Request for re-review (复核)", "calendar_days", 30,
              "service (送达) of the review opinion", "第三十六条"),
    _national("rereview_opinion", "复核意见", "Re-review opinion", "calendar_days", 30,
              "receipt of the re-review request", "第三十六条", pausable_by=("hearing",),
              note="听证所需时间不计算在内: hearing days extend the period"),
    _national("supervision_response", "督办反馈", "Response to supervision (督办)",
              "set_by_act", None, "the supervision act", "第四十条"),
    _national("evaluation", "满意度评价", "Satisfaction evaluation window", "calendar_days", 30,
              "service (送达) of the opinion being evaluated", "国信发〔2022〕11号 (unconfirmed)",
              assumption=True,
              note="ASSUMPTION: 30 calendar days from service is a product default, "
                   "not a rule we have read; confirm with the client (DOMAIN.md §7)"),
])


def policy_for(step: str, on: date, table: PolicyTable = DEFAULT_TABLE) -> StepPolicy:
    """The record in force on ``on`` (the latest ``effective_from <= on``) for ``step``."""
    records = [r for r in table if r.step == step]
    if not records:
        raise UnknownPolicy(f"unknown step {step!r}; known: {', '.join(table.steps())}")
    in_force = [r for r in records if r.effective_from <= on]
    if not in_force:
        raise UnknownPolicy(f"no policy for step {step!r} in force on {on.isoformat()} "
                            f"(earliest is {records[0].effective_from.isoformat()})")
    return in_force[-1]


def compute_due(policy: StepPolicy, start: date, *, calendar: HolidayCalendar = CALENDAR,
                paused_days: int = 0, extension_days: int = 0) -> Deadline:
    """The deadline of ``policy`` for a clock started on ``start`` (start day not counted).

    ``paused_days`` (see :func:`domain.periods.count_paused_days`) is refused for steps not
    pausable. ``extension_days`` (延长, meant for ``handling``, art. 34) extends the 办理期限 from
    its original expiry: the original last day *after* roll-forward (民法典 203 makes that day the
    period's last day), plus the extension in calendar days, rolled forward again. Counting
    60 + extension from the start instead would swallow the days of a holiday the original limit
    rolled over (a 3-day extension of a limit that rolled from Sat 2025-10-04 to 10-09 would
    extend nothing). Check the total against the cap with :func:`check_extension`.
    """
    if policy.unit == "set_by_act" or policy.length is None:
        raise ValueError(f"{policy.step}: due date is set by the act; use deadline_set_by_act")
    if paused_days and not policy.pausable_by:
        raise ValueError(f"{policy.step}: this period is not paused by anything")
    if extension_days < 0 or (extension_days and policy.unit != "calendar_days"):
        raise ValueError(f"{policy.step}: extension_days {extension_days} not allowed")
    if policy.unit == "working_days":
        if paused_days:
            raise ValueError(f"{policy.step}: pauses are only supported for calendar days")
        deadline = add_working_days(start, policy.length, calendar=calendar)
    else:
        deadline = add_calendar_days(start, policy.length, calendar=calendar,
                                     roll_forward=policy.roll_forward, paused_days=paused_days)
        if extension_days:
            extended = add_calendar_days(deadline.last_day, extension_days, calendar=calendar,
                                         roll_forward=policy.roll_forward)
            deadline = replace(extended, length=policy.length + extension_days,
                               paused_days=paused_days,
                               provisional=deadline.provisional or extended.provisional)
    return replace(deadline, step=policy.step, policy_version=policy.version)


def check_extension(total_days: int, on: date, table: PolicyTable = DEFAULT_TABLE) -> None:
    """Refuse extensions whose total exceeds the ``extension_cap`` in force (30 days, art. 34)."""
    cap = policy_for("extension_cap", on, table).length or 0
    if not 0 <= total_days <= cap:
        raise ValueError(f"extensions total {total_days} days; allowed 0..{cap}")


_FIELDS = {f.name for f in fields(StepPolicy)}
_REQUIRED_NEW = ("name_zh", "name_en", "start_event", "article", "unit")
# What an override of a known step may omit (taken from the latest base record); its version,
# effective_from, local flag, note and assumption flag are its own.
_INHERITED = (*_REQUIRED_NEW, "length", "roll_forward", "pausable_by")


def _record(raw: object, file_version: str | None, base: PolicyTable, where: str) -> StepPolicy:
    if not isinstance(raw, dict):
        raise PolicyFileError(f"{where}: each step must be a mapping")
    if unknown := set(raw) - _FIELDS:
        raise PolicyFileError(f"{where}: unknown field(s) {sorted(unknown)}")
    data = dict(raw)
    step = data.get("step")
    if not step:
        raise PolicyFileError(f"{where}: 'step' is required")
    data.setdefault("version", file_version)
    for key in ("version", "effective_from"):
        if not data.get(key):
            raise PolicyFileError(f"{where} ({step}): {key!r} is required")
    prior = [r for r in base if r.step == step]
    inherit = {k: getattr(prior[-1], k) for k in _INHERITED} if prior else {}
    if "unit" in data and data["unit"] != inherit.get("unit"):
        inherit.pop("length", None)  # a new unit needs its own length and roll default
        inherit.pop("roll_forward", None)
    for key in _REQUIRED_NEW:
        if key not in data and key not in inherit:
            raise PolicyFileError(f"{where} ({step}): {key!r} is required for a new step")
    unit = data.get("unit", inherit.get("unit"))
    merged = {"pausable_by": (), "local": True, "length": None,
              "roll_forward": unit == "calendar_days", **inherit, **data}
    try:
        effective = merged["effective_from"]
        if not isinstance(effective, date):
            merged["effective_from"] = date.fromisoformat(str(effective))
        pauses = merged["pausable_by"]
        merged["pausable_by"] = (pauses,) if isinstance(pauses, str) else tuple(pauses)
        merged["version"] = str(merged["version"])
        return StepPolicy(**merged)
    except (TypeError, ValueError) as exc:
        raise PolicyFileError(f"{where} ({step}): {exc}") from exc


def load_local_policies(path: str | Path, base: PolicyTable = DEFAULT_TABLE) -> PolicyTable:
    """Add or override step records from a YAML (.yaml/.yml) or JSON file.

    Format: ``{version: <default for records>, steps: [{step, unit, length, effective_from,
    version?, name_zh?, ...}]}``. A record for a known step inherits what it omits (texts, unit,
    length, roll_forward, pausable_by) from the latest base record; a new step must give name_zh,
    name_en, start_event, article and unit (and length unless set_by_act). Records
    are ``local: true`` unless stated. Unknown fields are refused (a typo must not pass silently).
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise PolicyFileError(f"{path}: not valid JSON/YAML: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list):
        raise PolicyFileError(f"{path}: expected a mapping with a 'steps' list")
    file_version = doc.get("version")
    records = [_record(raw, file_version, base, f"{path} steps[{i}]")
               for i, raw in enumerate(doc["steps"])]
    return base.merged(records)
