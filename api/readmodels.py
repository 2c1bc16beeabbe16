"""The API's handle on the read models (``projections``): one runner and one connection per app.

Every query endpoint first brings the read models up to the end of the log (the runner's
``catch_up``: one indexed query when nothing is new), then asks a public query function of
:mod:`projections.queries`. The runner is kept for the life of the app instead of calling
``projections.runner.catch_up(url)`` per request, which would rebuild the runner (the
organisation replay and the DDL) every time; the semantics are the same, and a runner that finds
the position moved by another process (a CLI ``catch-up``, a second worker) resumes from there.

A sqlite3 connection is not safe for concurrent use and a psycopg connection serialises anyway,
so the catch-up and the query run under one lock.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from domain.application import Casetrail
from store.config import ddl_lock

T = TypeVar("T")


class ReadModels:
    def __init__(self, core: Casetrail) -> None:
        self.core = core
        self._lock = threading.Lock()
        self._runner: Any = None

    def run(self, query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``query(db, *args)`` on read models that include every event recorded so far."""
        with self._lock:
            self._runner_started()
            self._runner.catch_up()
            return query(self._runner.db, *args, **kwargs)

    def catch_up(self) -> int:
        with self._lock:
            self._runner_started()
            return int(self._runner.catch_up())

    def _runner_started(self) -> None:
        """The runner, created on first use; its tables are created under the store's DDL lock
        (several worker processes make their first query at the same moment)."""
        if self._runner is None:
            from projections.runner import Runner

            with ddl_lock(self.core.database_url):
                self._runner = Runner(self.core)

    def close(self) -> None:
        with self._lock:
            if self._runner is not None:
                self._runner.close()
                self._runner = None
