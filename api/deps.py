"""Dependencies shared by the routes: the services, the caller, the case it may see, headers."""
from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
from eventsourcing.application import AggregateNotFoundError
from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from api.access_log import AccessLog
from api.auth import Principal, TokenStore
from api.case_index import CaseIndex
from api.idempotency import Idempotency, check_key
from api.problems import Problem
from api.readmodels import ReadModels
from api.sidestore import SideStore
from api.visibility import Lens, Profile, can_see, lens_for, listable, profile_of
from api.writer import Writer
from domain.application import Casetrail
from domain.case import case_id_for
from domain.case_state import CaseState, Fact, effective_facts, fold
from domain.errors import NotFound
from domain.organisation import OrgDirectory


@dataclass
class Services:
    core: Casetrail
    side: SideStore
    tokens: TokenStore
    access: AccessLog
    idempotency: Idempotency
    index: CaseIndex
    views: ReadModels
    org_seconds: float = 1.0
    _org_checked: float = -1e9
    writer: Writer = field(init=False)

    def __post_init__(self) -> None:
        self.writer = Writer(self.core, self.idempotency)

    def org(self) -> OrgDirectory:
        """The organisation for visibility decisions, re-read from the log at most once a
        second (an organisation change made in this process is seen at once: the core folds it
        when it writes; one made by another process, within ``org_seconds``). Commands still
        check against the organisation as the core refreshes it for every command."""
        t = time.monotonic()
        if t - self._org_checked >= self.org_seconds:
            self._org_checked = t
            return self.core.refresh_org()
        return self.core.org

    def release(self) -> None:
        """Close what the API opened (its tables' pool, the read-model connection)."""
        self.views.close()
        self.side.close()

    def close(self) -> None:
        self.release()
        self.core.close()


class OrjsonRoute(APIRoute):
    """Parse JSON bodies with orjson: strict UTF-8 (no lone surrogates), no NaN, faster."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        takes_json = self.body_field is not None

        async def handler(request: Request) -> Response:
            body = await request.body()
            kind = request.headers.get("content-type", "")
            if body and ("json" in kind and "ndjson" not in kind):
                try:
                    request._json = orjson.loads(body)
                except orjson.JSONDecodeError:
                    raise Problem(400, "body.malformed_json", "请求体不是有效的JSON",
                                  "The request body is not valid JSON (UTF-8, RFC 8259)",
                                  "body") from None
                if b"\\u0000" in body:
                    where = _nul_at(request._json)
                    if where is not None:
                        raise Problem(422, "body.nul_character", "字段中含有空字符(NUL)",
                                      f"body {where}: a string may not contain U+0000", where)
            elif body and takes_json:
                raise Problem(415, "body.unsupported_media_type", "请求体必须是JSON",
                              f"Send the body as application/json, not {kind or 'untyped'!r}",
                              "Content-Type")
            return await original(request)

        return handler


def _nul_at(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) holding U+0000, else None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for k, v in value.items():
            here = f"{path}.{k}" if path else str(k)
            if "\x00" in k:
                return here
            found = _nul_at(v, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _nul_at(v, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


async def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(services)]


BEARER = HTTPBearer(auto_error=False, description="A token from `casetrail token issue`")


async def principal(svc: ServicesDep,
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
              ) -> Principal:
    secret = credentials.credentials if credentials else ""
    if not secret.strip():
        raise Problem(401, "auth.required", "需要身份认证",
                      "Send 'Authorization: Bearer <token>' (issue one with `casetrail token "
                      "issue`)", "Authorization")
    verify, now, secret = svc.tokens.verify, svc.core.clock(), secret.strip()
    who = svc.tokens.cached(secret, now)
    if who is None:
        # a pooled PostgreSQL connection may have to be waited for: not on the event loop
        who = await run_in_threadpool(verify, secret, now) if svc.side.postgres else \
            verify(secret, now)
    if who is None:
        raise Problem(401, "auth.invalid_token", "令牌无效、已过期、已撤销或持有人已离岗",
                      "The token is unknown, expired or revoked, or its holder no longer holds "
                      "the post it names", "Authorization")
    return who


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def require(p: Principal, action: str) -> None:
    if not p.may(action):
        raise Problem(403, "auth.forbidden", "当前角色无权执行此操作",
                      f"None of the roles {sorted(p.roles)} may {action}", "Authorization")


def permit(action: str) -> Any:
    """A dependency: the caller, if one of its roles may ``action`` (checked before the body)."""
    async def dependency(p: CurrentPrincipal) -> Principal:
        require(p, action)
        return p
    return Depends(dependency)


def case_not_found(case_no: str) -> NotFound:
    return NotFound("case.not_found", "信访事项不存在", f"No case {case_no!r}", "case_no")


@dataclass
class Snapshot:
    """A read-only copy of a case: its facts and the state folded from them."""

    facts: list[Fact]
    state: CaseState

    @property
    def version(self) -> int:
        return len(self.facts)

    def effective(self) -> list[Fact]:
        return effective_facts(self.facts)


def snapshot(core: Casetrail, case_no: str, version: int | None = None) -> Snapshot:
    """Reads skip the library's deep copy of the cached aggregate (it grows with the history):
    the facts are immutable, so a copy of the list, folded again, is a consistent snapshot."""
    if version is not None:
        case = core.get_case(case_no, version=version)
        return Snapshot(list(case.facts), case.state)
    try:
        case = core.repository.get(case_id_for(case_no), deepcopy_from_cache=False)
    except AggregateNotFoundError:
        raise case_not_found(case_no) from None
    facts = list(case.facts)
    return Snapshot(facts, fold(facts))


@dataclass
class Visible:
    case: Snapshot
    profile: Profile
    lens: Lens


def visible_case(svc: Services, p: Principal, case_no: str) -> Visible:
    """The case if the caller's scope covers it; otherwise the same 404 as a missing case."""
    case = snapshot(svc.core, case_no)
    prof, lens = seen_as(svc, p, case_no, case.facts)
    return Visible(case, prof, lens)


