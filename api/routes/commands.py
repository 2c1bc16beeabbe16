"""The command endpoints, ``POST /cases/{case_no}/<command>``: one per command of the core
(:data:`domain.commands.COMMANDS`), each taking that command's request model
(:data:`api.schemas.COMMAND_MODELS`).

This module does not use ``from __future__ import annotations``: the annotations of an endpoint
are evaluated when :func:`command_endpoint` defines it, so each endpoint names its own command's
model and FastAPI reads it from there; nothing is rewritten afterwards.
"""
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from api.auth import Principal
from api.deps import Services, Writing, check_refs, seen_as, writing
from api.idempotency import fingerprint
from api.problems import Problem
from api.schemas import COMMAND_MODELS, CommandOut
from api.visibility import WALLED_VALUES
from domain.application import Batch
from domain.case import PetitionCase
from domain.commands import COMMANDS, Command, Correct, MarkRepeat, build

CaseNoPath = Annotated[str, Path(max_length=64, description="信访件编号")]


def request_fingerprint(key: str | None, request: Request, body: BaseModel) -> str | None:
    if key is None:
        return None
    return fingerprint(request.method, request.url.path, body.model_dump(mode="json"))


def guard(svc: Services, p: Principal, case: PetitionCase, case_no: str,
          command: Command) -> None:
    """The caller must see the case (else the 404 of a missing case) and what it names."""
    _, lens = seen_as(svc, p, case_no, case.facts)
    if isinstance(command, MarkRepeat):
        check_refs(svc, p, "original", command.original)
    if lens.walled and isinstance(command, Correct) and command.field in WALLED_VALUES:
        raise Problem(403, "confidential.forbidden", "无权更正检举控告内容",
                      "This caller may not change the accusation's protected fields", "field")


def command_endpoint(cls: type[Command], model: type[BaseModel]) -> Callable[..., Response]:
    """The endpoint of one command: the body, checked by ``model``, becomes a ``cls``."""
    def endpoint(case_no: CaseNoPath, body: model,  # type: ignore[valid-type]
                 w: Annotated[Writing, writing(cls.name)], request: Request) -> Response:
        command = build(cls, body.model_dump(exclude_unset=True, exclude={"occurred_at"}))
        svc, p = w.svc, w.p

        def step(batch: Batch) -> None:
            # one load of the case serves the visibility check and the command
            guard(svc, p, batch.case(case_no), case_no, command)
            batch.handle(case_no, command, p.actor(), body.occurred_at, w.expected)
        return svc.writer.run(p.token_id, w.key, request_fingerprint(w.key, request, body), step)
    return endpoint


def add_command_routes(router: APIRouter) -> None:
    for name, cls in COMMANDS.items():
        model = COMMAND_MODELS[name]
        router.add_api_route(f"/{{case_no}}/{name}", command_endpoint(cls, model),
                             methods=["POST"], response_model=CommandOut, name=name,
                             summary=(model.__doc__ or name).splitlines()[0][:80])
