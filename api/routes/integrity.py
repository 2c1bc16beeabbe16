"""HTTP endpoints of the tamper-evident log: the latest signed checkpoint and proofs.

Wire it with ``app.include_router(router)``; override :func:`get_database_url` through
``app.dependency_overrides`` to point it at another store.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials

from api.auth import Principal
from api.deps import BEARER, Services, principal, visible_case
from domain.errors import NotFound
from integrity.checkpoints import export_checkpoint, latest_checkpoint_summary
from integrity.config import database_url
from integrity.errors import StoreUnavailable
from integrity.proofs import consistency_proof, inclusion_proof

router = APIRouter(prefix="/integrity", tags=["integrity"])


def get_database_url() -> str:
    """The store to read (``CASETRAIL_DATABASE_URL`` or ``sqlite:///casetrail.db``)."""
    return database_url(None)


DbUrl = Annotated[str, Depends(get_database_url)]


def _http(e: Exception) -> HTTPException:
    if isinstance(e, StoreUnavailable):
        return HTTPException(503, detail={"code": "store_unavailable", "detail": str(e)})
    if isinstance(e, LookupError):
        return HTTPException(404, detail={"code": "not_found", "detail": str(e)})
    return HTTPException(422, detail={"code": "invalid_input", "detail": str(e)})


@router.get("/checkpoint")
def get_checkpoint(url: DbUrl) -> dict[str, Any]:
    """The latest signed checkpoint: tree size, root hash, time, key and the signed note."""
    summary = latest_checkpoint_summary(url)
    if summary is None:
        raise HTTPException(404, detail={"code": "no_checkpoint",
                                         "detail": "no signed checkpoint yet"})
    try:
        summary["note"] = export_checkpoint(url, summary["tree_size"])
    except (StoreUnavailable, LookupError) as e:
        raise _http(e) from None
    return summary


@router.get("/checkpoint.txt", response_class=PlainTextResponse)
def get_checkpoint_note(url: DbUrl, tree_size: int | None = None) -> str:
    """The signed checkpoint note as text, for witnesses to fetch and keep."""
    try:
        return export_checkpoint(url, tree_size)
    except (StoreUnavailable, LookupError) as e:
        raise _http(e) from None


@router.get("/proof/inclusion")
async def get_inclusion_proof(
    request: Request,
    url: DbUrl,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    case_id: str | None = None,
    version: Annotated[int | None, Query(ge=1)] = None,
    notification_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    tree_size: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Inclusion proof of one event (by case id + version, or by notification id) under the
    latest signed checkpoint (or the one of ``tree_size``).

    The proof carries the event as stored (``event.state_b64``): the petitioner's personal data
    and, for an accusation, its content. Served by the API, it needs a token; a case the caller
    may not see (or is walled from) is the same 404 as an unknown one; the stored event is
    given only to a role that needs personal data, and the read is logged; anyone else gets
    the proof of its ``leaf_hash`` (verifiable, no content)."""
    svc: Services | None = getattr(request.app.state, "services", None)
    p = None if svc is None else await principal(svc, credentials)
    if notification_id is None and (case_id is None or version is None):
        raise HTTPException(422, detail={"code": "invalid_input",
                                         "detail": "give case_id and version, or notification_id"})
    try:
        doc = await run_in_threadpool(
            inclusion_proof, url, notification_id=notification_id, case_id=case_id,
            version=version, tree_size=tree_size)
    except (StoreUnavailable, LookupError, ValueError) as e:
        raise _http(e) from None
    if svc is None or p is None:  # the router embedded without the API's tokens (trusted use)
        return doc
    return _as_seen(svc, p, doc, case_id, version, notification_id)


def _as_seen(svc: Services, p: Principal, doc: dict[str, Any], case_id: str | None,
             version: int | None, notification_id: int | None) -> dict[str, Any]:
    event = doc["event"]
    case_no = svc.index.case_no_of(event["originator_id"])
    if case_no is None:  # an organisation event: public
        return doc
    missing = LookupError(f"no event version {version} of case {case_id}" if notification_id
                          is None else f"no event with notification id {notification_id}")
    try:
        seen = visible_case(svc, p, case_no)
    except NotFound:
        raise _http(missing) from None
    if seen.lens.walled:
        raise _http(missing)
    if not p.sees_personal:
        return {k: v for k, v in doc.items() if k != "event"}
    if event["originator_version"] == 1:
        seen.lens.registration(seen.case.facts[0].data)
    svc.access.record(p, svc.core.clock(), "GET", "/integrity/proof/inclusion", case_no,
                      {"stored_event", *seen.lens.revealed}, set())
    return doc


@router.get("/proof/consistency")
def get_consistency_proof(
    url: DbUrl,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, Any]:
    """Consistency proof that the checkpoint of size ``second`` (default: latest) extends the
    checkpoint of size ``first``."""
    try:
        return consistency_proof(url, first, second)
    except (StoreUnavailable, LookupError, ValueError) as e:
        raise _http(e) from None
