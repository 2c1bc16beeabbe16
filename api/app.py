"""The HTTP application: ``create_app(url)`` wires the core, the API's own tables, the error
mapping and the routes. ``casetrail serve`` runs it with uvicorn; interactive docs at ``/docs``.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from api import problems
from api.access_log import AccessLog
from api.auth import TokenStore
from api.case_index import CaseIndex
from api.deps import Services
from api.idempotency import Idempotency
from api.readmodels import ReadModels
from api.routes import admin, cases, dossiers, findings, io, org, queries
from api.sidestore import SideStore
from domain.application import Casetrail
from domain.rules import access_records_from_log
from store.config import database_url, ddl_lock

BODY_LIMIT = 256 * 1024
IMPORT_LIMIT = 64 * 1024 * 1024


def build_services(url: str | None = None, clock: Callable[[], Any] | None = None,
                   core: Casetrail | None = None) -> Services:
    if core is None:
        with ddl_lock(database_url(url)):
            core = Casetrail(url, clock=clock)
    side = SideStore(core.database_url)
    index = CaseIndex(core)
    index.refresh()
    access = AccessLog(side)
    # the findings workflow (confirm/dismiss…) can then find rule 46(五) findings too
    core.access_records = lambda: access_records_from_log(_all_entries(access))  # type: ignore[attr-defined]
    # a person's token stops working once they no longer hold the post it names
    tokens = TokenStore(side, org=lambda: core.refresh_org(max_age=1.0))
    return Services(core, side, tokens, access, Idempotency(side), index,
                    ReadModels(core))


def _all_entries(access: AccessLog) -> list[Any]:
    entries: list[Any] = []
    while True:
        page = access.entries(after_id=entries[-1].entry_id if entries else 0, limit=5000)
        entries += page
        if len(page) < 5000:
            return entries


def create_app(url: str | None = None, *, clock: Callable[[], Any] | None = None,
               core: Casetrail | None = None) -> FastAPI:
    """The API over the store at ``url`` (CASETRAIL_DATABASE_URL, else SQLite casetrail.db)."""
    svc = build_services(url, clock, core)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if core is None:
            svc.close()
        else:
            svc.release()

    app = FastAPI(
        title="Casetrail API", version="0.1.0", lifespan=lifespan,
        default_response_class=problems.OrjsonResponse,
        description="信访事项 audit trail under the 2022 《信访工作条例》. Every write records "
                    "the caller's token as its actor; errors are application/problem+json.")
    app.state.services = svc
    problems.install(app)
    app.add_middleware(problems.BodyLimit, default=BODY_LIMIT,  # type: ignore[arg-type]
                       per_path={"/import": IMPORT_LIMIT})
    for router in (cases.router, queries.router, findings.router, dossiers.router, org.router,
                   admin.router, io.router):
        app.include_router(router)
    _mount_integrity(app, svc.core.database_url)
    return app


def _mount_integrity(app: FastAPI, url: str) -> None:
    """The tamper-evidence endpoints (checkpoints and proofs: hashes only, no case content).

    Mounted only when they read the same store: they find it through the environment, and a
    ``dependency_overrides`` entry would make FastAPI rebuild every dependency on every request.
    """
    app.state.database_url = url
    try:
        from api.routes import integrity
    except ImportError:  # the integrity projection is optional
        return
    if integrity.get_database_url() == url:
        app.include_router(integrity.router)
