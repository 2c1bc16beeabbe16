"""The one place where errors become HTTP: RFC 9457 ``application/problem+json`` with stable codes.

Every refusal carries ``code`` (stable, for programs), ``title`` (Chinese, for people), ``detail``
(English) and ``field`` (what was wrong). Domain errors carry no status: :func:`status_of` maps
their class to one here; a version conflict is 412 when the client sent ``If-Match`` (its
precondition failed) and 409 otherwise.
"""
from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.errors import DomainError, IllegalTransition, InvalidInput, NotFound, VersionConflict

log = logging.getLogger("casetrail.api")
PROBLEM = "application/problem+json"


class OrjsonResponse(JSONResponse):
    """JSON bodies encoded with orjson (datetimes as RFC 3339, UTF-8 kept as is)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class Problem(Exception):
    """An API-level refusal (authentication, permission, request shape) with a stable code."""

    def __init__(self, status: int, code: str, zh: str, en: str, field: str | None = None,
                 **extra: Any) -> None:
        super().__init__(f"[{code}] {en}")
        self.status, self.code, self.zh, self.en, self.field = status, code, zh, en, field
        self.extra = extra


def problem(status: int, code: str, title: str, detail: str, field: str | None = None,
            instance: str | None = None, headers: dict[str, str] | None = None,
            **extra: Any) -> Response:
    body = {"type": f"urn:casetrail:problem:{code}", "title": title, "status": status,
            "detail": detail, "code": code, "field": field, "instance": instance, **extra}
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)


# --- the vocabulary of request-shape problems ------------------------------------------------
NOT_FOUND = ("route.not_found", "请求的资源不存在", "No such resource")
HTTP_CODES: dict[int, tuple[str, str, str]] = {
    400: ("request.bad", "请求无效", "Bad request"),
    401: ("auth.required", "需要身份认证", "Authentication required"),
    403: ("auth.forbidden", "无权执行此操作", "Not allowed"),
    404: NOT_FOUND,
    405: ("method.not_allowed", "不支持该请求方法", "Method not allowed"),
    406: ("request.not_acceptable", "无法提供所请求的格式", "Not acceptable"),
    413: ("body.too_large", "请求体过大", "The request body is too large"),
    415: ("body.unsupported_type", "不支持的请求体类型", "Unsupported media type"),
}


def _field_of(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or (str(loc[-1]) if loc else None)


def _validation(request: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "invalid", "loc": (), "msg": "invalid"}
    if first.get("type") == "json_invalid":
        return problem(400, "body.malformed_json", "请求体不是有效的JSON",
                       "The request body is not valid JSON", "body", request.url.path)
    loc = tuple(first.get("loc", ()))
    code = {"extra_forbidden": "field.unknown", "missing": "field.required",
            "timezone_aware": "time.naive"}.get(first.get("type", ""), "field.invalid")
    zh = {"field.unknown": "存在未知字段", "field.required": "缺少必填字段",
          "time.naive": "时间必须带时区"}.get(code, "字段取值无效")
    where = str(loc[0]) if loc[:1] in (("query",), ("header",), ("path",)) else "body"
    details = [{"field": _field_of(tuple(e.get("loc", ()))), "type": e.get("type"),
                "detail": str(e.get("msg"))} for e in errors[:20]]
    return problem(422, code, zh, f"{where} {_field_of(loc)}: {first.get('msg')}",
                   _field_of(loc), request.url.path, errors=details)


# a domain error's class -> its HTTP status; the most specific class listed wins
DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404, IllegalTransition: 409, VersionConflict: 409, InvalidInput: 422,
    DomainError: 422,
}


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error (412 for a conflict is the caller's to decide)."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return 422


def _domain(request: Request, exc: DomainError) -> Response:
    status = status_of(exc)
    if isinstance(exc, VersionConflict) and request.headers.get("if-match") is not None:
        status = 412
    return problem(status, exc.code, exc.zh, exc.en, exc.field, request.url.path)


def _problem(request: Request, exc: Problem) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="casetrail"'} if exc.status == 401 else None
    return problem(exc.status, exc.code, exc.zh, exc.en, exc.field, request.url.path, headers,
                   **exc.extra)


def _http(request: Request, exc: StarletteHTTPException) -> Response:
    code, zh, en = HTTP_CODES.get(exc.status_code, ("request.error", "请求错误", "Request error"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else en
    if isinstance(exc.detail, dict):  # routers that raise {"code": ..., "detail": ...}
        code, detail = str(exc.detail.get("code", code)), str(exc.detail.get("detail", en))
    return problem(exc.status_code, code, zh, detail, None, request.url.path,
                   dict(exc.headers) if exc.headers else None)


def _unexpected(request: Request, exc: Exception) -> Response:
    # Last resort only: the fuzz tests assert this is never reached.
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem(500, "internal", "服务器内部错误", "Unexpected error; nothing was written "
                   "unless a result was returned", None, request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(NoNul)  # type: ignore[arg-type]


class NoNul:
    """Refuse a NUL character in the path or query string with 400 before any route sees it:
    no code, unit or case number contains one, and PostgreSQL text cannot hold one (a 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
                "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
                or b"\x00" in scope.get("query_string", b"")):
            where = "query" if "\x00" not in scope["path"] else "path"
            response = problem(400, "request.nul_character", "请求中含有空字符(NUL)",
                               f"The request {where} contains a NUL character (%00)", where,
                               scope["path"])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse bodies over the limit with 413 before any route sees them (nothing is written)."""

    def __init__(self, app: ASGIApp, default: int, per_path: dict[str, int]) -> None:
        self.app, self.default, self.per_path = app, default, per_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                response = problem(413, "body.too_large", "请求体过大",
                                   f"The request body exceeds {limit} bytes", "body", scope["path"])
                await response(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)
