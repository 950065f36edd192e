"""Database helpers that any app may use (this module imports no app)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, InterfaceError, OperationalError
from django.db import connection as db_connection

T = TypeVar("T")

# Django's errors for a connection that is gone (a database restart, a failover, a
# terminated backend), as opposed to errors about the statement itself.
DB_CONNECTION_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def db_call_outliving_disconnect(
    func: Callable[[], T], *, patience_seconds: float, pause_seconds: float = 0.5
) -> T:
    """``func()``, run again on a fresh connection while the database is away, for at most
    ``patience_seconds`` (then the last error is raised).

    For one statement that must not be lost once something outside the database has
    happened (an email the SMTP server accepted): ``func`` must be safe to repeat. Inside
    a transaction nothing is retried (the transaction's work is lost with the connection
    and only its owner may start again), and errors other than a lost connection are
    raised at once.
    """
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            return func()
        except DB_CONNECTION_ERRORS:
            if db_connection.in_atomic_block or time.monotonic() + pause_seconds > deadline:
                raise
            # Forget the dead connection: the next query opens a new one.
            with contextlib.suppress(DatabaseError):
                db_connection.close()
            time.sleep(pause_seconds)
