"""The rebuild's shortcuts give exactly what the general code gives.

``schema.utc_text`` (the UTC text of a stored +08:00 business time, by moving the text) must
equal ``schema.ts`` of the parsed instant; the rebuild's lazy facts must fold like the
aggregate's own facts (covered end to end by test_property: rebuild == incremental == fold).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import orjson

from domain.periods import TZ
from projections import schema
from projections.replay import LightFact
from projections.schema import ts, utc_text


def _reference(text: str) -> str | None:
    schema._TS.clear()  # computed, not remembered
    return ts(datetime.fromisoformat(text).astimezone(TZ))


def test_utc_text_equals_ts_of_the_parsed_instant() -> None:
    rng = random.Random(7)
    start = datetime(1992, 1, 1, tzinfo=TZ)
    for _ in range(20000):
        at = start + timedelta(seconds=rng.randrange(60 * 365 * 86400),
                               microseconds=rng.choice([0, 0, 1, 999999, rng.randrange(10**6)]))
        text = at.isoformat()
        assert utc_text(text) == _reference(text), text


def test_utc_text_edges_and_other_spellings() -> None:
    # midnight to 08:00 local is the previous UTC day (month, leap day and year boundaries)
    for text in ("2025-01-01T07:59:59+08:00", "2024-03-01T00:00:00+08:00",
                 "2025-03-01T05:30:00.250000+08:00", "2025-01-01T08:00:00+08:00"):
        assert utc_text(text) == _reference(text), text
    # any other spelling is left to ts()
    for text in ("2025-01-01T09:00:00+09:00", "2025-01-01 09:00:00+08:00",
                 "2025-01-01T09:00:00.500+08:00", "2025-01-01T09:00+08:00", "+08:00", ""):
        assert utc_text(text) is None, text


def test_light_fact_reads_and_corrects_like_a_fact() -> None:
    state = orjson.dumps({"actor": {"unit": "u1"}, "depends_on": None, "to_unit": "u2"})
    at = datetime(2025, 1, 1, 9, tzinfo=TZ)
    f = LightFact(3, "Transferred", at, state)
    assert (f.version, f.kind, f.occurred_at, f.recorded_at, f.corrections) == (
        3, "Transferred", at, None, ())
    assert f.data["to_unit"] == "u2" and f.actor == {"unit": "u1"} and f.depends_on is None
    assert f.data is f.data  # parsed once
    later = at + timedelta(hours=1)
    g = f.corrected("to_unit", "u3").corrected("occurred_at", later)
    assert (g.data["to_unit"], g.occurred_at) == ("u3", later)
    assert g.corrections == (("to_unit", "u2", "u3"), ("occurred_at", at, later))
    assert f.data["to_unit"] == "u2" and f.corrections == ()
