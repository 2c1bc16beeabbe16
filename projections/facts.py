"""Case facts as the projections keep them: decoded straight from stored events, and compacted.

A projection needs the whole (effective) history of a case to fold it, but only the fields that
the fold, the clocks and the attribution read. Free text and personal data (petitioners, requests,
reasons, notes) are dropped: they are never copied into a read model.
"""
from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson

from domain.case import PetitionCase
from domain.case_state import Fact
from store.transcoder import OrjsonTranscoder

DROPPED = frozenset({
    "petitioners", "request", "facts_and_reasons", "attachments", "accused", "agent",
    "representatives", "content", "note", "text", "reasons", "reason", "report", "details",
    "legal_basis", "rights_notice", "document_digest", "agreement_digest", "procedure",
    "old_value", "mediator",
})
ACTOR_KEYS = ("unit", "person", "post")


def _case_topics() -> dict[str, str]:
    """topic -> event kind (class name) for every PetitionCase event class."""
    out: dict[str, str] = {}
    for name in dir(PetitionCase):
        cls = getattr(PetitionCase, name)
        topic = getattr(cls, "TOPIC", None)
        if isinstance(cls, type) and isinstance(topic, str) and topic.startswith(
                "casetrail:PetitionCase.") and name not in ("Event", "Created"):
            out[topic] = cls.__name__
    return out


CASE_TOPICS = _case_topics()


def compact(kind: str, version: int, state: dict[str, Any]) -> Fact:
    """A Fact from a decoded event state (the library's field names)."""
    actor = state.get("actor") or {}
    data = {k: v for k, v in state.items() if k not in DROPPED and k not in _BASE}
    if kind == "Corrected" and data.get("field") in DROPPED:
        data["new_value"] = None
    return Fact(version, kind, state["occurred_at"], state["timestamp"],
                {k: actor.get(k) for k in ACTOR_KEYS}, data, state.get("depends_on"))


_BASE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic",
                   "actor", "occurred_at", "depends_on", "class_version"})


def fact_of_notification(n: Any, mapper: Any) -> tuple[UUID, Fact]:
    """(case id, compact fact) of a stored case event; upcasts through the mapper if needed."""
    state = n.state
    if mapper.cipher or mapper.compressor or b'"class_version"' in state or not isinstance(
            mapper.transcoder, OrjsonTranscoder):
        event = mapper.to_domain_event(n)
        decoded = dict(event.__dict__)
    else:
        decoded = _decode_kept(state, mapper.transcoder)
    return n.originator_id, compact(CASE_TOPICS[n.topic], n.originator_version, decoded)


def _decode_kept(state: bytes, transcoder: OrjsonTranscoder) -> dict[str, Any]:
    """Decode only the fields a projection keeps (the dropped ones are never walked)."""
    raw = orjson.loads(state)
    out = {}
    for key, value in raw.items():
        if key in DROPPED:
            continue
        out[key] = transcoder._restore(value) if type(value) in (dict, list) else value
    return out


def facts_of_aggregate(facts: list[Fact]) -> list[Fact]:
    """The aggregate's own facts, compacted the same way (for direct-fold comparisons)."""
    out = []
    for f in facts:
        state = {**f.data, "actor": f.actor, "occurred_at": f.occurred_at,
                 "timestamp": f.recorded_at, "depends_on": f.depends_on}
        out.append(compact(f.kind, f.version, state))
    return out
