"""Moments in office hours on working days, and the other random draws the lives of cases share."""
from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta

from domain.periods import CALENDAR, TZ, local_date

DAY = timedelta(days=1)

__all__ = ["DAY", "choose", "digest", "iso_day", "moment_after", "moment_between", "next_workday",
           "office_hours"]


def iso_day(d: date) -> str:
    return d.isoformat()


def next_workday(d: date) -> date:
    while not CALENDAR.is_workday(d):
        d += DAY
    return d


def office_hours(d: date, rng: random.Random) -> datetime:
    minutes = rng.randint(9 * 60, 18 * 60 + 30)
    return datetime.combine(d, time(minutes // 60, minutes % 60), TZ)


def moment_after(t: datetime, rng: random.Random, lo: int, hi: int, last: date | None = None,
                 workday: bool = True) -> datetime:
    """A moment lo..hi days after ``t`` in office hours (on a working day), never after ``last``."""
    d = local_date(t) + timedelta(days=rng.randint(lo, max(lo, hi)))
    if workday:
        d = next_workday(d)
    if last is not None and d > last:
        d = last
        while workday and not CALENDAR.is_workday(d) and d > local_date(t):
            d -= DAY
    moment = office_hours(d, rng)
    if moment <= t:
        moment = t + timedelta(minutes=rng.randint(10, 90))
    return moment


def moment_between(lo: datetime, hi: datetime, rng: random.Random) -> datetime:
    """A moment in office hours on a working day between ``lo`` and ``hi`` (if there is one)."""
    first, last = local_date(lo), local_date(hi)
    for _ in range(4):
        d = next_workday(first + timedelta(days=rng.randint(0, max(0, (last - first).days))))
        moment = office_hours(d, rng)
        if lo < moment < hi:
            return moment
    return lo + timedelta(minutes=rng.randint(5, 60))


def choose(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()
