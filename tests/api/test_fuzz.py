"""A property-based fuzz of the API from its own OpenAPI document (schemathesis on hypothesis):
no input gives a 5xx, and a refused request writes nothing. Examples per operation are bounded
(API_FUZZ_EXAMPLES, default 6) and derandomised, so CI is fast and repeatable."""
from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api, make_api, ts
from tests.conftest import Clock, at, log_size, make_app

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "6"))


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else b""


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, Any]]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    core = make_app(f"sqlite:///{path}", Clock(at(2026, 11, 20, 9)))
    api = make_api(core, raise_server_exceptions=False)
    api.register("bureau", "A", ts(3, 2))
    api.post("bureau", "/cases/A/transfer", {"to_unit": "yz-zjj", "occurred_at": ts(3, 2, 11)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    yield api, schema
    api.client.app.state.services.release()
    core.close()


def operations(schema: Any) -> list[Any]:
    return [op.ok() for op in schema.get_all_operations()]


def test_fuzz_every_operation(fuzzed: tuple[Api, Any]) -> None:
    api, schema = fuzzed
    ops = operations(schema)
    assert len(ops) > 40
    failures: list[str] = []
    for op in ops:
        strategy = op.as_strategy()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy, who=st.sampled_from(["integration", "bureau", "auditor"]),
               known=st.booleans())
        def probe(case: Any, who: str, known: bool) -> None:
            if known and case.path_parameters and "case_no" in case.path_parameters:
                case.path_parameters["case_no"] = "A"
            case.headers = {**(case.headers or {}), **api.h(who)}
            before = log_size(api.core)
            response = case.call()
            status = response.status_code
            if status >= 500:
                failures.append(f"{op.label}: {status} {response.text[:200]}")
            if status >= 400 and log_size(api.core) != before:
                failures.append(f"{op.label}: refused with {status} but wrote events")

        probe()
    assert failures == []
