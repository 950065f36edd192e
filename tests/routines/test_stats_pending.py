"""POST sessions/ with an API token, once this process has seen the token: no round trip
to the cache before the write, and none after it.

``routines.authentication.SessionLogTokenAuthentication`` takes the token's member from
this process's memory (``accounts.backends.remembered_token_member``) and marks the
member's stats generation pending without waiting for the cache
(``accounts.backends.write_ahead``); the service's insert checks in the same statement
that the token still belongs to that member, active, with the same zone and staff flag,
and writes nothing otherwise (the request then takes DRF's path, which reads the token
afresh). ``member_stats_key`` neither trusts nor stores a generation while the mark is
there; the service skips its forgetting when this request's mark is recent and
confirmed. Whatever the path, the next dashboard visit must show the new session.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.backends import remember_token_member, remembered_token_member
from routines import authentication, services
from routines.models import Series, SessionLog
from routines.selectors import (
    STATS_GENERATION_PENDING,
    member_stats,
    member_stats_key,
    stats_generation_cache_key,
)
from tests.factories import RoutineFactory, SeriesFactory, UserFactory, session_payload
from tests.routines.test_stats_cache import (
    cached_generation,
    log,
    stored_generation,
    totals,
    visit,
    warm,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_required")]


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


@pytest.fixture
def token_reads(monkeypatch) -> list[str]:
    """Each time the token was read (from the cache, else the database)."""
    calls: list[str] = []
    read = authentication.token_user

    def spy(token_key, load):
        calls.append(token_key)
        return read(token_key, load)

    monkeypatch.setattr(authentication, "token_user", spy)
    return calls


def post(api, minutes: int = 5, *, expect: int = 201, routine=None, **fields):
    body = session_payload(routine or RoutineFactory(), minutes=minutes, **fields)
    response = api.post("/api/v1/sessions/", body, format="json")
    assert response.status_code == expect, response.content
    return response


def sql_reads(user) -> int:
    """How many queries reading the member's stats key made (0: from the cache)."""
    with CaptureQueriesContext(connection) as queries:
        assert member_stats_key(user=user) is not None
    return len(queries)


def test_the_first_post_with_a_token_reads_it_and_forgets_the_generation_after_the_write(
    shared_browser, user, token, token_api, forgotten, token_reads
):
    log(user, 12)
    assert totals(warm(shared_browser, user)) == (1, 12)
    forgotten.clear()
    assert remembered_token_member(token.key) is None
    post(token_api, 5)  # this process has not seen the token yet: read, nothing marked
    assert token_reads == [token.key]
    assert forgotten == [[user.pk]]
    assert cached_generation(user) is None
    assert remembered_token_member(token.key).pk == user.pk
    assert totals(visit(shared_browser)) == (2, 17)


def test_later_posts_read_nothing_before_the_write_and_forget_nothing_after(
    shared_browser, user, token, token_api, forgotten, token_reads
):
    log(user, 12)
    routine = RoutineFactory()
    post(token_api, 5, routine=routine)  # the process learns the token's member
    assert totals(warm(shared_browser, user)) == (2, 17)
    forgotten.clear()
    token_reads.clear()
    with CaptureQueriesContext(connection) as queries:
        post(token_api, 3, routine=routine)
    assert len(queries) == 1  # the insert, which also checks the token
    assert '"authtoken_token"' in queries[0]["sql"]
    assert token_reads == []
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


@pytest.mark.parametrize("why", ["older than the trusted window", "not confirmed by the cache"])
def test_a_mark_not_relied_on_is_followed_by_the_forgetting(
    shared_browser, user, token_api, forgotten, monkeypatch, why
):
    from wellness import cache as wellness_cache

    log(user, 12)
    post(token_api, 5)
    assert totals(warm(shared_browser, user)) == (2, 17)
    forgotten.clear()
    if why == "older than the trusted window":  # e.g. a slow write
        monkeypatch.setattr(services, "STATS_PENDING_TRUSTED_SECONDS", 0)
    else:  # e.g. Redis lost it
        monkeypatch.setattr(wellness_cache.Sent, "settle", lambda self: False)
    post(token_api, 3)
    assert forgotten == [[user.pk]]
    assert cached_generation(user) is None
    assert totals(visit(shared_browser)) == (3, 20)


