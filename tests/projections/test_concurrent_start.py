"""Several API worker processes start together (``casetrail serve --workers N``): their first
query creates the read-model tables at the same moment. None of them may fail."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from api.readmodels import ReadModels
from domain.application import Casetrail
from projections import queries as Q
from tests.conftest import drop_schema, new_store_url


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_read_models_first_used_by_several_workers_at_once(kind: str, tmp_path: Path) -> None:
    for attempt in range(4):  # each attempt on a fresh, empty store
        (tmp_path / str(attempt)).mkdir()
        url, schema = new_store_url(kind, tmp_path / str(attempt))
        try:
            # each worker's application is built in turn (create_app takes a startup lock);
            # the event store exists, the read models do not
            cores = [Casetrail(url) for _ in range(4)]
            start, errors, done = threading.Barrier(4, timeout=60), [], []

            def worker(core: Casetrail) -> None:
                models = ReadModels(core)
                try:
                    start.wait()
                    done.append(models.run(Q.search))
                except Exception as e:  # noqa: BLE001 - asserted below
                    errors.append(e)
                finally:
                    models.close()
                    core.close()

            threads = [threading.Thread(target=worker, args=(c,)) for c in cores]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == []
            assert len(done) == 4
        finally:
            if schema:
                drop_schema(schema)
