"""A session logged with an API token marks the member's stats generation pending in
the token's round trip, instead of forgetting it after the write.

``routines.authentication.SessionLogTokenAuthentication`` sets the mark
(``stats_generation_pending``) together with reading the token, once the process knows
the token's member; ``member_stats_key`` neither trusts nor stores a generation while
the mark is there; the service skips its forgetting when this request's mark is recent.
Whatever the path, the next dashboard visit must show the new session.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import token_cache_key
from routines import services
from routines.selectors import (
    STATS_GENERATION_PENDING,
    member_stats,
    member_stats_key,
    stats_generation_cache_key,
)
from tests.factories import RoutineFactory, UserFactory
from tests.routines.test_stats_cache import (
    cached_generation,
    log,
    stored_generation,
    totals,
    visit,
    warm,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def forgotten(monkeypatch) -> list[list[int]]:
    """The user ids each call of the service's forgetting was for."""
    calls: list[list[int]] = []
    forget = services._stats_generation_forget

    def spy(*, user_ids: list[int]) -> None:
        calls.append(list(user_ids))
        forget(user_ids=user_ids)

    monkeypatch.setattr(services, "_stats_generation_forget", spy)
    return calls


def post(token_api, minutes: int) -> None:
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    response = token_api.post(
        "/api/v1/sessions/",
        {
            "routine": RoutineFactory().pk,
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=minutes)).isoformat(),
            "client_id": str(uuid.uuid4()),
        },
        format="json",
    )
    assert response.status_code == 201, response.content


def sql_reads(user) -> int:
    """How many queries reading the member's stats key made (0: from the cache)."""
    with CaptureQueriesContext(connection) as queries:
        assert member_stats_key(user=user) is not None
    return len(queries)


def test_the_first_post_with_a_token_forgets_the_generation_after_the_write(
    shared_browser, user, token_api, forgotten
):
    log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    forgotten.clear()
    post(token_api, 5)  # this process has not seen the token yet: nothing was marked
    assert forgotten == [[user.pk]]
    assert cached_generation(user) is None
    assert totals(visit(shared_browser)) == (2, 17)


def test_later_posts_mark_it_pending_and_skip_the_forgetting(
    shared_browser, user, token_api, forgotten
):
    log(user, 12)
    post(token_api, 5)  # the process learns the token's member
    assert totals(warm(shared_browser, user)) == (2, 17)
    forgotten.clear()
    post(token_api, 3)
    assert forgotten == []  # nothing to forget: readers already ignore the generation
    assert cached_generation(user) == STATS_GENERATION_PENDING
    page = visit(shared_browser)
    assert totals(page) == (3, 20)
    assert "20 minutes in 12 weeks" in page
    # While the mark is there, every visit reads the generation and stores none.
    assert sql_reads(user) == 1
    assert cached_generation(user) == STATS_GENERATION_PENDING
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=3)):
        # The mark expired: the generation is cached again, then read from the cache.
        assert sql_reads(user) == 1
        assert cached_generation(user) == stored_generation(user)
        assert sql_reads(user) == 0


def test_a_mark_older_than_the_trusted_window_is_followed_by_the_forgetting(
    shared_browser, user, token_api, forgotten, monkeypatch
):
    log(user, 12)
    post(token_api, 5)
    assert totals(warm(shared_browser, user)) == (2, 17)
    forgotten.clear()
    monkeypatch.setattr(services, "STATS_PENDING_TRUSTED_SECONDS", 0)  # e.g. a slow write
    post(token_api, 3)
    assert forgotten == [[user.pk]]
    assert cached_generation(user) is None
    assert totals(visit(shared_browser)) == (3, 20)


def test_a_token_that_changed_hands_marks_its_new_member_the_usual_way(
    shared_cache, user, token, token_api, forgotten
):
    other = UserFactory()
    owners = caches["session-owners"]
    owner_key = f"{token_cache_key(token.key)}:owner"
    owners.set(owner_key, other.pk)  # this process remembers another member for it
    post(token_api, 5)
    # The mark went to the remembered member (harmless: they read SQL for 2 s), and the
    # token's real member is forgotten after the write, as without a mark.
    assert cache.get(stats_generation_cache_key(other.pk)) == STATS_GENERATION_PENDING
    assert forgotten == [[user.pk]]
    assert owners.get(owner_key) == user.pk  # and the process now remembers the right one


def test_a_reader_never_stores_a_generation_over_the_mark(shared_cache, user):
    log(user, 12)
    member_stats(user=user)  # the member's figures exist
    key = stats_generation_cache_key(user.pk)
    cache.set(key, STATS_GENERATION_PENDING, 2)
    first = member_stats_key(user=user)
    assert str(stored_generation(user)) in first.split("-")
    assert cache.get(key) == STATS_GENERATION_PENDING
    cache.delete(key)
    assert sql_reads(user) == 1  # a plain miss reads it once and stores it
    assert cache.get(key) == stored_generation(user)
    assert sql_reads(user) == 0


def test_posts_with_a_browser_session_are_unchanged(shared_browser, user, forgotten):
    """The browser's player posts with its session (DRF's path): forgotten after writing."""
    log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    forgotten.clear()
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    response = shared_browser.post(
        "/api/v1/sessions/",
        {
            "routine": RoutineFactory().pk,
            "started_at": start.isoformat(),
            "ended_at": (start + dt.timedelta(minutes=4)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert forgotten == [[user.pk]]
    assert totals(visit(shared_browser)) == (2, 16)