def test_a_token_deleted_meanwhile_is_refused_by_the_write_itself(
    shared_cache, user, token, token_api
):
    post(token_api)
    key = token.key
    assert remembered_token_member(key) is not None
    token.delete()  # e.g. signed out of the app; this process still remembers the member
    Token.objects.create(user=user)  # and signed in again: a new token, a new key
    response = post(token_api, expect=401)
    assert response["WWW-Authenticate"] == "Token"
    assert SessionLog.objects.filter(user=user).count() == 1
    assert remembered_token_member(key) is None


def test_a_member_deactivated_meanwhile_is_refused(shared_cache, user, token, token_api):
    post(token_api)
    user.is_active = False
    user.save()  # as another process would: this one's memory is not told
    post(token_api, expect=401)
    assert SessionLog.objects.filter(user=user).count() == 1


def test_a_zone_changed_meanwhile_dates_the_log_in_the_new_zone(
    shared_cache, user, token, token_api
):
    post(token_api)
    assert remembered_token_member(token.key).timezone == "UTC"
    user.timezone = "Pacific/Auckland"
    user.save()
    body = post(token_api).json()
    started = dt.datetime.fromisoformat(body["started_at"])
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    assert body["timezone"] == "Pacific/Auckland"
    assert body["local_date"] == started.astimezone(auckland).date().isoformat()
    assert remembered_token_member(token.key) is None  # forgotten; remembered anew next time
    assert post(token_api).json()["timezone"] == "Pacific/Auckland"
    assert remembered_token_member(token.key).timezone == "Pacific/Auckland"


def test_staff_demoted_meanwhile_can_no_longer_log_a_draft_routine(shared_cache):
    editor = UserFactory(is_staff=True)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=editor).key}")
    draft = RoutineFactory(series=SeriesFactory(status=Series.Status.DRAFT, published_at=None))
    post(api, routine=draft)  # staff may log a draft routine (e.g. trying it out)
    editor.is_staff = False
    editor.save()
    response = post(api, routine=draft, expect=400)
    assert "routine" in response.json()
    assert SessionLog.objects.filter(user=editor).count() == 1


def test_a_remembered_member_who_does_not_own_the_token_is_never_written_for(
    shared_cache, user, token, token_api
):
    other = UserFactory()
    remember_token_member(token.key, other)  # a wrong memory, however it came about
    post(token_api)
    assert SessionLog.objects.filter(user=other).count() == 0
    assert SessionLog.objects.filter(user=user).count() == 1
    assert remembered_token_member(token.key) is None  # read afresh next time
    post(token_api)
    assert remembered_token_member(token.key).pk == user.pk


def test_a_repeat_with_the_remembered_member_answers_the_stored_log(shared_cache, user, token_api):
    post(token_api)
    client_id = str(uuid.uuid4())
    first = post(token_api, client_id=client_id)
    again = post(token_api, client_id=client_id, expect=200)
    assert first.json() == again.json()
    assert SessionLog.objects.filter(user=user).count() == 2


def test_bad_input_with_the_remembered_member_gets_field_errors(shared_cache, user, token_api):
    post(token_api)
    response = post(token_api, expect=400, tension_before=11)
    assert "tension_before" in response.json()
    assert SessionLog.objects.filter(user=user).count() == 1


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
    response = shared_browser.post(
        "/api/v1/sessions/",
        session_payload(RoutineFactory(), minutes=4),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert forgotten == [[user.pk]]
    assert totals(visit(shared_browser)) == (2, 16)


def test_an_unverified_member_is_never_answered_with_a_stored_log(user):
    """With ``verify_token`` the member is not proven, so a log failing validation is an
    error, even when its client_id names a log the member stored (which a token's
    rightful holder would get back)."""
    from django.core.exceptions import ValidationError

    client_id = uuid.uuid4()
    stored = log(user, 10, client_id=client_id)
    start = timezone.now() + dt.timedelta(days=2)  # in the future: invalid
    fields = {
        "routine": stored.routine,
        "started_at": start,
        "ended_at": start + dt.timedelta(minutes=5),
        "client_id": client_id,
    }
    assert services.session_log_create(user=user, **fields) == (stored, False)
    with pytest.raises(ValidationError):
        services.session_log_create(user=user, verify_token="a-deleted-token", **fields)