def seen_as(svc: Services, p: Principal, case_no: str, facts: list[Fact]) -> tuple[Profile, Lens]:
    """What the caller may see of a case with these facts; the 404 of a missing case if
    its scope does not cover the case."""
    org, now = svc.org(), svc.core.clock()
    prof = profile_of(facts)
    if not can_see(p, prof, org, now):
        raise case_not_found(case_no)
    return prof, lens_for(p, prof, org, now)


def listable_cases(svc: Services, p: Principal) -> set[str]:
    """The cases the caller may learn exist: in its scope and not behind the wall."""
    cases, org, now = svc.index.refresh(), svc.org(), svc.core.clock()
    return {no for no, e in cases.items() if listable(p, e.profile, org, now)}


def check_refs(svc: Services, p: Principal, field: str, *case_nos: str | None) -> None:
    """Other cases named in a command must be visible too (their existence is not revealed)."""
    for no in case_nos:
        if no is None:
            continue
        try:
            visible_case(svc, p, no)
        except NotFound:
            raise Problem(422, "case.unknown_original", "关联的原信访事项不存在",
                          f"Unknown case {no!r}", field) from None


IF_MATCH = Header(description='The case version the write expects, e.g. "7" (from ETag)')
IDEMPOTENCY_KEY = Header(
    description="Retry-safe key: a repeat returns the first result, writes nothing")


def expected_version(header: str | None) -> int | None:
    if header is None:
        return None
    if header.strip() == "*":  # RFC 9110 13.1.1: any current version (the case must exist)
        return None
    raw = header.strip().removeprefix("W/").strip('"')
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise Problem(400, "if_match.invalid", "If-Match格式无效",
                      'If-Match must be a case version such as "7"', "If-Match")
    return int(raw)


async def if_match(if_match: Annotated[str | None, IF_MATCH] = None) -> int | None:
    return expected_version(if_match)


async def idempotency_key(idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None,
                          ) -> str | None:
    return check_key(idempotency_key)


IfMatch = Annotated[int | None, Depends(if_match)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


@dataclass(frozen=True)
class Writing:
    """What a case command needs from its request: the services, the caller (allowed to do
    the command), the If-Match version and the Idempotency-Key."""

    svc: Services
    p: Principal
    expected: int | None
    key: str | None


def writing(action: str, *, versioned: bool = True) -> Any:
    """The dependency of a case command: the same checks, in the same order (token, role,
    If-Match, Idempotency-Key), as ``ServicesDep``, ``permit(action)``, ``IfMatch`` and
    ``IdempotencyKey`` together, as one dependency: fewer for FastAPI to solve per request.
    ``versioned=False``: no If-Match (registration creates the case)."""
    async def check(request: Request, credentials: HTTPAuthorizationCredentials | None,
                    if_match: str | None, idempotency_key: str | None) -> Writing:
        svc: Services = request.app.state.services
        p = await principal(svc, credentials)
        require(p, action)
        return Writing(svc, p, expected_version(if_match), check_key(idempotency_key))

    async def dependency(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
            if_match: Annotated[str | None, IF_MATCH] = None,
            idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None) -> Writing:
        return await check(request, credentials, if_match, idempotency_key)

    async def unversioned(
            request: Request,
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
            idempotency_key: Annotated[str | None, IDEMPOTENCY_KEY] = None) -> Writing:
        return await check(request, credentials, None, idempotency_key)
    return Depends(dependency if versioned else unversioned)


Reader = Annotated[Principal, permit("read")]
