"""Shared fixtures: users, API clients, and real services for integration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from tests import servers
from tests.factories import EditorFactory, UserFactory


def _need(exc: Exception) -> None:
    """A missing system service: loud skip locally, failure under CI=true."""
    if servers.IN_CI:
        pytest.fail(f"CI=true and a required service is missing: {exc}")
    pytest.skip(f"!!! SERVICE MISSING, TEST NOT RUN: {exc}")


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def editor_user(db):
    """In the "Editors" group: the editor's pages and staff API, unpublished series."""
    return EditorFactory()


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def member_api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def token(user) -> str:
    """The raw key of a new API token of ``user`` (send it as ``Token <key>``)."""
    from accounts.services import api_token_create

    _, key = api_token_create(user=user, name="Test token")
    return key


@pytest.fixture
def token_api(token) -> APIClient:
    """An API client sending the member's real token (``member_api`` skips authentication)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def member_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        return servers.shared_service_url("redis")
    except servers.ServiceUnavailable as exc:
        _need(exc)
        raise


@pytest.fixture
def redis_server() -> Iterator[servers.RedisServer]:
    """A Redis of this test's own, which it may stop and start again on the same port."""
    try:
        server = servers.RedisServer().start()
    except servers.ServiceUnavailable as exc:
        _need(exc)
        raise
    yield server
    server.close()


@pytest.fixture
def fresh_redis_url(redis_url) -> Iterator[str]:
    """The shared Redis, flushed before and after the test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()


@pytest.fixture
def postgres_required() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        _need(servers.ServiceUnavailable("PostgreSQL is not installed: apt-get install postgresql"))


@pytest.fixture
def worker_env(transactional_db, settings, tmp_path) -> dict[str, str]:
    """Environment for a real Celery worker that shares this test's database."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    return servers.service_env(DATABASE_URL=url, KNEADFUL_VAR_DIR=str(tmp_path / "var"))


@pytest.fixture
def celery_worker_factory() -> Iterator:
    started: list[servers.CeleryWorker] = []

    def start(env: dict[str, str], **kwargs) -> servers.CeleryWorker:
        worker = servers.CeleryWorker(env, **kwargs).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists("/usr/bin/chromium"):
        _need(servers.ServiceUnavailable("Chromium is not installed: apt-get install chromium"))
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _project_celery_app_stays_current() -> Iterator[None]:
    """A test that makes its own client app (``Celery("sender", broker=...)``) also makes it
    Celery's *current* app; shared tasks called later would then be sent to that broker
    instead of running eagerly. Put Kneadful's app back after every test."""
    yield
    from wellness.celery import app

    app.set_current()


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Cached fragments and rate-limit counters (keyed by ids) never leak from one test to
    the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that commit (``transaction=True``, ``live_server``, real workers) run after all
    the others, as Django's runner orders them: their teardown empties the database, which
    would take the rows data migrations made (the "Editors" group and its permissions)
    from every test after them."""

    def commits(item: pytest.Item) -> bool:
        marker = item.get_closest_marker("django_db")
        fixtures = getattr(item, "fixturenames", ())
        return bool(
            (marker and marker.kwargs.get("transaction"))
            or {"transactional_db", "live_server"} & set(fixtures)
        )

    items.sort(key=commits)
