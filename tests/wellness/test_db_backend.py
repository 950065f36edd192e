"""``wellness.db.postgresql``: Django's backend, skipping the health check for a
connection that served a request cleanly within the window, on a real PostgreSQL.

Each test drives its own connection through a request's life as Django's handlers do:
``close_if_unusable_or_obsolete`` when the request starts and when it finishes
(``close_old_connections``), and the health check before the request's first query.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError, ProgrammingError, connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture
def wrapper(postgres_required):
    from wellness.db.postgresql.base import DatabaseWrapper

    made = []

    def make(window: float = 0.5) -> DatabaseWrapper:
        settings_dict = {
            **connection.settings_dict,
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "HEALTH_CHECK_WINDOW": window,
        }
        w = DatabaseWrapper(settings_dict, alias=f"health-window-{len(made)}")
        w.checks = 0
        is_usable = w.is_usable

        def counted() -> bool:
            w.checks += 1
            return is_usable()

        w.is_usable = counted
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def request(w, sql: str | None = "SELECT 1") -> None:
    """One request: started, (a query), finished."""
    w.close_if_unusable_or_obsolete()
    try:
        if sql is not None:
            with w.cursor() as cursor:
                cursor.execute(sql)
    finally:
        w.close_if_unusable_or_obsolete()


def backend_pid(w) -> int:
    return w.connection.info.backend_pid


def kill(w) -> None:
    """The server ends the connection (as a restart or an idle timeout would)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid(w)])


def test_connection_that_just_served_a_request_is_not_checked(wrapper):
    w = wrapper()
    request(w)  # opens the connection: a new one needs no check
    pid = backend_pid(w)
    for _ in range(5):
        request(w)
    assert w.checks == 0
    assert backend_pid(w) == pid  # the same connection, reused


def test_connection_idle_longer_than_the_window_is_checked(wrapper):
    w = wrapper()
    request(w)
    w.proven_at -= 0.6  # its last request finished 0.6 s ago
    request(w)
    assert w.checks == 1
    request(w)  # and that request proved it again
    assert w.checks == 1


def test_window_zero_checks_every_reused_connection(wrapper):
    w = wrapper(window=0)
    for _ in range(3):
        request(w)
    assert w.checks == 2  # every request but the one that opened it


def test_request_without_queries_does_not_prove_the_connection(wrapper):
    w = wrapper()
    request(w)
    w.proven_at -= 0.6
    request(w, sql=None)  # e.g. a cached page: the connection is not used
    request(w)
    assert w.checks == 1


def test_connection_dropped_while_idle_is_replaced_before_the_query(wrapper):
    w = wrapper()
    request(w)
    pid = backend_pid(w)
    kill(w)
    w.proven_at -= 0.6
    request(w)  # no error: the check finds it broken and Django reconnects
    assert w.checks == 1
    assert backend_pid(w) != pid


def test_connection_dropped_within_the_window_fails_one_request_then_recovers(wrapper):
    """The trade-off, as HikariCP's: a connection lost less than the window after it
    last worked fails the request that finds it, and is then replaced."""
    w = wrapper()
    request(w)
    pid = backend_pid(w)
    kill(w)
    with pytest.raises(OperationalError):
        request(w)
    assert w.connection is None  # the failed request's end dropped it
    request(w)
    assert backend_pid(w) != pid


def test_a_database_error_makes_django_check_before_trusting_it_again(wrapper):
    w = wrapper()
    request(w)
    with pytest.raises(ProgrammingError):
        request(w, sql="SELECT * FROM no_such_table")
    assert w.checks == 1  # Django tested it when that request finished
    request(w)  # that check proved it: no second one
    assert w.checks == 1
